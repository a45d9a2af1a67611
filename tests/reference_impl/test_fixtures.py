"""fixtures/seed.yaml: every record the server serves reads back through the API, valid."""

import hashlib
import json

from chat_contract.resources import fixtures_dir
from reference_impl.seed import read_seed
from reference_impl.services.common import now
from reference_impl.services.providers import key_hint

from .conftest import Api, check_contract, parse_sse

SEED = read_seed(fixtures_dir())


async def _login(api: Api, user: dict) -> Api:
    r = await api.client.post("/api/v1/auth/token",
                              data={"username": user["username"], "password": user["password"]})
    check_contract(r)
    assert r.status_code == 200, r.text
    return Api(api.client, api.state, r.json()["access_token"])


async def _check_conversation(api: Api, conv: dict) -> None:
    """The conversation, its messages, attachments and reply events, as seeded."""
    got = (await api.call("GET", f"/api/v1/conversations/{conv['id']}")).json()
    for key in ("title", "status", "chatbot_id", "model", "created_at"):
        assert got[key] == conv[key], (conv["id"], key)
    assert got["metadata"] == (conv.get("metadata") or {})
    page = (await api.call("GET", f"/api/v1/conversations/{conv['id']}/messages",
                           params={"limit": 100})).json()
    assert [m["id"] for m in page["items"]] == [m["id"] for m in conv["messages"]]
    for seeded, served in zip(conv["messages"], page["items"]):
        one = (await api.call("GET", f"/api/v1/messages/{seeded['id']}")).json()
        assert one == served
        assert (one["role"], one["content"], one["parent_id"], one["created_at"]) == (
            seeded["role"], seeded["content"], seeded.get("parent"), seeded["created_at"])
        assert [a["id"] for a in one["attachments"]] == [
            a["id"] for a in seeded.get("attachments", [])]
        for att in seeded.get("attachments", []):
            data = (fixtures_dir() / att["file"]).read_bytes()
            meta = (await api.call("GET", f"/api/v1/attachments/{att['id']}")).json()
            assert (meta["filename"], meta["content_type"], meta["size_bytes"], meta["sha256"]) \
                == (att["filename"], att["content_type"], len(data),
                    hashlib.sha256(data).hexdigest())
            content = await api.call("GET", f"/api/v1/attachments/{att['id']}/content")
            assert content.content == data
        if seeded["role"] == "assistant":
            events = parse_sse((await api.call(
                "GET", f"/api/v1/messages/{seeded['id']}/events")).text)
            final = json.loads(events[-1]["data"])
            assert events[-1]["event"] == "reply.completed" and final["message"] == one
            text = "".join(json.loads(e["data"])["text"] for e in events
                           if e["event"] == "reply.delta")
            assert text == seeded["content"]
    await api.call("GET", f"/api/v1/conversations/{conv['id']}/summary")


def test_every_fixture_record_reads_back_valid_through_the_api(make_api, run):
    async def go():
        anon = await make_api()
        users = {u["username"]: await _login(anon, u) for u in SEED["users"]}
        for username, api in users.items():
            me = (await api.call("GET", "/api/v1/users/me")).json()
            assert me["id"] == next(u["id"] for u in SEED["users"] if u["username"] == username)
            mine = [c for c in SEED["conversations"] if c["owner"] == username]
            listed = (await api.call("GET", "/api/v1/conversations",
                                     params={"limit": 100})).json()["items"]
            # Newest first, by creation, whatever order the file lists them in.
            assert [c["id"] for c in listed] == [c["id"] for c in sorted(
                mine, key=lambda c: c["created_at"], reverse=True)]
            for conv in mine:
                await _check_conversation(api, conv)
        providers = (await users["alice"].call("GET", "/api/v1/providers")).json()["items"]
        for seeded in SEED["providers"]:
            served = (await users["alice"].call("GET", f"/api/v1/providers/{seeded['id']}")).json()
            assert served in providers
            assert {k: served[k] for k in seeded} == seeded
        for cfg in SEED["provider_configs"]:
            served = (await users[cfg["owner"]].call(
                "GET", f"/api/v1/provider-configs/{cfg['id']}")).json()
            assert served["api_key_hint"] == key_hint(cfg["api_key"])
            assert (served["provider_id"], served["default_model"], served["created_at"]) == (
                cfg["provider_id"], cfg["default_model"], cfg["created_at"])
        conversations = {c["id"]: c for c in SEED["conversations"]}
        for share in SEED["shares"]:
            conv = conversations[share["conversation"]]
            owner = users[conv["owner"]]
            served = (await owner.call("GET", f"/api/v1/shares/{share['id']}")).json()
            assert (served["conversation_id"], served["created_at"], served["expires_at"]) == (
                conv["id"], share["created_at"], share.get("expires_at"))
            found = (await owner.call("GET", "/api/v1/shares",
                                      params={"conversation_id": conv["id"]})).json()
            assert found["items"] == [served]
            public = await anon.call("GET", served["public_path"], token=None)
            if share.get("expires_at") is None or share["expires_at"] > now():  # else 404
                assert [m["id"] for m in public.json()["messages"]] == [
                    m["id"] for m in conv["messages"]]
            else:
                assert public.status_code == 404
    run(go())


def test_fixture_ids_are_unique_and_references_resolve():
    ids = [u["id"] for u in SEED["users"]] + [p["id"] for p in SEED["providers"]]
    ids += [c["id"] for c in SEED["conversations"]] + [p["id"] for p in SEED["provider_configs"]]
    for conv in SEED["conversations"]:
        for message in conv["messages"]:
            ids.append(message["id"])
            assert message.get("parent") in (None, *[m["id"] for m in conv["messages"]])
            ids += [a["id"] for a in message.get("attachments", [])]
            for att in message.get("attachments", []):
                assert (fixtures_dir() / att["file"]).is_file()
    assert len(ids) == len(set(ids))
    users = {u["username"] for u in SEED["users"]}
    assert {c["owner"] for c in SEED["conversations"]} <= users
    assert {c["provider_id"] for c in SEED["provider_configs"]} <= {
        p["id"] for p in SEED["providers"]}
    assert {s["conversation"] for s in SEED["shares"]} <= {c["id"] for c in SEED["conversations"]}
