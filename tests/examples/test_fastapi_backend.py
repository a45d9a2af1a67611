"""The FastAPI worked example passes the suite with FastAPI's native validation and error bodies."""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conformance.test_reference_server import (_fixture_password, _free_port, _wait_until_up,
                                                     assert_suite_passes)

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


def test_each_addon_does_what_the_defaults_do_not(fastapi_server):
    """The pieces docs/conformance.md lists, one request each."""
    token = httpx.post(f"{fastapi_server}/api/v1/auth/token",
                       data={"username": "alice", "password": _fixture_password("alice")}).json()
    with httpx.Client(base_url=f"{fastapi_server}/api/v1",
                      headers={"Authorization": f"Bearer {token['access_token']}"}) as client:
        _check_addons(client)


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
