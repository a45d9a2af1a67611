"""The mock's console (/__mock/console) in Debian's Chromium: what another tab does shows up in
its journal, a violation is highlighted, a snapshot is restored, a preset applies, a reset
works; the proxy's journal is shown the same way. Screenshots: reports/browser/<test>/.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest

from ..postgres import fresh_database
from .conftest import running
from .test_cross_origin_stream import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

TOKEN = "console-test-admin-token"
SESSION = "console-run"
WAIT = 30_000  # ms: the console polls every second; a loaded machine may be slow

# Run in the other tab, on the server's own origin: sign in, then one request of the test's.
SIGN_IN = """async () => {
  const r = await fetch('/api/v1/auth/token', {method: 'POST',
    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
    body: 'username=alice&password=alice-dev-password'});
  return (await r.json()).access_token;
}"""
REQUEST = """async ([token, method, path, body]) => {
  const headers = {'Authorization': 'Bearer ' + token, 'X-Mock-Session': 'console-run'};
  if (body !== null) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)});
  return {status: r.status, body: await r.text()};
}"""


@pytest.fixture
def server(monkeypatch, request) -> Iterator[str]:
    """The server, on SQLite; parametrized `postgresql`, on a database of its own (where the
    journal, sessions, snapshots and presets are the shared database's)."""
    monkeypatch.setenv("CHAT_CONTRACT_MOCK_TOKEN", TOKEN)
    with contextlib.ExitStack() as stack:
        args = []
        if getattr(request, "param", "sqlite") == "postgresql":
            args = ["--db", stack.enter_context(fresh_database())]
        yield stack.enter_context(running("serve", *args))


@pytest.fixture
def proxy(server) -> Iterator[str]:
    with running("proxy", "--upstream", server) as base_url:
        yield base_url


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched.new_context(viewport={"width": 1400, "height": 900})
        finally:
            launched.close()


def _open(context, base: str):
    """The console in one tab, and another tab on the same origin that makes the requests."""
    console = context.new_page()
    console.goto(f"{base}/__mock/console#token={TOKEN}")
    other = context.new_page()
    other.goto(f"{base}/__mock/health")
    return console, other


@pytest.mark.parametrize("server", ["sqlite", "postgresql"], indirect=True)
def test_a_request_in_another_tab_shows_and_a_snapshot_is_restored(server, browser, artefacts):
    from playwright.sync_api import expect

    console, other = _open(browser, server)
    assert "token=" not in console.url  # the token left the address bar
    expect(console.locator("#sessions-panel")).to_be_visible(timeout=WAIT)
    token = other.evaluate(SIGN_IN)
    made = other.evaluate(REQUEST, [token, "POST", "/api/v1/conversations", {"title": "made in another tab"}])
    assert made["status"] == 201, made
    conversation = f"/api/v1/conversations/{json.loads(made['body'])['id']}"

    # The request appears in the console's journal, with its bodies (secrets redacted).
    row = console.locator("#journal tbody tr", has_text="/api/v1/conversations").first
    expect(row).to_contain_text(SESSION, timeout=WAIT)
    expect(row).to_contain_text("201")
    row.click()
    expect(console.locator("#detail-request")).to_contain_text("made in another tab", timeout=WAIT)
    expect(console.locator("#detail-response")).to_contain_text('"title": "made in another tab"')
    console.locator("#journal tbody tr", has_text="/api/v1/auth/token").first.click()
    expect(console.locator("#detail-request")).to_contain_text("password=[redacted]", timeout=WAIT)
    expect(console.locator("#detail-response")).to_contain_text('"access_token": "[redacted]"')
    assert "alice-dev-password" not in console.content() and token not in console.content()
    console.screenshot(path=str(artefacts / "1-journal.png"), full_page=True)

    # A snapshot of the session, taken from the console.
    console.locator("#session").select_option(SESSION)
    console.fill("#snapshot-name", "before-delete")
    console.click("#take")
    snapshot = console.locator(f"#sessions li[data-session='{SESSION}'] li[data-snapshot='before-delete']")
    expect(snapshot).to_be_visible(timeout=WAIT)

    # The other tab deletes the conversation; the console restores the snapshot; it is back.
    assert other.evaluate(REQUEST, [token, "DELETE", conversation, None])["status"] == 204
    assert other.evaluate(REQUEST, [token, "GET", conversation, None])["status"] == 404
    snapshot.get_by_role("button", name="Restore").click()
    expect(console.locator("#status")).to_have_text(f"Restored {SESSION} to snapshot before-delete", timeout=WAIT)
    assert other.evaluate(REQUEST, [token, "GET", conversation, None])["status"] == 200
    console.screenshot(path=str(artefacts / "2-restored.png"), full_page=True)

    # A Prefer preset for the session applies to the other tab's requests without Prefer.
    console.locator("#preset-operation").select_option("getConversation")
    console.locator(".quick button", has_text="code=503").click()
    console.locator("#preset-form button[type=submit]").click()
    expect(console.locator("#presets tbody tr")).to_contain_text("code=503", timeout=WAIT)
    assert other.evaluate(REQUEST, [token, "GET", conversation, None])["status"] == 503
    console.screenshot(path=str(artefacts / "3-preset.png"), full_page=True)
    console.locator("#presets tbody tr").get_by_role("button", name="Remove").click()
    expect(console.locator("#presets tbody tr")).to_have_count(0, timeout=WAIT)
    assert other.evaluate(REQUEST, [token, "GET", conversation, None])["status"] == 200

    # A reset takes the session back to the fixtures.
    console.click("#reset")
    expect(console.locator("#status")).to_have_text(f"Reset {SESSION} to the fixtures", timeout=WAIT)
    assert other.evaluate(REQUEST, [token, "GET", conversation, None])["status"] == 404


def test_the_proxys_journal_highlights_a_violation(proxy, browser, artefacts):
    from playwright.sync_api import expect

    console, other = _open(browser, proxy)
    token = other.evaluate(SIGN_IN)
    assert other.evaluate(REQUEST, [token, "GET", "/api/v1/conversations?limit=1", None])["status"] == 200
    refused = other.evaluate(REQUEST, [token, "POST", "/api/v1/conversations", {"title": 5}])
    assert refused["status"] == 422

    # (Chromium's own GET /favicon.ico is not an operation of the contract either: flagged too.)
    violation = console.locator("#journal tbody tr.violation", has_text="/api/v1/")
    expect(violation).to_have_count(1, timeout=WAIT)
    expect(violation).to_contain_text("POST")
    highlighted = violation.evaluate("row => getComputedStyle(row).backgroundColor")
    plain = console.locator("#journal tbody tr:not(.violation)", has_text="/api/v1/conversations").first
    expect(plain).to_contain_text("GET")
    assert highlighted != plain.evaluate("row => getComputedStyle(row).backgroundColor")
    assert console.locator("#sessions-panel").is_hidden()  # the proxy has no sessions
    violation.click()
    expect(console.locator("#detail-violations li").first).to_contain_text("body/title", timeout=WAIT)
    expect(console.locator("#detail-request")).to_contain_text('{"title": 5}')
    console.screenshot(path=str(artefacts / "proxy-violation.png"), full_page=True)
