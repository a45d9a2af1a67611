"""The admin API under /__mock/: reset, snapshots, journal, each answer checked against its spec."""

import yaml

from chat_contract.resources import spec_dir
from reference_impl.mock.conformity import ResponseChecker

from .conftest import CONVERSATIONS, LISBON

with open(spec_dir() / "admin-openapi.yaml", encoding="utf-8") as fh:
    ADMIN = ResponseChecker(yaml.safe_load(fh))


async def admin(api, method, url, **kwargs):
    """An admin call with the start-up token, its response checked against spec/admin-openapi.yaml."""
    headers = {"X-Mock-Token": api.state.settings.mock_token, **kwargs.pop("headers", {})}
    r = await api.client.request(method, url, headers=headers, **kwargs)
    violations = ADMIN.check(method, r.request.url.path, r.request.url.query.decode(), {},
                             r.status_code, dict(r.headers), r.content)
    assert not violations, violations
    return r


def _titles(r):
    return {c["title"] for c in r.json()["items"]}


def test_reset_brings_a_session_back_to_the_fixtures(make_api, run):
    async def go():
        api = await (await make_api()).login()
        s = {"X-Mock-Session": "qa"}
        await api.call("DELETE", f"{CONVERSATIONS}/{LISBON}", headers=s)
        assert (await api.call("GET", f"{CONVERSATIONS}/{LISBON}", headers=s)).status_code == 404
        r = await admin(api, "POST", "/__mock/sessions/qa/reset")
        assert r.status_code == 200 and r.json()["name"] == "qa"
        assert (await api.call("GET", f"{CONVERSATIONS}/{LISBON}", headers=s)).status_code == 200
        # the default (shared) state resets the same way
        await api.call("DELETE", f"{CONVERSATIONS}/{LISBON}")
        await admin(api, "POST", "/__mock/sessions/default/reset")
        fresh = await api.login()  # the reset forgot every token of the shared state too
        assert (await fresh.call("GET", f"{CONVERSATIONS}/{LISBON}")).status_code == 200
    run(go())


def test_snapshot_and_restore(make_api, run):
    async def go():
        api = await (await make_api()).login()
        s = {"X-Mock-Session": "demo"}
        await api.call("POST", CONVERSATIONS, json={"title": "before"}, headers=s)
        r = await admin(api, "PUT", "/__mock/sessions/demo/snapshots/one")
        assert r.status_code == 201 and r.json()["name"] == "one"
        await api.call("POST", CONVERSATIONS, json={"title": "after"}, headers=s)
        await api.call("DELETE", f"{CONVERSATIONS}/{LISBON}", headers=s)
        r = await admin(api, "POST", "/__mock/sessions/demo/snapshots/one/restore")
        assert r.status_code == 200 and [x["name"] for x in r.json()["snapshots"]] == ["one"]
        titles = _titles(await api.call("GET", CONVERSATIONS, params={"limit": 100},
                                        headers=s))
        assert "before" in titles and "after" not in titles
        assert (await api.call("GET", f"{CONVERSATIONS}/{LISBON}", headers=s)).status_code == 200
        r = await admin(api, "POST", "/__mock/sessions/demo/snapshots/nope/restore")
        assert r.status_code == 404 and "nope" in r.json()["detail"]
        assert (await admin(api, "DELETE", "/__mock/sessions/demo/snapshots/one")
                ).status_code == 204
        listed = (await admin(api, "GET", "/__mock/sessions")).json()
        assert [x["name"] for x in listed["items"]] == ["default", "demo"]
        assert (await admin(api, "DELETE", "/__mock/sessions/demo")).status_code == 204
        assert (await admin(api, "GET", "/__mock/sessions/demo")).status_code == 404
    run(go())


def test_journal_records_each_request_per_session(make_api, run):
    async def go():
        api = await (await make_api()).login()
        await api.call("GET", CONVERSATIONS, params={"limit": 2},
                       headers={"X-Mock-Session": "j"})
        await api.call("GET", CONVERSATIONS, headers={"Prefer": "code=503"})
        r = await admin(api, "GET", "/__mock/journal", params={"session": "j"})
        (entry,) = r.json()["items"]
        assert entry["method"] == "GET" and entry["path"] == CONVERSATIONS
        assert entry["query"] == "limit=2" and entry["status"] == 200
        assert entry["latency_ms"] > 0 and entry["checked"] is False
        everything = (await admin(api, "GET", "/__mock/journal")).json()["items"]
        assert everything[0]["status"] == 503 and everything[0]["session"] == "default"
        assert [e["seq"] for e in everything] == sorted((e["seq"] for e in everything),
                                                        reverse=True)
        r = await admin(api, "GET", "/__mock/journal", params={"limit": "0"})
        assert r.status_code == 400
        assert (await admin(api, "DELETE", "/__mock/journal")).status_code == 204
        assert (await admin(api, "GET", "/__mock/journal")).json()["items"] == []
    run(go())


def test_journal_checks_responses_when_asked(make_api, run):
    async def go():
        api = await (await make_api(check_rate=1.0)).login()
        await api.call("GET", CONVERSATIONS)
        await api.call("POST", CONVERSATIONS, json={"title": "x"},
                       headers={"Prefer": "dynamic=true, seed=3"})
        entries = (await admin(api, "GET", "/__mock/journal")).json()["items"]
        assert entries and all(e["checked"] and e["violations"] == [] for e in entries)
    run(go())


def test_admin_errors_are_json(make_api, run):
    async def go():
        api = await make_api()
        r = await api.client.get("/__mock/nothing-here",
                                 headers={"X-Mock-Token": api.state.settings.mock_token})
        assert r.status_code == 404 and "detail" in r.json()
        r = await api.client.get("/__mock/openapi.yaml")
        assert r.status_code == 200 and yaml.safe_load(r.text)["openapi"] == "3.1.0"
    run(go())


def test_health_needs_no_token_and_says_when_the_database_does_not_answer(make_api, run):
    async def go():
        api = await make_api()
        for method in ("GET", "HEAD"):
            r = await api.client.request(method, "/__mock/health")
            assert r.status_code == 200, (method, r.text)
        r = await api.client.get("/__mock/health")
        violations = ADMIN.check("GET", "/__mock/health", "", {}, r.status_code, dict(r.headers), r.content)
        assert not violations, violations
        assert r.json() == {"status": "ok", "checks": {"store": "ok"}}
        # Not journalled: pollers would otherwise push real traffic out of the journal.
        journal = await admin(api, "GET", "/__mock/journal")
        assert all(e["path"] != "/__mock/health" for e in journal.json()["items"])
        api.state.store.conn.close()  # the database goes away
        r = await api.client.get("/__mock/health")
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.json() == {"detail": "Not ready: the database does not answer"}
        violations = ADMIN.check("GET", "/__mock/health", "", {}, r.status_code, dict(r.headers), r.content)
        assert not violations, violations
    run(go())


def test_an_entry_keeps_its_bodies_with_secrets_redacted(make_api, run):
    async def go():
        api = await (await make_api()).login()  # createToken: a password in, a token out
        await api.call("POST", CONVERSATIONS, json={"title": "kept in the journal"})
        secret = "sk-live-do-not-show-0123456789"
        await api.call("POST", "/api/v1/provider-configs",
                       json={"provider_id": "2b9e6f1a-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "api_key": secret})
        items = (await admin(api, "GET", "/__mock/journal")).json()["items"]
        assert all("request" not in e for e in items)  # the list stays light
        by_path = {(e["method"], e["path"]): e["seq"] for e in items}
        created = (await admin(api, "GET", f"/__mock/journal/{by_path['POST', CONVERSATIONS]}")).json()
        assert created["request"] == {"media_type": "application/json", "size": created["request"]["size"],
                                      "truncated": False, "text": '{"title": "kept in the journal"}'}
        assert '"title": "kept in the journal"' in created["response"]["text"]
        token = (await admin(api, "GET", f"/__mock/journal/{by_path['POST', '/api/v1/auth/token']}")).json()
        assert token["request"]["text"] == "username=alice&password=[redacted]"
        assert '"access_token": "[redacted]"' in token["response"]["text"]
        assert api.token not in str(token)
        config = (await admin(api, "GET", f"/__mock/journal/{by_path['POST', '/api/v1/provider-configs']}")).json()
        assert secret not in str(config) and '"api_key": "[redacted]"' in config["request"]["text"]
        r = await admin(api, "GET", "/__mock/journal/99999")
        assert r.status_code == 404
    run(go())


def test_a_long_body_is_cut_and_still_redacted():
    from reference_impl.mock.journal import BODY_LIMIT, Body, Journal

    journal = Journal()
    body = ('{"pad": "' + "x" * (BODY_LIMIT - 40) + '", "password": "hunter2-hunter2-hunter2"}').encode()
    journal.record("s", 0.0, "POST", "/p", "ticket=abc&x=1", 200, 1.0, None,
                   Body.of("application/json", body), Body.of("application/octet-stream", b"\x00" * 10))
    (listed,) = journal.read("s")
    assert listed["query"] == "ticket=[redacted]&x=1"
    entry = journal.entry(listed["seq"])
    assert entry["request"]["truncated"] and entry["request"]["size"] == len(body)
    assert "hunter2" not in entry["request"]["text"] and '"password": "[redacted]"' in entry["request"]["text"]
    assert entry["response"] == {"media_type": "application/octet-stream", "size": 10, "truncated": False,
                                 "text": None}
    # The kept bytes count against the journal's bound.
    assert journal.size_bytes() >= BODY_LIMIT


def test_presets_apply_to_a_sessions_requests_without_prefer(make_api, run):
    async def go():
        api = await (await make_api()).login()
        s = {"X-Mock-Session": "ui"}
        r = await admin(api, "PUT", "/__mock/sessions/ui/presets",
                        json={"items": [{"operation": "listConversations", "prefer": "code=503"},
                                        {"operation": "*", "prefer": "delay=1"}]})
        assert r.status_code == 200 and r.json()["items"][0] == {"operation": "listConversations",
                                                                 "prefer": "code=503"}
        assert "createReply" in r.json()["operations"]
        assert (await api.call("GET", CONVERSATIONS, headers=s)).status_code == 503
        assert (await api.call("GET", CONVERSATIONS, headers={**s, "Prefer": "code=429"})).status_code == 429
        other = await api.call("GET", f"{CONVERSATIONS}/{LISBON}", headers=s)  # the `*` preset
        assert other.status_code == 200 and other.headers["preference-applied"] == "delay=1"
        assert (await api.call("GET", CONVERSATIONS)).status_code == 200  # another session: none
        for bad in ({"items": [{"operation": "nope", "prefer": "code=503"}]},
                    {"items": [{"operation": "*", "prefer": "code=abc"}]},
                    {"items": "x"}, {"other": []}):
            r = await admin(api, "PUT", "/__mock/sessions/ui/presets", json=bad)
            assert r.status_code == 400, bad
        r = await admin(api, "PUT", "/__mock/sessions/ui/presets", json={"items": []})
        assert r.json()["items"] == []
        assert (await api.call("GET", CONVERSATIONS, headers=s)).status_code == 200
    run(go())


def test_the_console_page_is_static_and_locked_down(make_api, run):
    async def go():
        api = await make_api()
        r = await api.client.get("/__mock/console")  # no token: the page holds no data
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        policy = r.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
        assert "innerHTML" not in r.text  # journal data is set as text only
        # What it shows needs the token, as every admin route.
        assert (await api.client.get("/__mock/journal")).status_code == 401
    run(go())
