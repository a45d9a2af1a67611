"""The HTML report's filters work in a browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import pytest

from conformance.reports import html

from ..conformance.test_report_html import _result
from .test_cross_origin_stream import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


def test_filtering_by_outcome_and_area(tmp_path, artefacts):
    from playwright.sync_api import sync_playwright

    result = _result()
    report = tmp_path / "report.html"
    html.write(result, str(report))
    failing = next(r for r in result.results if r.outcome.value == "fail")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(report.as_uri())
            rows = page.locator("#requirements tbody tr")
            visible = "#requirements tbody tr:not([hidden])"
            assert page.locator(visible).count() == len(result.results)
            page.select_option("#outcome", "fail")
            assert page.locator(visible).count() == 1
            assert page.locator(visible).first.get_attribute("data-outcome") == "fail"
            page.select_option("#area", failing.requirement.area)
            assert page.locator(visible).count() == 1
            page.select_option("#outcome", "")
            in_area = [r for r in result.results if r.requirement.area == failing.requirement.area]
            assert page.locator(visible).count() == len(in_area) < rows.count()
            page.screenshot(path=str(artefacts / "report-filtered.png"), full_page=True)
            # Ids stay on one line even in a narrow window (the statement column wraps instead).
            page.set_viewport_size({"width": 420, "height": 800})
            page.select_option("#area", "")
            text_height = ("td => { const r = document.createRange(); r.selectNodeContents(td); "
                           "return r.getBoundingClientRect().height; }")
            heights = page.eval_on_selector_all("td.id", f"cells => cells.map(td => [td.textContent, ({text_height})(td)])")
            statement = page.eval_on_selector("#requirements tbody tr td:nth-child(5)", text_height)
            one_line = min(height for _, height in heights)
            assert statement > 1.5 * one_line  # the narrow window does wrap the long cells
            assert all(height < 1.5 * one_line for _, height in heights), heights
        finally:
            browser.close()
