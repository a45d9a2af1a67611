"""Every normative statement of the contract, and the requirements that judge it.

A statement is a sentence of a `description` that promises something a client can observe: a
MUST / never / always, a documented order, a cascade, merge semantics, a privacy rule, an SSE
framing rule, a round trip, a time rule; or a fact of the schemas with the same force: each
`format: date-time` field, and each free-text request field of 1,000+ characters that the
answer carries back (a text round trip at the contract's maximum length).

`traces.yaml` maps statements to requirement ids by location (a glob over the statement's
slash-joined path in the contract) and a phrase of the statement, so an entry survives edits
elsewhere in the contract and a reworded promise shows up as untraced.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Statement", "Trace", "statements", "load_traces", "untraced", "unproven", "resolve", "TRACES_PATH", "KINDS"]

TRACES_PATH = Path(__file__).with_name("traces.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# What makes a sentence normative, by kind (case-insensitive).
KINDS = {
    "keyword": r"\b(must|never|always)\b",
    "order": r"\b(newest|oldest) first\b|\bin this order\b|\bordered by\b",
    "cascade": r"\bwith its (messages|attachments)\b|\balso removes\b|\bre-attached\b|\band its (attachments|stored)\b",
    "merge": r"\bmerge patch\b|\breplaces the stored\b|\bleaves? the others\b|\bleft as they are\b",
    "privacy": r"\bowner-private\b|\bowner-only\b|\bwrite-only\b|\bwriteonly\b|\bpersonal data\b|\bde-?anonymi[sz]ed\b",
    "sse": r"\bexactly (once|one)\b|\bevery event\b|\blast-event-id\b|\bat most once\b",
    "round trip": r"\bas sent\b|\bas uploaded\b|\bkept as\b",
    "time": r"\bdate-time\b|\butc\b|\bstrictly before\b",
}
_PATTERN = re.compile("|".join(f"(?:{p})" for p in KINDS.values()), re.IGNORECASE)
# Free text of at least this many characters is where a silent truncation hides.
LONG_TEXT = 1000


@dataclass(frozen=True)
class Statement:
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.location}: {self.text}"


@dataclass(frozen=True, kw_only=True)
class Trace:
    at: str
    says: str
    ids: tuple[str, ...]
    # The planted violations (tests/conformance/fake_server.py) that break the statement, and, for
    # an entry covering more statements than it has proofs, why one violation stands for all.
    proof: tuple[str, ...] = ()
    one_for_all: str | None = None

    def covers(self, statement: Statement) -> bool:
        return fnmatch.fnmatchcase(statement.location, self.at) and self.says.lower() in statement.text.lower()


def _sentences(text: str) -> list[str]:
    """A description split into sentences and list items, whitespace normalised."""
    flat = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.:;])\s+(?=[A-Z`*\d(])|\s+-\s+(?=\*\*)|\s+(?=\d\.\s)", flat)
    return [part.strip() for part in parts if part.strip()]


def _descriptions(node: Any, path: list[str]) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield "/".join(path), value
            elif not str(key).startswith("x-") and key not in ("examples", "example"):
                yield from _descriptions(value, path + [str(key)])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _descriptions(value, path + [str(index)])


def resolve(node: Any, spec: dict) -> Any:
    """`node` with its local `$ref`s followed (one level of the contract at a time)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _schema_facts(spec: dict) -> Iterator[Statement]:
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        for prop, sub in (schema.get("properties") or {}).items():
            if isinstance(sub, dict) and sub.get("format") == "date-time":
                yield Statement(f"components/schemas/{name}/properties/{prop}", "format: date-time")
    for template, item in spec["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = resolve(operation.get("requestBody"), spec) or {}
            answer = next((resolve(r, spec) for code, r in operation["responses"].items() if str(code)[0] == "2"), {})
            answered = set()
            for content in (answer.get("content") or {}).values():
                answered |= set((resolve(content.get("schema"), spec) or {}).get("properties") or {})
            for media, content in (body.get("content") or {}).items():
                for prop, sub in ((resolve(content.get("schema"), spec) or {}).get("properties") or {}).items():
                    sub = resolve(sub, spec)
                    if (sub.get("type") == "string" and "format" not in sub and prop in answered
                            and sub.get("maxLength", 0) >= LONG_TEXT):
                        yield Statement(f"paths/{template}/{method}/requestBody/{prop}",
                                        f"round trip: {prop} up to maxLength {sub['maxLength']}")


def statements(spec: dict) -> list[Statement]:
    """Every normative statement of the contract, in document order, each once."""
    found: list[Statement] = []
    for location, text in _descriptions(spec, []):
        found += [Statement(location, s) for s in _sentences(text) if _PATTERN.search(s)]
    found += list(_schema_facts(spec))
    return list(dict.fromkeys(found))


@cache
def load_traces(path: Path = TRACES_PATH) -> tuple[Trace, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(Trace(at=t["at"], says=t["says"], ids=tuple(t["ids"]), proof=tuple(t.get("proof", ())),
                       one_for_all=t.get("one_for_all")) for t in data["traces"])


def untraced(spec: dict, traces: tuple[Trace, ...] | None = None) -> list[Statement]:
    traces = load_traces() if traces is None else traces
    return [s for s in statements(spec) if not any(t.covers(s) for t in traces)]


def unproven(spec: dict, traces: tuple[Trace, ...] | None = None) -> list[Statement]:
    """Statements no covering trace proves with a planted violation."""
    traces = load_traces() if traces is None else traces
    return [s for s in statements(spec) if not any(t.covers(s) and t.proof for t in traces)]
