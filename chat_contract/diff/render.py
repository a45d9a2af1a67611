"""A diff written for a terminal, a pull request comment (Markdown) or a program (JSON)."""

from __future__ import annotations

import io
import json

from rich.console import Console
from rich.table import Table

from . import DiffResult
from .changes import Change, Effect

__all__ = ["grouped", "headline", "to_json", "to_markdown", "to_table"]


def grouped(changes: list[Change], include_docs: bool) -> list[tuple[Change, list[str]]]:
    """One row per change, however many operations share the component it is in."""
    rows: dict[tuple, tuple[Change, list[str]]] = {}
    for change in changes:
        if change.effect is Effect.DOCS and not include_docs:
            continue
        place = change.origin or f"{change.where}/{change.field}"
        key = (change.kind, change.message, place, change.where, change.field, change.breaks_clients, change.breaks_servers)
        if key not in rows:
            rows[key] = (change, [])
        if change.operation not in rows[key][1]:
            rows[key][1].append(change.operation)
    order = sorted(rows.values(), key=lambda r: (not r[0].breaks_clients, not r[0].breaks_servers, r[1][0]))
    return order


def headline(result: DiffResult) -> str:
    old, new = result.old, result.new
    lines = [
        f"{old['title']} {old['version']} -> {new['version']}"
        f" ({old['sha256'][:12] or '?'} -> {new['sha256'][:12] or '?'})",
        f"{len(result.changes)} change(s): {len(result.breaking_for_clients)} breaking for clients, "
        f"{len(result.breaking_for_servers)} breaking for servers.",
        f"Version step {result.actual_bump}; the changes need {result.required_bump}.",
    ]
    if not result.allowed:
        lines.append("FAIL: a change breaks clients and the major version did not change.")
    elif not result.version_covers:
        lines.append(f"Note: the changes need a {result.required_bump} step; the version took {result.actual_bump}.")
    return "\n".join(lines)


def _cells(change: Change, operations: list[str]) -> list[str]:
    ops = ", ".join(operations[:3]) + (f" (+{len(operations) - 3})" if len(operations) > 3 else "")
    return [
        "BREAKING" if change.breaks_clients else "ok",
        "BREAKING" if change.breaks_servers else "ok",
        ops,
        change.where,
        change.field,
        change.message,
    ]


_HEADERS = ["clients", "servers", "operation", "where", "field", "change"]


def to_table(result: DiffResult, include_docs: bool = False, width: int = 160) -> str:
    table = Table(*_HEADERS, show_lines=False)
    for change, operations in grouped(result.changes, include_docs):
        table.add_row(*_cells(change, operations))
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False)
    console.print(table)
    return headline(result) + "\n" + buffer.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(result: DiffResult, include_docs: bool = False) -> str:
    old, new = result.old, result.new
    verdict = "❌ breaks clients without a major version step" if not result.allowed else "✅ allowed"
    lines = [
        f"### Contract change: {_md(old['title'])} {old['version']} → {new['version']}",
        "",
        f"{verdict}. {len(result.breaking_for_clients)} change(s) break clients, "
        f"{len(result.breaking_for_servers)} break servers; the changes need a **{result.required_bump}** "
        f"version step, the version took **{result.actual_bump}**.",
        "",
        f"Old SHA-256 `{old['sha256']}`, new SHA-256 `{new['sha256']}`.",
        "",
        "| " + " | ".join(_HEADERS) + " |",
        "|" + "---|" * len(_HEADERS),
    ]
    for change, operations in grouped(result.changes, include_docs):
        cells = _cells(change, operations)
        cells[2] = ", ".join(operations)
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(result: DiffResult) -> str:
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
