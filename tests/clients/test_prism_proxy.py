"""Prism, as a validating proxy in front of the reference server, flags no response.

Not in a reply stream, and not in any answer to valid requests to every operation (the upstream
Schemathesis CLI in positive mode, through Prism; Prism logs each violation on a line of its
own, `Violation: response...`).

OpenAPI 3.1 applies a response schema to the whole body, and Prism does: the event-stream
body schema (`ReplyEventStream`) accepts the stream as text as well as one parsed event
(spec/RECONCILIATION.md, "One stream schema, two readings").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chat_contract.bench.servers import Server, answers, free_port

from .test_generated_clients import BIN, SPEC

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(shutil.which("node") is None or not (BIN / "prism").exists(),
                                reason="node and `npm ci` are needed for Prism")


@pytest.fixture
def prism(tmp_path, monkeypatch) -> Iterator[str]:
    port, proxy_port = free_port(), free_port()
    command = [sys.executable, "-m", "chat_contract.cli", "serve", "--port", str(port),
               "--db", str(tmp_path / "prism.db")]
    with Server("reference", command, port, answers("/api/v1/users/me", statuses={401})):
        # Prism's log (its violations, one line each) goes to prism.log beside the database.
        proxy = ["sh", "-c", 'exec "$0" "$@" > "$PRISM_LOG" 2>&1', str(BIN / "prism"), "proxy",
                 str(SPEC), f"http://127.0.0.1:{port}", "--host", "127.0.0.1", "--port", str(proxy_port)]
        monkeypatch.setenv("PRISM_LOG", str(tmp_path / "prism.log"))
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


@pytest.mark.skipif(SCHEMATHESIS is None, reason="the schemathesis command is not installed")
def test_prism_reports_no_response_violation_under_schemathesis(prism, tmp_path):
    """Valid requests to every operation (Schemathesis' positive mode, every check) through Prism."""
    token = httpx.post(f"{prism}/api/v1/auth/token",
                       data={"username": "alice", "password": "alice-dev-password"}).json()["access_token"]
    run = subprocess.run([SCHEMATHESIS, "run", str(SPEC), "--url", prism, "--mode", "positive",
                          "--checks", "all", "--seed", "1", "--max-examples", "10", "--workers", "1",
                          "-H", f"Authorization: Bearer {token}", "--no-color"],
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"})
    assert run.returncode == 0, run.stdout[-4000:]
    log = (tmp_path / "prism.log").read_text(encoding="utf-8", errors="replace")
    assert log.count("Forwarding") > 100  # Prism relayed the run
    violations = [line for line in log.splitlines() if "Violation: response" in line]
    assert violations == []
