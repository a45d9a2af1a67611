"""A page on another origin logs in, creates a conversation and streams a reply through CORS.

Runs Debian's Chromium headless through Playwright; skipped where Chromium is not installed
(`.ci/run` installs it).
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chat_contract.bench.servers import Server, answers, free_port

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

# Chromium's background services try to reach the network, which this machine does not have.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page_origin() -> Iterator[str]:
    """A static server on its own port: a different origin from the mock's."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(Path(__file__).parent))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mock(tmp_path) -> Iterator[str]:
    import sys

    port = free_port()
    command = [sys.executable, "-m", "chat_contract.cli", "serve", "--port", str(port), "--db", str(tmp_path / "mock.db")]
    with Server("reference", command, port, answers("/api/v1/users/me", statuses={401})) as server:
        yield server.base_url


def page_result(url: str) -> str:
    """What a test page shows in #out once it is no longer 'pending', in Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("document.getElementById('out').textContent !== 'pending'", timeout=30_000)
            shown = page.text_content("#out")
        finally:
            browser.close()
    assert not shown.startswith("ERROR"), shown
    return shown


def test_a_page_on_another_origin_streams_a_reply(page_origin, mock):
    shown = page_result(f"{page_origin}/stream_page.html?api={mock}")
    result = json.loads(shown)
    assert result["type"].startswith("text/event-stream")
    assert result["events"][0] == "reply.started" and result["events"][-1] == "reply.completed"
    assert "reply.delta" in result["events"]
    # The text the page assembled from the deltas is the reply the mock stored.
    token = httpx.post(f"{mock}/api/v1/auth/token", data={"username": "alice", "password": "alice-dev-password"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    messages = httpx.get(f"{mock}/api/v1/conversations/{result['conversation']}/messages", headers=headers).json()
    assistant = [m for m in messages["items"] if m["role"] == "assistant"]
    assert [m["content"] for m in assistant] == [result["text"]]
