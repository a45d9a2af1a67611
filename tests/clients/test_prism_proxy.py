"""Prism, as a validating proxy in front of the reference server, flags nothing in a reply stream.

OpenAPI 3.1 applies a response schema to the whole body, and Prism does: the event-stream
body schema (`ReplyEventStream`) accepts the stream as text as well as one parsed event
(spec/RECONCILIATION.md, "One stream schema, two readings").
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator

import httpx
import pytest

from chat_contract.bench.servers import Server, answers, free_port

from .test_generated_clients import BIN, SPEC

pytestmark = pytest.mark.skipif(shutil.which("node") is None or not (BIN / "prism").exists(),
                                reason="node and `npm ci` are needed for Prism")


@pytest.fixture
def prism(tmp_path) -> Iterator[str]:
    port, proxy_port = free_port(), free_port()
    command = [sys.executable, "-m", "chat_contract.cli", "serve", "--port", str(port),
               "--db", str(tmp_path / "prism.db")]
    with Server("reference", command, port, answers("/api/v1/users/me", statuses={401})):
        proxy = [str(BIN / "prism"), "proxy", str(SPEC), f"http://127.0.0.1:{port}",
                 "--host", "127.0.0.1", "--port", str(proxy_port)]
        with Server("prism", proxy, proxy_port, answers("/api/v1/users/me", statuses={401})) as p:
            yield p.base_url


def test_prism_flags_no_violation_in_streams(prism):
    token = httpx.post(f"{prism}/api/v1/auth/token",
                       data={"username": "alice", "password": "alice-dev-password"}).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    conversation = httpx.post(f"{prism}/api/v1/conversations", json={"title": "prism"}, headers=auth).json()
    # The control: a violation is reported in this header.
    flagged = httpx.post(f"{prism}/api/v1/conversations", json={"title": 5}, headers=auth)
    assert "sl-violations" in flagged.headers
    streamed = httpx.post(f"{prism}/api/v1/conversations/{conversation['id']}/replies", headers=auth,
                          json={"content": "Through Prism", "stream": True, "web_search": True},
                          timeout=30)
    assert streamed.status_code == 201 and "reply.completed" in streamed.text
    assert "sl-violations" not in streamed.headers, streamed.headers["sl-violations"]
    message_id = json.loads(streamed.text.split("data: ", 1)[1].split("\n", 1)[0])["message_id"]
    ticket = httpx.post(f"{prism}/api/v1/messages/{message_id}/stream-tickets", headers=auth).json()
    events = f"{prism}/api/v1/messages/{message_id}/events"
    for response in (httpx.get(events, headers=auth, timeout=30),
                     httpx.get(events, params={"ticket": ticket["ticket"]}, timeout=30),
                     httpx.get(events, headers={**auth, "Last-Event-ID": "999"}, timeout=30)):
        assert response.status_code in (200, 204)
        assert "sl-violations" not in response.headers, response.headers["sl-violations"]
