"""The FastAPI worked example passes the suite with FastAPI's native validation and error bodies."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conformance.test_reference_server import (_fixture_password, _free_port, _wait_until_up,
                                                     assert_model_passes, assert_suite_passes)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_backend"


@pytest.fixture(scope="module")
def fastapi_server():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "chat_backend.main:app", "--app-dir", str(EXAMPLE),
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, url, "the FastAPI example")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def test_native_error_bodies_meet_the_contract(fastapi_server):
    """What the suite relies on is FastAPI's own answer, not a rewritten one."""
    token = httpx.post(f"{fastapi_server}/api/v1/auth/token",
                       data={"username": "alice", "password": _fixture_password("alice")}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    r = httpx.get(f"{fastapi_server}/api/v1/conversations", params={"limit": 101}, headers=auth)
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["loc"] == ["query", "limit"] and item["input"] == "101" and item["ctx"] == {"le": 100}
    r = httpx.post(f"{fastapi_server}/api/v1/conversations", content=b'{"title": "\xff"}',
                   headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"detail": "There was an error parsing the body"}
    secret = "not a key with spaces"
    r = httpx.post(f"{fastapi_server}/api/v1/provider-configs", headers=auth,
                   json={"provider_id": "2b9e6f1a-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "api_key": secret})
    assert r.status_code == 422 and secret not in r.text
    assert r.json()["detail"][0]["input"] == "**********"  # pydantic's SecretStr, as FastAPI encodes it


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["smoke", "ci"])
def test_fastapi_example_passes(fastapi_server, tmp_path, profile):
    assert_suite_passes(fastapi_server, profile, tmp_path / "report.json")


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["smoke", "ci"])
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_model_layer_passes_with_any_seed(fastapi_server, profile, seed):
    """Five seeds, five different sets of sequences: an idiomatic FastAPI backend keeps the model."""
    assert_model_passes(fastapi_server, profile, seed)


@pytest.fixture
def alice(fastapi_server):
    """A client of the example's API, signed in as alice."""
    token = httpx.post(f"{fastapi_server}/api/v1/auth/token",
                       data={"username": "alice", "password": _fixture_password("alice")}).json()
    with httpx.Client(base_url=f"{fastapi_server}/api/v1",
                      headers={"Authorization": f"Bearer {token['access_token']}"}) as client:
        yield client


def test_each_addon_does_what_the_defaults_do_not(alice):
    """The pieces docs/conformance.md lists, one request each."""
    _check_addons(alice)


def _check_addons(client: httpx.Client) -> None:
    r = client.post("/conversations", content=b"x" * (1024 * 1024 + 1),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"
    r = client.post("/conversations", content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and isinstance(r.json()["detail"], str)
    assert client.post("/conversations", json={"is_anonymized": "yes"}).status_code == 422
    conversation = client.post("/conversations", json={"title": "t"}).json()
    path = f"/conversations/{conversation['id']}"
    assert client.patch(path, json={}).status_code == 422                        # minProperties
    assert client.patch(path, json={"status": None}).status_code == 422          # absent, not null
    assert client.put(f"{path}/share", json={"expiry_days": "7"}).status_code == 422
    assert client.put(f"{path}/share", json={"expiry_days": 7.0}).status_code == 201  # an integer
    assert client.get(f"/conversations/{conversation['id'].replace('-', '')}").status_code == 422
    assert client.get(f"{path}/messages", params={"before": "1700000000"}).status_code == 422
    message = client.post(f"{path}/messages", json={"content": "hi"}).json()
    r = client.patch(f"/messages/{message['id']}", json={"reactions": ["a", "a"]})
    assert r.status_code == 422                                                   # uniqueItems


def test_the_limits_addons_answer_before_pydantic(fastapi_server, alice):
    """JsonLimits, NoSniff, safe_upload, SignInThrottle and stream tickets (docs/conformance.md)."""
    _check_limits(alice)
    _check_stream_tickets(alice)
    _check_throttle(fastapi_server)


def _check_limits(client: httpx.Client) -> None:
    json_type = {"Content-Type": "application/json"}
    for body, kind, loc in ((b'{"title": "a\\ud800"}', "string_unicode", ["body", "title"]),
                            (b'{"title": "\xed\xa0\x80"}', "string_unicode", ["body", "title"]),
                            (b'{"metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", "too_deep", ["body"]),
                            (b'{"title": 1e999}', "number_out_of_range", ["body", "title"]),
                            (b'{"title": NaN}', "number_out_of_range", ["body", "title"])):
        r = client.post("/conversations", content=body, headers=json_type)
        assert r.status_code == 422 and r.headers["x-content-type-options"] == "nosniff"
        assert r.json()["detail"][0]["type"] == kind and r.json()["detail"][0]["loc"] == loc
    nested = b'{"metadata": ' + b"[" * 40 + b"]" * 40 + b"}"
    assert client.post("/conversations", content=nested, headers=json_type).json()["detail"][0]["type"] \
        == "too_deep"
    conversation = client.post("/conversations", json={"title": "limits"}).json()
    assert client.get(f"/conversations/{conversation['id'].upper()}").json()["id"] == conversation["id"]
    message = client.post(f"/conversations/{conversation['id']}/messages", json={"content": "hi"}).json()
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a\x01.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nabc\r\n--b--\r\n")  # httpx would escape the name
    r = client.post(f"/messages/{message['id']}/attachments", content=body,
                    headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    assert client.get(f"/messages/{message['id']}/attachments").json()["items"] == []


def _check_stream_tickets(client: httpx.Client) -> None:
    conversation = client.post("/conversations", json={}).json()
    reply = client.post(f"/conversations/{conversation['id']}/replies", json={"content": "hi"}).json()
    mine, asked = reply["assistant_message"]["id"], reply["user_message"]["id"]
    assert client.post(f"/messages/{asked}/stream-tickets").status_code == 404  # not a reply
    ticket = client.post(f"/messages/{mine}/stream-tickets").json()["ticket"]
    anonymous = httpx.Client(base_url=str(client.base_url))
    with anonymous:
        r = anonymous.get(f"/messages/{mine.upper()}/events", params={"ticket": ticket})
        assert r.status_code == 200 and r.text.startswith("event: reply.started")
        assert anonymous.get(f"/messages/{asked}/events", params={"ticket": ticket}).status_code == 401
        assert anonymous.get(f"/conversations/{conversation['id']}",
                             params={"ticket": ticket}).status_code == 401  # this operation only
    final = str(r.text.count("\nid: ") - 1)
    assert client.get(f"/messages/{mine}/events", headers={"Last-Event-ID": final}).status_code == 204


def _check_throttle(url: str) -> None:
    for _ in range(10):
        r = httpx.post(f"{url}/api/v1/auth/token", data={"username": "throttled", "password": "x"})
        assert r.status_code == 401
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": "THROTTLED", "password": "x"})
    assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60


def test_parallel_sign_in_guesses_are_held_to_the_throttle(fastapi_server):
    """The attempt is counted before the password check, atomically (issue 18 #3's race: the
    route runs in FastAPI's thread pool, and a check-then-record throttle let 40 parallel guesses
    all reach the password check)."""
    from concurrent.futures import ThreadPoolExecutor

    username = f"guess-{os.getpid()}"  # a name of its own: no other test's count is touched

    def guess(n: int) -> int:
        return httpx.post(f"{fastapi_server}/api/v1/auth/token", timeout=60,
                          data={"grant_type": "password", "username": username,
                                "password": f"wrong-{n}"}).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(guess, range(40)))
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= 10, statuses
