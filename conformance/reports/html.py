"""A self-contained HTML report: no external assets; every secret redacted (redaction.py)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from ..redaction import redact
from ..results import Outcome, RunResult

STYLE = """body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.pass{color:#176f2c}
.fail{color:#b00020;font-weight:bold}.skip,.unsupported{color:#777}td.id,td.time{white-space:nowrap}
td.time{text-align:right}.note{background:#fff4e5;border-left:4px solid #e08a00;padding:6px 10px}
pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap}label{margin-right:1em}"""

# Rows hidden by the two filters; no other script, no external asset.
SCRIPT = """function filterRows(){var o=document.getElementById('outcome').value,
a=document.getElementById('area').value;document.querySelectorAll('#requirements tbody tr').forEach(
function(r){r.hidden=(o&&r.dataset.outcome!==o)||(a&&r.dataset.area!==a);});}"""
NOTE_CHARS = 120  # a row's note: one short line


def _finding(finding) -> str:  # noqa: ANN001
    parts = [f"<pre>{escape(finding.message)}</pre>"]
    if finding.exchange is not None:
        ex = finding.exchange
        request = "\n".join([f"{ex.method} {ex.url}"] + [f"{k}: {v}" for k, v in ex.request_headers.items()]
                            + ["", ex.request_body])
        response = "\n".join([f"HTTP {ex.status}"] + [f"{k}: {v}" for k, v in ex.response_headers.items()]
                             + ["", ex.response_body])
        parts += [f"<h4>Request</h4><pre>{escape(request)}</pre>", f"<h4>Response</h4><pre>{escape(response)}</pre>"]
    if finding.curl:
        parts.append(f"<h4>Replay</h4><pre>{escape(finding.curl)}</pre>")
    if finding.replay:  # a model failure: its shrunk sequence, replayable against the same deployment
        parts.append(f"<h4>Replay (a pytest file that needs only httpx)</h4><pre>{escape(finding.replay['pytest'])}</pre>"
                     f"<h4>Replay (curl)</h4><pre>{escape(finding.replay['curl'])}</pre>")
    return "\n".join(parts)


def _id_cell(item) -> str:  # noqa: ANN001
    """A failing requirement's id links to its detail in the Failures section."""
    rid = escape(item.requirement.id)
    return f"<a href='#{rid}'>{rid}</a>" if item.outcome is Outcome.FAIL else rid


def _time(item) -> str:  # noqa: ANN001
    if item.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED) and not item.duration:
        return "&ndash;"  # not run
    shown = f"{item.duration * 1000:.0f} ms" if item.duration < 1 else f"{item.duration:.1f} s"
    return shown + ("*" if item.requirement.check else "")


def _note(reason: str) -> str:
    """The first line of the reason, at most NOTE_CHARS characters (the detail is elsewhere)."""
    line = reason.strip().splitlines()[0] if reason.strip() else ""
    return line if len(line) <= NOTE_CHARS else line[:NOTE_CHARS - 1] + "\u2026"


def _filter(name: str, label: str, values: list[str]) -> str:
    options = "".join(f"<option value='{escape(v)}'>{escape(v)}</option>" for v in values)
    return (f"<label>{label} <select id='{name}' onchange='filterRows()'>"
            f"<option value=''>all</option>{options}</select></label>")


def _table(result: RunResult) -> str:
    """The requirements, one row each; a column every row leaves empty is left out."""
    notes = [_note(i.reason) for i in result.results]
    with_notes = any(notes)
    rows = "\n".join(
        f"<tr data-outcome='{i.outcome.value}' data-area='{escape(i.requirement.area)}'>"
        f"<td class='id'>{_id_cell(i)}</td><td>{escape(i.requirement.area)}</td>"
        f"<td class='{i.outcome.value}'>{i.outcome.value}</td><td class='time'>{_time(i)}</td>"
        f"<td>{escape(i.requirement.statement)}</td>"
        + (f"<td>{escape(note)}</td>" if with_notes else "") + "</tr>"
        for i, note in zip(result.results, notes))
    head = ("<tr><th>id</th><th>area</th><th>outcome</th><th>time</th><th>statement</th>"
            + ("<th>note</th>" if with_notes else "") + "</tr>")
    filters = (_filter("outcome", "outcome", [o.value for o in Outcome])
               + _filter("area", "area", sorted({i.requirement.area for i in result.results})))
    legend = ("<p>* judged by the Schemathesis layers together: the time is their whole run's.</p>"
              if any(i.requirement.check and i.duration for i in result.results) else "")
    return (f"<p>{filters}</p><table id='requirements'><thead>{head}</thead>"
            f"<tbody>{rows}</tbody></table>{legend}")


def _run_note(result: RunResult) -> str:
    """Why the run stopped early, once, above the table (the skipped rows refer to it)."""
    if result.crash:
        return (f"<p class='note'>The run stopped early: {escape(result.crash)}. Requirements it "
                "had not judged are skipped.</p>")
    if result.interrupted:
        return "<p class='note'>Interrupted (Ctrl-C): requirements not reached are skipped.</p>"
    return ""


def render(result: RunResult) -> str:
    failures = "\n".join(
        f"<section id='{escape(i.requirement.id)}'><h3>{escape(i.requirement.id)}: "
        f"{escape(i.requirement.statement)}</h3>{''.join(_finding(f) for f in i.findings)}</section>"
        for i in result.results if i.outcome is Outcome.FAIL)
    counts = ", ".join(f"{k}: {v}" for k, v in result.counts().items())
    leftovers = ("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in result.leftovers) + "</ul>"
                 if result.leftovers else "<p>Nothing: what the run created was deleted.</p>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Conformance report</title>
<style>{STYLE}</style><script>{SCRIPT}</script></head><body><h1>Conformance of {escape(result.base_url)}</h1>
<p class='contract'>judged against {escape(result.contract_line())}</p>
{f"<p class='consumer'>{escape(result.consumer_line())}</p>" if result.consumer else ""}
<p>profile <b>{escape(result.profile)}</b>, seed <b>{result.seed}</b> (rerun with <code>--seed {result.seed}</code>),
{counts}, {result.duration:.1f} s</p>{_run_note(result)}
{_table(result)}
<h2>Failures</h2>{failures or '<p>None.</p>'}
<h2>Left on the deployment</h2>{leftovers}</body></html>"""


def write(result: RunResult, path: str) -> None:
    Path(path).write_text(redact(render(result)), encoding="utf-8")
