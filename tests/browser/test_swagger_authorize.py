"""Swagger UI's Authorize dialog signs in with a username and password, and nothing else.

Runs Debian's Chromium through Playwright against a live reference server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import running
from .test_cross_origin_stream import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture
def server() -> Iterator[str]:
    with running("serve") as base_url:
        yield base_url


def test_the_authorize_dialog_is_a_password_sign_in(server, artefacts):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server}/docs/")
            page.get_by_role("button", name="Authorize").first.click()
            dialog = page.locator(".dialog-ux .modal-ux")
            expect(dialog.locator("#oauth_username")).to_be_visible(timeout=30_000)
            expect(dialog.locator("#oauth_password")).to_be_visible()
            # No client id, secret or credentials location, and no stream-ticket box.
            for field in ("#client_id", "#client_secret", "#password_type"):
                expect(dialog.locator(field)).to_be_hidden()
            assert "StreamTicket" not in dialog.inner_text()
            expect(dialog.get_by_text("Scopes are used to grant")).to_be_hidden()  # none here
            assert dialog.locator(".auth-container").count() == 1
            page.screenshot(path=str(artefacts / "authorize-dialog.png"))
            dialog.locator("#oauth_username").fill("alice")
            dialog.locator("#oauth_password").fill("alice-dev-password")
            dialog.get_by_role("button", name="Authorize", exact=True).click()
            # Signed in: the dialog offers a logout, and no error is shown.
            expect(dialog.get_by_role("button", name="Logout")).to_be_visible(timeout=30_000)
            assert dialog.locator(".errors").count() == 0
            dialog.get_by_role("button", name="Close").click()
            # "Try it out" on a protected read now sends the bearer token and gets 200.
            operation = page.locator("#operations-auth-getCurrentUser")
            operation.click()
            operation.get_by_role("button", name="Try it out").click()
            operation.get_by_role("button", name="Execute").click()
            expect(operation.locator(".live-responses-table tbody .response-col_status").first
                   ).to_have_text("200", timeout=30_000)
        finally:
            browser.close()
