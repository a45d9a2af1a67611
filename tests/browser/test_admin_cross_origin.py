"""A page on another origin cannot drive or read the mock's admin API (/__mock/).

The attacks a page can make: simple cross-site POSTs (no preflight) to reset or restore, and
reads of the journal, with and without the token. Runs Debian's Chromium through Playwright.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from .conftest import running
from .test_cross_origin_stream import CHROMIUM, page_origin, page_result  # noqa: F401

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

TOKEN = "browser-test-admin-token"


@pytest.fixture
def mock(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("CHAT_CONTRACT_MOCK_TOKEN", TOKEN)
    with running("serve") as base_url:
        yield base_url


def test_a_page_on_another_origin_can_neither_reset_nor_read(page_origin, mock):  # noqa: F811
    admin = {"X-Mock-Token": TOKEN}
    token = httpx.post(f"{mock}/api/v1/auth/token",
                       data={"username": "alice", "password": "alice-dev-password"}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.put(f"{mock}/__mock/sessions/default/snapshots/before", headers=admin).status_code == 201
    created = httpx.post(f"{mock}/api/v1/conversations", json={"title": "must survive"}, headers=auth).json()
    shown = page_result(f"{page_origin}/admin_page.html?api={mock}&token={TOKEN}")
    results = json.loads(shown)
    # Nothing was reset or restored: alice's token and her new conversation are still there.
    assert httpx.get(f"{mock}/api/v1/conversations/{created['id']}", headers=auth).status_code == 200
    # Nothing was read: every answer the page could see is a refusal, without journal entries.
    for name in ("journal_read", "reset_with_token", "journal_with_token"):
        assert results[name]["status"] in (0, 401, 403), (name, results[name])
        assert "/api/v1/" not in results[name]["body"], (name, results[name])
    # The developer holding the token, from no page at all, is served.
    journal = httpx.get(f"{mock}/__mock/journal", headers=admin)
    assert journal.status_code == 200 and any(e["path"] == "/api/v1/conversations" for e in journal.json()["items"])
    assert httpx.get(f"{mock}/__mock/journal").status_code == 401
