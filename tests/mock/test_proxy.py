"""`chat-contract proxy`: forwards real traffic and reports whatever breaks the contract."""

import contextlib
import json
import os
import signal
import subprocess
import time

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from reference_impl.app import load_contract
from reference_impl.proxy import Proxy

from tests.reference_impl.live import _free_port, command

from .conftest import CONVERSATIONS, LISBON, parse_sse

PROXY_TOKEN = "proxy-admin-token-for-tests"  # CHAT_CONTRACT_MOCK_TOKEN of the proxy process

CONV = "11111111-2222-4333-8444-555555555555"


def _planted_backend():
    """A backend with one planted violation: a conversation without its required `title`."""
    conversation = {"id": CONV, "title": "ok", "status": "active", "chatbot_id": None,
                    "model": None, "metadata": {}, "is_anonymized": False,
                    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}

    async def get_conversation(request):
        if request.path_params["conversation_id"] == CONV:
            broken = dict(conversation)
            del broken["title"]
            return JSONResponse(broken)
        return JSONResponse({"detail": "Not Found"}, 404)

    async def create_conversation(request):
        return JSONResponse({"detail": [{"loc": ["body", "title"], "msg": "bad",
                                         "type": "string_type"}]}, 422)

    return Starlette(routes=[
        Route("/api/v1/conversations/{conversation_id}", get_conversation),
        Route("/api/v1/conversations", create_conversation, methods=["POST"])])


def test_proxy_reports_a_planted_violation(run):
    proxy = Proxy("http://backend", load_contract(),
                  transport=httpx.ASGITransport(app=_planted_backend()))

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy),
                                     base_url="http://127.0.0.1:8080") as client:
            auth = {"Authorization": "Bearer t"}
            r = await client.get(f"{CONVERSATIONS}/{CONV}", headers=auth)
            assert r.status_code == 200 and "title" not in r.json()  # passed on, not rewritten
            assert int(r.headers["x-contract-violations"]) >= 1
            assert "'title' is a required property" in r.headers["x-contract-violation"]
            r = await client.get(f"{CONVERSATIONS}/{LISBON}", headers=auth)
            assert r.status_code == 404 and r.headers["x-contract-violations"] == "0"
            r = await client.post(CONVERSATIONS, json={"title": 5}, headers=auth)
            assert r.status_code == 422 and r.headers["x-contract-violations"] == "1"
            assert r.headers["x-contract-violation"].startswith("request: body/title")
            health = await client.get("/__mock/health")  # no token, nothing forwarded
            assert health.status_code == 200 and health.json() == {"status": "ok", "checks": {}}
            journal = (await client.get("/__mock/journal", params={"violations": "true"},
                                        headers={"X-Mock-Token": proxy.mock_token})
                       ).json()["items"]
            assert [(e["method"], e["status"]) for e in journal] == [("POST", 422),
                                                                     ("GET", 200)]
            assert all(e["checked"] for e in journal)
            assert any("title" in v for v in journal[1]["violations"])
        await proxy.client.aclose()
    run(go())


@contextlib.contextmanager
def _proxy_process(tmp_path, upstream, *args):
    port = _free_port()
    log = open(tmp_path / "proxy.log", "wb")
    process = subprocess.Popen([*command("chat-contract", "chat_contract.cli"), "proxy",
                                "--upstream", upstream, "--port", str(port), *args],
                               env={**os.environ, "CHAT_CONTRACT_MOCK_TOKEN": PROXY_TOKEN},
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a guard: a start under heavy load is slow
        while True:
            assert process.poll() is None, (tmp_path / "proxy.log").read_text()
            try:
                httpx.get(f"{base}/__mock/journal", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "proxy did not start"
                time.sleep(0.05)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        log.close()


def test_proxy_in_front_of_the_reference_server_reports_nothing(live_server, tmp_path):
    server = live_server("--token-delay", "0.001")
    with _proxy_process(tmp_path, server.base_url) as base:
        headers = {"Authorization": f"Bearer {server.token}"}
        seen = []
        with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
            def call(method, url, **kwargs):
                r = c.request(method, url, **kwargs)
                # One Date (the proxy's) and the upstream's one Server, not the proxy's beside them.
                assert len(r.headers.get_list("date")) == 1, r.headers
                assert r.headers.get_list("server") == ["uvicorn"], r.headers
                seen.append((method, url, r.status_code, r.headers["x-contract-violations"],
                             r.headers.get("x-contract-violation")))
                return r
            r = call("POST", "/api/v1/auth/token", headers={"Authorization": ""},
                     data={"username": "bob", "password": "bob-dev-password"})
            assert r.status_code == 200
            call("GET", "/api/v1/users/me")
            call("GET", CONVERSATIONS, params={"limit": 2})
            conv = call("POST", CONVERSATIONS, json={"title": "via proxy"}).json()
            url = f"{CONVERSATIONS}/{conv['id']}"
            call("GET", url)
            call("PATCH", url, json={"title": "renamed"})
            msg = call("POST", f"{url}/messages", json={"content": "hello"}).json()
            call("GET", f"{url}/messages")
            call("POST", f"{url}/replies", json={"content": "json reply"})
            streamed = call("POST", f"{url}/replies", json={"content": "streamed", "stream": True})
            events = parse_sse(streamed.text)
            assert events[-1]["event"] == "reply.completed"
            message_id = json.loads(events[0]["data"])["message_id"]
            call("GET", f"/api/v1/messages/{message_id}/events")
            att = call("POST", f"/api/v1/messages/{msg['id']}/attachments",
                       files={"file": ("a.txt", b"abc", "text/plain")}).json()
            call("GET", f"/api/v1/attachments/{att['id']}/content")
            call("GET", "/api/v1/providers")
            share = call("PUT", f"{url}/share", json={"expiry_days": 7}).json()
            call("GET", share["public_path"], headers={"Authorization": ""})
            call("GET", f"{url}/summary")
            call("GET", f"{CONVERSATIONS}/00000000-0000-4000-8000-000000000000")  # 404
            call("GET", CONVERSATIONS, headers={"Authorization": ""})             # 401
            call("GET", CONVERSATIONS, headers={"Prefer": "code=503"})            # 503
            call("DELETE", url)
        assert [s for s in seen if s[3] != "0"] == []
        journal = httpx.get(f"{base}/__mock/journal", params={"limit": 1000},
                            headers={"X-Mock-Token": PROXY_TOKEN}).json()["items"]
        assert len(journal) == len(seen)
        assert all(e["checked"] and e["violations"] == [] for e in journal)


def test_a_cross_origin_page_may_read_the_findings(run):
    async def cors_backend(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"),
            (b"access-control-allow-origin", b"http://localhost:3000"),
            (b"access-control-expose-headers", b"Retry-After")]})
        await send({"type": "http.response.body", "body": b'{"id": "x"}'})

    proxy = Proxy("http://backend", load_contract(),
                  transport=httpx.ASGITransport(app=cors_backend))

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy),
                                     base_url="http://127.0.0.1:8080") as client:
            r = await client.get("/api/v1/users/me", headers={"Origin": "http://localhost:3000"})
            assert int(r.headers["x-contract-violations"]) >= 1
            assert r.headers["access-control-expose-headers"] == \
                "Retry-After, X-Contract-Violations, X-Contract-Violation"
        await proxy.client.aclose()
    run(go())


def test_proxy_refuses_a_body_over_its_limit_instead_of_forwarding_part_of_it(run):
    """A body the proxy cannot hold whole answers 413; the upstream never sees a cut request."""
    from reference_impl.proxy import MAX_BODY

    received = []

    async def create_conversation(request):
        received.append(len(await request.body()))
        return JSONResponse({"detail": "unexpected"}, 500)

    backend = Starlette(routes=[Route("/api/v1/conversations", create_conversation, methods=["POST"])])
    proxy = Proxy("http://backend", load_contract(), transport=httpx.ASGITransport(app=backend))

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy),
                                     base_url="http://127.0.0.1:8080") as client:
            body = b'{"title": "' + b"x" * MAX_BODY + b'"}'
            r = await client.post(CONVERSATIONS, content=body,
                                  headers={"Authorization": "Bearer t", "Content-Type": "application/json"})
            assert r.status_code == 413
            assert r.json() == {"detail": f"Request body exceeds {MAX_BODY} bytes"}
            journal = (await client.get("/__mock/journal",
                                        headers={"X-Mock-Token": proxy.mock_token})
                       ).json()["items"]
            assert [(e["method"], e["status"]) for e in journal] == [("POST", 413)]
        await proxy.client.aclose()
    run(go())
    assert received == []
