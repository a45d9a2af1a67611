"""The shell blocks of the README and docs/*.md, and how the docs test runs them.

Conventions (the docs follow them; tests/docs/test_docs.py enforces them):

- Fenced blocks tagged `sh`, `bash`, `shell` or `console` are run; synopses, sample output
  and tables use `text` (or no tag) and are not.
- A block written as a transcript (`console`, or lines starting with `$ `) runs each `$ `
  command (with its `\\` continuation lines); the lines after a command are its output as
  the doc shows it, and the first line is compared by shape: an `HTTP/1.1 NNN` status, the
  first key of a JSON object, an SSE `id:`/`event:` line or a leading 3-digit status must
  match. Any other block runs line by line as a script.
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
