"""The shell blocks of the README and docs/*.md, and how the docs test runs them.

Conventions (the docs follow them; tests/docs/test_docs.py enforces them):

- Fenced blocks tagged `sh`, `bash`, `shell` or `console` are run; synopses, sample output
  and tables use `text` (or no tag) and are not.
- A block written as a transcript (`console`, or lines starting with `$ `) runs each `$ `
  command (with its `\\` continuation lines); the lines after a command are its output as
  the doc shows it, and the first line is compared by shape: an `HTTP/1.1 NNN` status, the
  first key of a JSON object, an SSE `id:`/`event:` line or a leading 3-digit status must
  match. Any other block runs line by line as a script.
- Documented JSON output is compared by content too (`content_problem`): every key and value
  shown must be what the server sent, and an object shows all its keys unless it ends (or
  goes on) with `...`; a string ending in `...` is a prefix; a listing cut short with `...`
  leaves its open objects and arrays open. Values that differ from run to run (keys named
  `id`, `*_id`, `*_at`, `time`, `latency_ms`, tokens, a share's `public_path`) are compared
  by type only. Text after the JSON on its line (curl's `-w` output) must match too.
- All the blocks of one document run in order in one bash session with `set -u`, so a
  variable a block uses must be set by an earlier block of the same document.
- Addresses: the test starts `chat-contract serve` on a free port and rewrites the
  addresses the docs use for a local server (127.0.0.1:8000, localhost:8000, and
  127.0.0.1:8765 used by docs/mock-controls.md) to it; 127.0.0.1:8766 (the proxy's example
  port) goes to a second free port. Other machines' ports are never used.
- A command that starts a server (`chat-contract serve` or `chat-contract proxy`) runs in the
  background (a reader runs it in another terminal); a serve command gets a free port of its
  own unless its port is one of the above. The test waits until the port answers.
- A block that cannot run here (a staging URL, a command that installs the kit or runs the
  whole suite) is preceded by `<!-- docs-test: skip REASON -->`. Such exceptions are few:
  test_docs.py bounds their number and requires a reason for each.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN_TAGS = {"sh", "bash", "shell", "console"}
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*(?P<reason>[^>]*?)\s*-->\s*$")
FENCE = re.compile(r"^```(?P<tag>[\w-]*)[^\n]*\n(?P<body>.*?)^```\s*$", re.S | re.M)
SERVER_COMMAND = re.compile(r"^chat-contract (serve|proxy)\b")


@dataclass
class Command:
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    doc: Path
    line: int
    tag: str
    body: str
    skip: str | None

    @property
    def where(self) -> str:
        doc = self.doc.relative_to(ROOT) if self.doc.is_relative_to(ROOT) else self.doc
        return f"{doc}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.tag in RUN_TAGS and self.skip is None

    def commands(self) -> list[Command]:
        lines = self.body.splitlines()
        transcript = self.tag == "console" or any(line.startswith("$ ") for line in lines)
        commands: list[Command] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            if transcript and not line.startswith("$ "):
                if commands:
                    commands[-1].expected.append(line)
                i += 1
                continue
            text = line[2:] if transcript else line
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text += "\n" + lines[i]
            if text.strip() and not text.lstrip().startswith("#"):
                commands.append(Command(text))
            i += 1
        return commands


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(doc: Path) -> list[Block]:
    text = doc.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").splitlines()
        marker = SKIP.search(before[-1]) if before else None
        found.append(Block(doc=doc, line=text[: match.start()].count("\n") + 1, tag=match["tag"],
                           body=match["body"], skip=marker["reason"] if marker else None))
    return found


def shape_problem(expected: list[str], actual: str) -> str | None:
    """None when the command's output starts like the documented output, else why not."""
    shown = next((line for line in expected if line.strip()), None)
    got = next((line for line in actual.splitlines() if line.strip()), "")
    if shown is None:
        return None
    status = re.match(r"HTTP/[\d.]+ (\d{3})", shown)
    if status:
        return None if re.match(rf"HTTP/[\d.]+ {status[1]}\b", got) else f"expected status {status[1]}"
    key = re.match(r'\{"([^"]+)"', shown)
    if key:
        return None if re.match(rf'\{{\s*"{re.escape(key[1])}"', got) else f'expected a JSON object starting with "{key[1]}"'
    if re.match(r"(id|event): ", shown):
        return None if got == shown else f"expected {shown!r}"
    code = re.match(r"(\d{3})\b(?!\.)", shown)
    if code:
        return None if got.split()[:1] == [code[1]] else f"expected {code[1]}"
    return None


MORE = "\u2026more"  # stands for the `...` of a listing: more keys or items may follow
VOLATILE = re.compile(r"^(id|.*_id|.*_at|time|latency_ms|access_token|token|ticket|public_path)$")


def _listing_to_json(text: str) -> str | None:
    """The documented JSON with each `...` elision made a MORE marker; None if not JSON-like."""
    out, stack, i, in_string = [], [], 0, False
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1:i + 2])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("...", i):
            before = "".join(out).rstrip()[-1:]
            if not stack or before not in "{[,":
                return None
            out.append(f'"{MORE}": 0' if stack[-1] == "{" else f'"{MORE}"')
            i += 3
            continue
        elif char in "{[":
            stack.append(char)
            out.append(char)
        elif char in "}]":
            if not stack:
                return None
            stack.pop()
            out.append(char)
        else:
            out.append(char)
        i += 1
    if stack:  # cut short: every container still open may hold more
        if not "".join(out).rstrip().endswith((f'"{MORE}": 0', f'"{MORE}"')):
            return None
        tail = ""
        for n, opened in enumerate(reversed(stack)):
            if n:
                tail += f', "{MORE}": 0' if opened == "{" else f', "{MORE}"'
            tail += "}" if opened == "{" else "]"
        out.append(tail)
    return "".join(out)


def _at(where: str) -> str:
    return where.rstrip(".") or "the body"


def _differences(shown, sent, where: str = "") -> list[str]:
    """How the server's value differs from the documented one (`where`: the dotted path)."""
    if isinstance(shown, dict):
        if not isinstance(sent, dict):
            return [f"{_at(where)}: expected an object, got {sent!r:.80}"]
        found = []
        for key, value in shown.items():
            if key == MORE:
                continue
            if key not in sent:
                found.append(f"{where}{key}: not sent")
            elif VOLATILE.match(key) and value is not None:
                if type(value) is not type(sent[key]) and not isinstance(value, dict):
                    found.append(f"{where}{key}: expected a {type(value).__name__}, got {sent[key]!r:.80}")
            else:
                found += _differences(value, sent[key], f"{where}{key}.")
        extra = sorted(set(sent) - set(shown))
        if MORE not in shown and extra:
            found.append(f"{_at(where)}: not shown: {', '.join(extra)}")
        return found
    if isinstance(shown, list):
        if not isinstance(sent, list):
            return [f"{_at(where)}: expected an array, got {sent!r:.80}"]
        items = [item for item in shown if item != MORE]
        if len(sent) < len(items) or (MORE not in shown and len(sent) != len(items)):
            return [f"{_at(where)}: {len(items)} items shown, {len(sent)} sent"]
        return [d for n, item in enumerate(items) for d in _differences(item, sent[n], f"{where}{n}.")]
    if isinstance(shown, str) and shown.endswith("...") and isinstance(sent, str):
        return [] if sent.startswith(shown[:-3]) else [f"{_at(where)}: {sent!r:.80} does not start with {shown[:-3]!r}"]
    if shown != sent or type(shown) is not type(sent):
        return [f"{_at(where)}: shown {shown!r:.80}, sent {sent!r:.80}"]
    return []


def content_problem(expected: list[str], actual: str) -> str | None:
    """None when documented JSON output holds what the server sent (conventions above)."""
    shown_text = "\n".join(expected).strip()
    if not shown_text.startswith(("{", "[")):
        return None
    listing = _listing_to_json(shown_text)
    if listing is None:
        return None  # not a JSON listing (the shape was compared)
    decoder = json.JSONDecoder()
    try:
        shown, end = decoder.raw_decode(listing)
    except ValueError:
        return None
    try:
        sent, sent_end = decoder.raw_decode(actual.strip())
    except ValueError:
        return f"expected JSON, got {actual[:120]!r}"
    problems = _differences(shown, sent)
    after_shown, after_sent = listing[end:].strip(), actual.strip()[sent_end:].strip()
    if after_shown and after_shown != after_sent:
        problems.append(f"expected {after_shown!r} after the JSON, got {after_sent!r}")
    return "; ".join(problems[:5]) or None
