"""A self-contained HTML report: no external assets; every secret redacted (redaction.py)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from ..redaction import redact
from ..results import Outcome, RunResult

STYLE = """body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.pass{color:#176f2c}.fail{color:#b00020;font-weight:bold}
.skip,.unsupported{color:#777}pre{background:#f6f6f6;padding:8px;overflow-x:auto;white-space:pre-wrap}"""


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


def render(result: RunResult) -> str:
    rows = "\n".join(
        f"<tr><td>{_id_cell(i)}</td><td>{escape(i.requirement.area)}</td>"
        f"<td class='{i.outcome.value}'>{i.outcome.value}</td><td>{escape(i.requirement.statement)}</td>"
        f"<td>{escape(i.reason)}</td></tr>" for i in result.results)
    failures = "\n".join(
        f"<section id='{escape(i.requirement.id)}'><h3>{escape(i.requirement.id)}: "
        f"{escape(i.requirement.statement)}</h3>{''.join(_finding(f) for f in i.findings)}</section>"
        for i in result.results if i.outcome is Outcome.FAIL)
    counts = ", ".join(f"{k}: {v}" for k, v in result.counts().items())
    if result.interrupted:
        counts += ", <b>interrupted</b> (Ctrl-C: requirements not reached are skipped)"
    leftovers = ("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in result.leftovers) + "</ul>"
                 if result.leftovers else "<p>Nothing: what the run created was deleted.</p>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Conformance report</title>
<style>{STYLE}</style></head><body><h1>Conformance of {escape(result.base_url)}</h1>
<p class='contract'>judged against {escape(result.contract_line())}</p>
{f"<p class='consumer'>{escape(result.consumer_line())}</p>" if result.consumer else ""}
<p>profile <b>{escape(result.profile)}</b>, seed <b>{result.seed}</b> (rerun with <code>--seed {result.seed}</code>),
{counts}, {result.duration:.1f} s</p>
<table><tr><th>id</th><th>area</th><th>outcome</th><th>statement</th><th>note</th></tr>{rows}</table>
<h2>Failures</h2>{failures or '<p>None.</p>'}
<h2>Left on the deployment</h2>{leftovers}</body></html>"""


def write(result: RunResult, path: str) -> None:
    Path(path).write_text(redact(render(result)), encoding="utf-8")
