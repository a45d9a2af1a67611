"""A diff written for a terminal, a pull request comment (Markdown) or a program (JSON)."""

from __future__ import annotations

import io
import json

from rich.console import Console
from rich.table import Table

from . import DiffResult
from .changes import Change, Effect
from .consumer import breaks_consumer

__all__ = ["grouped", "headline", "to_json", "to_markdown", "to_table"]


def grouped(result: DiffResult, include_docs: bool) -> list[tuple[Change, list[str]]]:
    """One row per change, however many operations share the component it is in."""
    rows: dict[tuple, tuple[Change, list[str]]] = {}
    for change in result.changes:
        if change.effect is Effect.DOCS and not include_docs:
            continue
        place = change.origin or f"{change.where}/{change.field}"
        key = (change.kind, change.message, place, change.where, change.field, change.breaks_clients,
               change.breaks_servers, _for_consumer(result, change))
        if key not in rows:
            rows[key] = (change, [])
        if change.operation not in rows[key][1]:
            rows[key][1].append(change.operation)
    order = sorted(rows.values(), key=lambda r: (not r[0].breaks_clients, not r[0].breaks_servers, r[1][0]))
    return order


def _for_consumer(result: DiffResult, change: Change) -> str | None:
    if result.consumer is None:
        return None
    return "BREAKING" if breaks_consumer(change, result.consumer) else "ok"


def headline(result: DiffResult) -> str:
    old, new = result.old, result.new
    lines = [
        f"{old['title']} {old['version']} -> {new['version']}"
        f" ({old['sha256'][:12] or '?'} -> {new['sha256'][:12] or '?'})",
        f"{len(result.changes)} change(s): {len(result.breaking_for_clients)} breaking for clients, "
        f"{len(result.breaking_for_servers)} breaking for servers.",
        f"Version step {result.actual_bump}; the changes need {result.required_bump}.",
    ]
    if result.consumer is not None:
        broken = result.breaking_for_consumer
        lines.append(f"Consumer {result.consumer.consumer} ({len(result.consumer.operations)} operations used): "
                     + (f"FAIL: {len(broken)} change(s) break it." if broken else "no change breaks it."))
    elif not result.allowed:
        lines.append("FAIL: a change breaks clients and the major version did not change.")
    elif not result.version_covers:
        lines.append(f"Note: the changes need a {result.required_bump} step; the version took {result.actual_bump}.")
    return "\n".join(lines)


def _cells(result: DiffResult, change: Change, operations: list[str]) -> list[str]:
    ops = ", ".join(operations[:3]) + (f" (+{len(operations) - 3})" if len(operations) > 3 else "")
    consumer = _for_consumer(result, change)
    return [
        "BREAKING" if change.breaks_clients else "ok",
        "BREAKING" if change.breaks_servers else "ok",
        *([consumer] if consumer else []),
        ops,
        change.where,
        change.field,
        change.message,
    ]


def _headers(result: DiffResult) -> list[str]:
    consumer = [f"consumer {result.consumer.consumer}"] if result.consumer is not None else []
    return ["clients", "servers", *consumer, "operation", "where", "field", "change"]


def to_table(result: DiffResult, include_docs: bool = False, width: int = 160) -> str:
    table = Table(*_headers(result), show_lines=False)
    for change, operations in grouped(result, include_docs):
        table.add_row(*_cells(result, change, operations))
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
        "| " + " | ".join(_headers(result)) + " |",
        "|" + "---|" * len(_headers(result)),
    ]
    if result.consumer is not None:
        broken = len(result.breaking_for_consumer)
        lines[2:2] = [f"For consumer **{_md(result.consumer.consumer)}**: "
                      + (f"❌ {broken} change(s) break it." if broken else "✅ no change breaks it."), ""]
    for change, operations in grouped(result, include_docs):
        cells = _cells(result, change, operations)
        cells[len(_headers(result)) - 4] = ", ".join(operations)
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(result: DiffResult) -> str:
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
