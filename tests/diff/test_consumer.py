"""Consumer profiles: a scripted frontend session against the mock records what it used, and the
diff judges a change for that consumer: a field it never read is compatible for it, a field it
read is breaking."""

from __future__ import annotations

import httpx
import pytest
import yaml

from chat_contract.consumer_profile import ConsumerProfile
from chat_contract.diff import compare
from chat_contract.diff.cli import main as diff_main
from chat_contract.resources import spec_path
from reference_impl.app import Settings, create_app
from reference_impl.cli import with_consumer_profiles
from tests.loopback import serving

from .edits import apply_edit

CONSUMER = "web-app"


def _frontend_session(base_url: str) -> None:
    """What a small frontend does: sign in, list its conversations, start one, stream a reply."""
    with httpx.Client(base_url=base_url, headers={"X-Consumer": CONSUMER}, timeout=30) as client:
        token = client.post("/api/v1/auth/token",
                            data={"username": "alice", "password": "alice-dev-password"}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/api/v1/conversations", params={"limit": 5}).status_code == 200
        conversation = client.post("/api/v1/conversations", json={"title": "Trip"}).json()
        reply = client.post(f"/api/v1/conversations/{conversation['id']}/replies",
                            json={"content": "What should I see in Lisbon?", "stream": True})
        assert reply.status_code == 201 and "event: reply.completed" in reply.text
    # Another frontend on the same mock, told apart by its session.
    with httpx.Client(base_url=base_url, headers={"X-Mock-Session": "admin-ui"}, timeout=30) as other:
        token = other.post("/api/v1/auth/token",
                           data={"username": "bob", "password": "bob-dev-password"}).json()["access_token"]
        assert other.get("/api/v1/providers", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("profiles")
    app, _ = create_app(Settings(token_delay=0))
    with serving(with_consumer_profiles(app, str(folder))) as port:
        _frontend_session(f"http://127.0.0.1:{port}")
    return folder


@pytest.fixture(scope="module")
def contract() -> dict:
    return yaml.safe_load(spec_path().read_text(encoding="utf-8"))


def test_the_session_is_recorded_as_a_profile(recorded):
    assert sorted(p.name for p in recorded.glob("*.yaml")) == ["admin-ui.yaml", "web-app.yaml"]
    profile = ConsumerProfile.load(recorded / "web-app.yaml")
    assert profile.identified_by == "header X-Consumer"
    assert profile.contract["version"] and len(profile.contract["sha256"]) == 64
    assert set(profile.operations) == {"createToken", "listConversations", "createConversation", "createReply"}
    listing = profile.operations["listConversations"]
    assert "query limit" in listing.parameters and listing.statuses == {"200"}
    assert {"items[].title", "items[].match", "next_cursor"} <= listing.response_fields["200"]
    assert "items[].match.excerpt" not in listing.response_fields["200"]  # never searched: match was null
    create = profile.operations["createConversation"]
    assert create.request_fields == {"title"} and "201" in create.statuses
    reply = profile.operations["createReply"]
    assert {"reply.started", "reply.delta", "reply.completed"} <= set(reply.events)
    assert "reply.sources" not in reply.events  # no web search asked for
    assert "message.content" in reply.events["reply.completed"]
    assert {"username", "password"} <= profile.operations["createToken"].request_fields
    other = ConsumerProfile.load(recorded / "admin-ui.yaml")
    assert other.identified_by == "session" and "listProviders" in other.operations


# (edit, breaks this consumer); every edit breaks some client
CASES = [
    # never read: the search excerpt (it never searched), reply.sources (never asked for web
    # search), a message list (never called), a new event it never listens for
    ("search-excerpt-longer", False),
    ("sources-event-longer", False),
    ("sse-event-added", False),
    ("messages-required-parameter-added", False),
    # read: conversation titles, the reply's text, the title it sends
    ("conversation-title-longer", True),
    ("completed-message-content-longer", True),
    ("create-title-shorter", True),
    ("request-required-field-added", True),
]

EDITS = {
    "sources-event-longer": [{"op": "replace", "path": "/components/schemas/ReplySources/properties/sources/maxItems",
                              "value": 20}],
    "search-excerpt-longer": [{"op": "replace", "path": "/components/schemas/SearchMatch/properties/excerpt/maxLength",
                               "value": 400}],
    "messages-required-parameter-added": [{"op": "add", "path": "/paths/~1api~1v1~1conversations~1{conversation_id}~1messages/get/"
                                 "parameters/-", "value": {"name": "order", "in": "query", "required": True,
                                                           "schema": {"type": "string"}}}],
    "conversation-title-longer": [{"op": "replace", "path": "/components/schemas/Conversation/properties/title/maxLength",
                                   "value": 400}],
    "completed-message-content-longer": [{"op": "replace",
                                          "path": "/components/schemas/Message/properties/content/maxLength",
                                          "value": 128000}],
    "create-title-shorter": [{"op": "replace", "path": "/components/schemas/ConversationCreate/properties/title/maxLength",
                              "value": 50}],
}


def _patch(name: str) -> list[dict]:
    if name in EDITS:
        return EDITS[name]
    from .edits import load_edits
    return next(e["patch"] for e in load_edits() if e["id"] == name)


@pytest.mark.parametrize(("edit", "breaks_consumer"), CASES, ids=[c[0] for c in CASES])
def test_a_change_breaks_the_consumer_only_where_it_used_the_contract(recorded, contract, edit, breaks_consumer):
    profile = ConsumerProfile.load(recorded / "web-app.yaml")
    result = compare(contract, apply_edit(contract, _patch(edit)), consumer=profile)
    assert result.breaking_for_clients, "each edit breaks some client"
    listing = [(c.operation, c.where, c.field, c.kind) for c in result.breaking_for_clients]
    assert bool(result.breaking_for_consumer) == breaks_consumer, listing


def test_the_command_says_whom_it_breaks(recorded, contract, tmp_path, capsys):
    old = tmp_path / "old.yaml"
    old.write_text(yaml.safe_dump(contract, sort_keys=False), encoding="utf-8")
    for edit, breaks in (("search-excerpt-longer", False), ("conversation-title-longer", True)):
        new = tmp_path / f"{edit}.yaml"
        new.write_text(yaml.safe_dump(apply_edit(contract, _patch(edit)), sort_keys=False), encoding="utf-8")
        assert diff_main([str(old), str(new)]) == 1  # breaks clients in general
        capsys.readouterr()
        code = diff_main([str(old), str(new), "--consumer", str(recorded / "web-app.yaml"), "--format", "markdown"])
        out = capsys.readouterr().out
        assert code == (1 if breaks else 0), out
        assert f"For consumer **{CONSUMER}**" in out
        assert ("break it." in out and "no change breaks it" not in out) if breaks else "no change breaks it" in out


def test_a_hostile_body_cannot_grow_a_profile_without_bound():
    from chat_contract.consumer_profile import MAX_FIELDS, field_paths

    found: set[str] = set()
    field_paths({f"k{i}": {"deep": [[[[{"x": 1}]]]]} for i in range(5000)}, found)
    assert len(found) == MAX_FIELDS


def test_requests_without_credentials_start_no_profile(tmp_path):
    """Answers of 401 and 404 to unknown frontends take none of the 32 places; a frontend that
    signs in still gets its profile."""
    from reference_impl.consumer_recorder import MAX_CONSUMERS

    app, _ = create_app(Settings(token_delay=0))
    with serving(with_consumer_profiles(app, str(tmp_path))) as port, \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for n in range(MAX_CONSUMERS + 5):
            headers = {"X-Consumer": f"intruder-{n}"}
            assert client.get("/api/v1/conversations", headers=headers).status_code == 401
            assert client.get("/api/v1/public/shares/" + "A" * 22, headers=headers).status_code == 404
            assert client.post("/api/v1/auth/token", headers=headers,
                               data={"username": f"nobody-{n}", "password": "wrong"}).status_code == 401
        assert client.post("/api/v1/auth/token", headers={"X-Consumer": CONSUMER},
                           data={"username": "alice", "password": "alice-dev-password"}).status_code == 200
    assert [p.name for p in tmp_path.glob("*.yaml")] == [f"{CONSUMER}.yaml"]


def test_serve_records_profiles_in_one_process_only(tmp_path, capsys):
    from reference_impl.cli import main as serve_main

    code = serve_main(["--consumer-profiles", str(tmp_path), "--workers", "2", "--db", str(tmp_path / "s.db")])
    assert code == 2
    assert "--consumer-profiles records in one process" in capsys.readouterr().err


def test_a_renamed_operation_breaks_the_consumer_that_calls_it(recorded, contract):
    profile = ConsumerProfile.load(recorded / "web-app.yaml")
    result = compare(contract, apply_edit(contract, _patch("operationId-renamed")), consumer=profile)
    assert [c.kind for c in result.breaking_for_consumer] == ["operationId-changed"]
