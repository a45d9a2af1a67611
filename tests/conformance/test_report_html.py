"""The HTML report: ids on one line, no empty column, filters, times, short notes, one crash note."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from conformance.reports import html
from conformance.requirements import load
from conformance.results import Finding, Outcome, RequirementResult, RunResult

CRASH = ("the deployment stopped answering during the run: GET http://127.0.0.1:9/api/v1/users/me "
         "failed: ConnectError: [Errno 111] Connection refused")


class _Table(HTMLParser):
    """The requirement table's header and rows as text, and the rows' data attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self.attrs: list[dict[str, str]] = []
        self._in, self._cell = None, None

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag == "table" and dict(attrs).get("id") == "requirements":
            self._in = "table"
        elif self._in and tag == "tr":
            self.rows.append([]) if self._in == "body" else None
            if self._in == "body":
                self.attrs.append(dict(attrs))
        elif self._in and tag == "tbody":
            self._in = "body"
        elif self._in and tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == "table":
            self._in = None
        elif self._in and tag in ("td", "th") and self._cell is not None:
            (self.head if tag == "th" else self.rows[-1]).append(self._cell)
            self._cell = None

    def handle_data(self, data):  # noqa: ANN001
        if self._cell is not None:
            self._cell += data


def _result(*, crash: str | None = None) -> RunResult:
    _, requirements = load()
    results = []
    for n, requirement in enumerate(requirements):
        if crash and n >= 5:
            results.append(RequirementResult(requirement=requirement, outcome=Outcome.SKIP,
                                             reason="not judged: the deployment stopped answering"))
        elif n == 1:
            results.append(RequirementResult(requirement=requirement, outcome=Outcome.FAIL, duration=0.25,
                                             findings=[Finding(message="Received: 500")]))
        elif n == 2:
            results.append(RequirementResult(requirement=requirement, outcome=Outcome.UNSUPPORTED,
                                             reason="GET http://x/api/v1/shares answered 404\nmore detail"))
        else:
            results.append(RequirementResult(requirement=requirement, outcome=Outcome.PASS,
                                             duration=1.5 if requirement.check else 0.042))
    return RunResult(base_url="http://127.0.0.1:9", profile="ci", seed=1, results=results, duration=9.0,
                     crash=crash)


def _table(page: str) -> _Table:
    table = _Table()
    table.feed(page)
    return table


def test_ids_do_not_wrap_and_every_column_holds_something():
    page = html.render(_result())
    assert re.search(r"td\.id[^{]*\{[^}]*white-space:nowrap", page)
    table = _table(page)
    assert table.head == ["id", "area", "outcome", "time", "statement", "note"]
    for column, name in enumerate(table.head):
        assert any(row[column].strip() for row in table.rows), f"column {name} is empty"


def test_the_note_column_is_left_out_when_no_row_has_a_note():
    result = _result()
    for item in result.results:
        item.reason = ""
    assert "note" not in _table(html.render(result)).head


def test_rows_carry_their_outcome_and_area_for_the_filters():
    page = html.render(_result())
    table = _table(page)
    _, requirements = load()
    assert [(a["data-outcome"], a["data-area"]) for a in table.attrs][:3] == [
        ("pass", requirements[0].area), ("fail", requirements[1].area), ("unsupported", requirements[2].area)]
    assert "<select id='outcome' onchange='filterRows()'>" in page and "<option value='skip'>" in page
    for area in {r.area for r in requirements}:
        assert f"<option value='{area}'>" in page


def test_each_requirement_shows_its_own_time():
    table = _table(html.render(_result()))
    times = {row[0]: row[3] for row in table.rows}
    _, requirements = load()
    assert times[requirements[1].id] == "250 ms" + ("*" if requirements[1].check else "")
    hand_written = next(r for r in requirements[3:] if not r.check)
    assert times[hand_written.id] == "42 ms"
    engine = next(r for r in requirements if r.check)
    assert times[engine.id] == "1.5 s*"  # the Schemathesis layers' shared time, marked
    assert times[requirements[2].id] == "\u2013"  # not run


def test_notes_are_one_short_line():
    table = _table(html.render(_result()))
    notes = [row[5] for row in table.rows if row[5]]
    assert notes and all("\n" not in note and len(note) <= html.NOTE_CHARS for note in notes)
    assert "GET http://x/api/v1/shares answered 404" in notes


def test_after_a_crashed_deployment_the_cause_is_said_once():
    page = html.render(_result(crash=CRASH))
    assert page.count("Connection refused") == 1
    assert "The run stopped early" in page
    skipped = [row for row in _table(page).rows if row[2] == "skip"]
    assert skipped and {row[5] for row in skipped} == {"not judged: the deployment stopped answering"}
    assert "--base-url" not in page  # the base URL was right: the deployment went away mid-run
