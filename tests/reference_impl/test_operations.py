"""Every operation of the contract: its success, and the errors it documents, contract-checked.

The operations and their documented statuses are read from the contract, so an operation added
to it without a success request here fails `test_every_operation_succeeds`, and every
documented 401/404/409/413/415/422 is provoked for every operation that documents it.
"""

import re
import sqlite3

import httpx
import pytest

from reference_impl.app import Settings, create_app
from reference_impl.routing import PathTable

from .conftest import CONTRACT, Api
from .test_flows import (ASSISTANT_MSG, ATTACHMENT, CONFIG, FIRST_MSG, LISBON, LIVE_SHARE,
                         MISSING, PROVIDER)

BIRTHDAY = "3b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d"  # alice's, has a (expired) share link
MISSING_SHARE = "AAAAAAAAAAAAAAAAAAAAAA"
PATHS = PathTable(CONTRACT["paths"])
OPERATIONS = {op["operationId"]: (method.upper(), template, op)
              for template, item in CONTRACT["paths"].items()
              for method, op in item.items() if method in ("get", "put", "post", "patch",
                                                           "delete")}

# operationId -> (path parameters, request keyword arguments, expected success status).
# Ordered so that each request finds what it needs; deletions come last.
SUCCESS = {
    "createToken": ({}, {"data": {"username": "alice", "password": "alice-dev-password"}}, 200),
    "getCurrentUser": ({}, {}, 200),
    "listConversations": ({}, {"params": {"q": "lisbon", "limit": 5}}, 200),
    "createConversation": ({}, {"json": {"title": "New", "metadata": {"k": "v"}}}, 201),
    "getConversation": ({"conversation_id": LISBON}, {}, 200),
    "updateConversation": ({"conversation_id": LISBON}, {"json": {"status": "active"}}, 200),
    "generateConversationTitle": ({"conversation_id": LISBON}, {"json": {}}, 200),
    "getConversationSummary": ({"conversation_id": LISBON}, {"params": {"max_length": 100}},
                               200),
    "markConversationRead": ({"conversation_id": LISBON}, {"json": {"message_id": FIRST_MSG}},
                             200),
    "listMessages": ({"conversation_id": LISBON}, {"params": {"parent_id": FIRST_MSG}}, 200),
    "createMessage": ({"conversation_id": LISBON},
                      {"json": {"content": "Hi", "parent_id": FIRST_MSG}}, 201),
    "getMessage": ({"message_id": FIRST_MSG}, {}, 200),
    "updateMessage": ({"message_id": ASSISTANT_MSG}, {"json": {"reactions": ["👍"]}}, 200),
    "createReply": ({"conversation_id": LISBON}, {"json": {"content": "More?"}}, 201),
    "streamReplyEvents": ({"message_id": ASSISTANT_MSG}, {}, 200),
    "createStreamTicket": ({"message_id": ASSISTANT_MSG}, {}, 201),
    "listAttachments": ({"message_id": FIRST_MSG}, {}, 200),
    "createAttachment": ({"message_id": FIRST_MSG},
                         {"files": {"file": ("n.txt", b"notes", "text/plain")}}, 201),
    "getAttachment": ({"attachment_id": ATTACHMENT}, {}, 200),
    "downloadAttachment": ({"attachment_id": ATTACHMENT}, {}, 200),
    "listProviders": ({}, {}, 200),
    "createProvider": ({}, {"json": {"name": "Another", "api_endpoint": "https://a.example"}},
                       201),
    "getProvider": ({"provider_id": PROVIDER}, {}, 200),
    "listProviderConfigs": ({}, {}, 200),
    "getProviderConfig": ({"config_id": CONFIG}, {}, 200),
    "updateProviderConfig": ({"config_id": CONFIG}, {"json": {"default_model": "m"}}, 200),
    "upsertConversationShare": ({"conversation_id": LISBON}, {"json": {"expiry_days": 3}}, 200),
    "listShares": ({}, {"params": {"conversation_id": LISBON}}, 200),
    "getShare": ({"share_id": LIVE_SHARE}, {}, 200),
    "getPublicShare": ({"share_id": LIVE_SHARE}, {}, 200),
    "cloneShare": ({"share_id": LIVE_SHARE}, {}, 201),
    "deleteShare": ({"share_id": LIVE_SHARE}, {}, 204),
    "deleteAttachment": ({"attachment_id": ATTACHMENT}, {}, 204),
    "deleteMessage": ({"message_id": ASSISTANT_MSG}, {}, 204),
    "deleteProviderConfig": ({"config_id": CONFIG}, {}, 204),
    "deleteConversations": ({}, {"params": {"conversation_id": [BIRTHDAY, MISSING]}}, 200),
    "deleteConversation": ({"conversation_id": LISBON}, {}, 204),
    # createProviderConfig needs a provider alice has no configuration for: run last.
}


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """One app for the error tests: none of their requests changes any state."""
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("data"), token_delay=0))


@pytest.fixture
def error_api(shared_app):
    """Factory: `await error_api(login=True)` -> an Api on the shared app."""
    async def factory(login: bool = True) -> Api:
        app, state = shared_app
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://127.0.0.1:8000", timeout=10)
        api = Api(client, state)
        return await api.login() if login else api
    return factory


def _url(operation_id: str, path_params: dict[str, str]) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: path_params[m.group(1)],
                  OPERATIONS[operation_id][1])


def _documents(operation_id: str, status: int) -> bool:
    return str(status) in OPERATIONS[operation_id][2]["responses"]


def _secured(operation_id: str) -> bool:
    op = OPERATIONS[operation_id][2]
    return bool(op.get("security", CONTRACT["security"]))


def test_every_operation_succeeds(make_api, run):
    async def go():
        api = await (await make_api()).login()
        seen = set()
        for operation_id, (params, kwargs, status) in SUCCESS.items():
            method = OPERATIONS[operation_id][0]
            r = await api.call(method, _url(operation_id, params), **kwargs,
                               token=api.token if _secured(operation_id) else None)
            assert r.status_code == status, (operation_id, r.text)
            seen.add(operation_id)
        provider = (await api.call("GET", "/api/v1/providers")).json()["items"][-1]["id"]
        r = await api.call("POST", "/api/v1/provider-configs",
                           json={"provider_id": provider, "api_key": "sk-test-12345678"})
        assert r.status_code == 201
        seen.add("createProviderConfig")
        assert seen == set(OPERATIONS)
    run(go())


def _valid_request(operation_id: str) -> tuple[str, dict, dict]:
    method, _, _ = OPERATIONS[operation_id]
    if operation_id == "createProviderConfig":
        return method, {}, {"json": {"provider_id": PROVIDER, "api_key": "sk-test-12345678"}}
    params, kwargs, _ = SUCCESS[operation_id]
    return method, params, kwargs


@pytest.mark.parametrize("operation_id", sorted(o for o in OPERATIONS if _secured(o)))
def test_secured_operations_answer_401_without_a_valid_token(error_api, run, operation_id):
    async def go():
        api = await error_api(login=False)
        method, params, kwargs = _valid_request(operation_id)
        for token in (None, "not-a-token-" + "x" * 30):
            r = await api.call(method, _url(operation_id, params), **kwargs, token=token)
            assert r.status_code == 401, (operation_id, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
    run(go())


def _missing(params: dict[str, str]) -> dict[str, str]:
    return {k: MISSING_SHARE if k == "share_id" else MISSING for k in params}


@pytest.mark.parametrize("operation_id", sorted(
    o for o in OPERATIONS if _documents(o, 404) and OPERATIONS[o][1].count("{")))
def test_unknown_ids_answer_404(error_api, run, operation_id):
    async def go():
        api = await error_api()
        method, params, kwargs = _valid_request(operation_id)
        r = await api.call(method, _url(operation_id, _missing(params)), **kwargs)
        assert r.status_code == 404, (operation_id, r.text)
        assert isinstance(r.json()["detail"], str)
    run(go())


def test_every_documented_404_comes_from_the_path():
    """A 404 means the path's resource is missing; a body naming a missing one answers 409."""
    body_404 = {o for o in OPERATIONS if _documents(o, 404) and "{" not in OPERATIONS[o][1]}
    assert body_404 == set()


# operationId -> requests (path parameters, JSON body, detail) that conflict with the seeded
# state: a duplicate, or a body naming a missing or foreign resource under an existing path.
CONFLICTS = {
    "createProvider": [({}, {"name": "example ai", "api_endpoint": "https://x.example"},
                        "A provider with this name already exists")],
    "createProviderConfig": [
        ({}, {"provider_id": PROVIDER, "api_key": "sk-test-12345678"},
         "You already have a configuration for this provider"),
        ({}, {"provider_id": MISSING, "api_key": "sk-test-12345678"}, "Unknown provider")],
    "createMessage": [({"conversation_id": LISBON}, {"content": "x", "parent_id": MISSING},
                       "Parent message not found in this conversation")],
    "createReply": [({"conversation_id": LISBON}, {"content": "x", "parent_id": MISSING},
                     "Parent message not found in this conversation")],
    "markConversationRead": [({"conversation_id": LISBON}, {"message_id": MISSING},
                              "Message not found in this conversation")],
}


def test_every_documented_409_is_provoked():
    assert set(CONFLICTS) == {o for o in OPERATIONS if _documents(o, 409)}


@pytest.mark.parametrize("operation_id", sorted(CONFLICTS))
def test_conflicts_answer_409(error_api, run, operation_id):
    async def go():
        api = await error_api()
        for params, body, detail in CONFLICTS[operation_id]:
            r = await api.call(OPERATIONS[operation_id][0], _url(operation_id, params),
                               json=body)
            assert r.status_code == 409, (operation_id, body, r.text)
            assert r.json() == {"detail": detail}
    run(go())


@pytest.mark.parametrize("operation_id", sorted(o for o in OPERATIONS if _documents(o, 422)))
def test_invalid_requests_answer_422_with_located_errors(error_api, run, operation_id):
    async def go():
        api = await error_api()
        method, params, kwargs = _valid_request(operation_id)
        token = api.token if _secured(operation_id) else None
        if params:  # a malformed path parameter
            bad = {k: "not-a-valid-id!" for k in params}
            expected = ["path", next(iter(params))]
        elif "data" in kwargs:  # the form-encoded token request
            bad, kwargs = params, {"data": {"username": "alice"}}
            expected = ["body", "password"]
        elif "json" in kwargs and OPERATIONS[operation_id][0] != "GET":
            bad, kwargs = params, {"json": {"unexpected": 1}}
            expected = ["body", "unexpected"]
        elif method == "DELETE":  # bulk deletion: an id that is not a UUID
            bad, kwargs = params, {"params": {"conversation_id": "not-a-uuid"}}
            expected = ["query", "conversation_id", 0]
        else:  # a list: limit out of range
            bad, kwargs = params, {"params": {"limit": 0}}
            expected = ["query", "limit"]
        r = await api.call(method, _url(operation_id, bad), **kwargs, token=token)
        assert r.status_code == 422, (operation_id, r.text)
        assert expected in [e["loc"] for e in r.json()["detail"]], r.text
    run(go())


@pytest.mark.parametrize("operation_id", sorted(o for o in OPERATIONS if _documents(o, 415)))
def test_unaccepted_media_types_answer_415(error_api, run, operation_id):
    async def go():
        api = await error_api()
        method, params, _ = _valid_request(operation_id)
        r = await api.call(method, _url(operation_id, params), content=b"hello",
                           headers={"content-type": "text/plain"},
                           token=api.token if _secured(operation_id) else None)
        assert r.status_code == 415, (operation_id, r.text)
    run(go())


@pytest.mark.parametrize("operation_id", sorted(o for o in OPERATIONS if _documents(o, 413)))
def test_oversized_bodies_answer_413(error_api, run, operation_id):
    async def go():
        api = await error_api()
        method, params, kwargs = _valid_request(operation_id)
        limit = 5 * 1024 * 1024 + 64 * 1024 if "files" in kwargs else 1024 * 1024
        ctype = next(iter(OPERATIONS[operation_id][2]["requestBody"]["content"]))
        if ctype == "multipart/form-data":
            ctype += "; boundary=b"
        r = await api.call(method, _url(operation_id, params), content=b"x" * (limit + 1),
                           headers={"content-type": ctype},
                           token=api.token if _secured(operation_id) else None)
        assert r.status_code == 413, (operation_id, r.text)
    run(go())


def test_a_busy_database_answers_503_with_retry_after(make_api, run, tmp_path):
    db = str(tmp_path / "busy.db")

    async def go():
        api = await (await make_api(db_path=db)).login()
        api.state.store.conn.execute("PRAGMA busy_timeout=50")  # fail fast for the test
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            r = await api.call("POST", "/api/v1/conversations", json={})
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
        finally:
            other.execute("ROLLBACK")
            other.close()
        r = await api.call("POST", "/api/v1/conversations", json={})
        assert r.status_code == 201
    run(go())
