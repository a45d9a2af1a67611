"""`chat-contract proxy --record FILE` then `chat-contract serve --fixtures FILE`: a frontend team
develops against the traffic a proxy recorded, with its secrets left out."""

from __future__ import annotations

import json

import httpx
import pytest

from reference_impl.recorded_seed import NotARecording, seed_from_recording

from .conftest import CONVERSATIONS
from .test_proxy import _proxy_process

BIRTHDAY = "3b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d"  # alice's fixture conversation, deleted below
API_KEY = "sk-recorded-traffic-must-not-keep-this-0123"


def _sign_in(client: httpx.Client, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": f"{username}-dev-password"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _record_a_session(proxy: str) -> dict:
    """Two users' traffic through the proxy; what the upstream held at the end, for comparison."""
    with httpx.Client(base_url=proxy, timeout=30) as c:
        alice, bob = _sign_in(c, "alice"), _sign_in(c, "bob")
        assert c.get("/api/v1/users/me", headers=alice).json()["username"] == "alice"
        listed = c.get(CONVERSATIONS, params={"limit": 100}, headers=alice).json()["items"]
        conv = c.post(CONVERSATIONS, json={"title": "Recorded: Porto", "metadata": {"trip": "may"}},
                      headers=alice).json()
        url = f"{CONVERSATIONS}/{conv['id']}"
        c.post(f"{url}/messages", json={"content": "Where to eat in Porto?"}, headers=alice).raise_for_status()
        c.post(f"{url}/replies", json={"content": "And the wine?"}, headers=alice).raise_for_status()
        streamed = c.post(f"{url}/replies", json={"content": "Tell me more", "stream": True}, headers=alice)
        assert "reply.completed" in streamed.text
        c.patch(url, json={"title": "Recorded: Porto in May"}, headers=alice).raise_for_status()
        share = c.put(f"{url}/share", json={"expiry_days": 7}, headers=alice).json()
        assert c.delete(f"{CONVERSATIONS}/{BIRTHDAY}", headers=alice).status_code == 204
        c.post("/api/v1/provider-configs", headers=alice,
               json={"provider_id": "2b9e6f1a-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "api_key": API_KEY})
        bobs = c.post(CONVERSATIONS, json={"title": "Bob's recorded bread"}, headers=bob).json()
        messages = c.get(f"{url}/messages", params={"limit": 100}, headers=alice).json()["items"]
        return {"alice": alice, "bob": bob, "listed": listed, "conversation": conv["id"], "share": share,
                "messages": messages, "bobs": bobs["id"]}


def test_a_recorded_proxy_session_seeds_a_new_server(live_server, tmp_path):
    upstream = live_server("--token-delay", "0.001")
    recording = tmp_path / "staging.jsonl"
    with _proxy_process(tmp_path, upstream.base_url, "--record", str(recording)) as proxy:
        seen = _record_a_session(proxy)
    text = recording.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert {line["user"] for line in lines} == {"alice", "bob"}
    # No secret reached the file: passwords, tokens, the API key.
    for secret in ("alice-dev-password", "bob-dev-password", API_KEY,
                   seen["alice"]["Authorization"][7:], seen["bob"]["Authorization"][7:]):
        assert secret not in text
    assert '"password": "[redacted]"' in text and '"api_key": "[redacted]"' in text

    # Without the final listing, the messages come from the exchanges that made them: the
    # posted message, the JSON reply's two messages, the streamed reply's started/completed.
    unlisted = tmp_path / "unlisted.jsonl"
    unlisted.write_text("".join(line + "\n" for line in text.splitlines()
                                if json.loads(line)["operation"] != "listMessages"), encoding="utf-8")
    (porto,) = [c for c in seed_from_recording(unlisted)["conversations"] if c["id"] == seen["conversation"]]
    assert [(m["id"], m["role"], m["content"]) for m in porto["messages"]] == \
        [(m["id"], m["role"], m["content"]) for m in seen["messages"]]

    replayed = live_server("--fixtures", str(recording))  # alice signs in with her dev password
    with httpx.Client(base_url=replayed.base_url, timeout=30) as c:
        alice, bob = _sign_in(c, "alice"), _sign_in(c, "bob")
        titles = {x["title"] for x in c.get(CONVERSATIONS, params={"limit": 100}, headers=alice).json()["items"]}
        expected = {x["title"] for x in seen["listed"] if x["id"] != BIRTHDAY} | {"Recorded: Porto in May"}
        assert titles == expected  # deleted during the recording: not there
        conv = c.get(f"{CONVERSATIONS}/{seen['conversation']}", headers=alice).json()
        assert conv["title"] == "Recorded: Porto in May" and conv["metadata"] == {"trip": "may"}
        messages = c.get(f"{CONVERSATIONS}/{seen['conversation']}/messages", params={"limit": 100},
                         headers=alice).json()["items"]
        keys = ("id", "role", "content", "parent_id", "created_at")
        assert [{k: m[k] for k in keys} for m in messages] == [{k: m[k] for k in keys} for m in seen["messages"]]
        # The share reads back without a token; bob's conversation is his, not alice's.
        assert c.get(f"/api/v1/public/shares/{seen['share']['id']}").status_code == 200
        assert c.get(f"{CONVERSATIONS}/{seen['bobs']}", headers=bob).json()["title"] == "Bob's recorded bread"
        assert c.get(f"{CONVERSATIONS}/{seen['bobs']}", headers=alice).status_code == 404


def test_a_file_that_is_not_a_recording_is_a_clear_error(tmp_path):
    other = tmp_path / "notes.jsonl"
    other.write_text('{"hello": "world"}\n', encoding="utf-8")
    with pytest.raises(NotARecording, match="notes.jsonl:1: not a recorded exchange of format 1"):
        seed_from_recording(other)
    from reference_impl.cli import main

    assert main(["--fixtures", str(other)]) == 2
    assert main(["--fixtures", str(tmp_path / "missing.jsonl")]) == 2
