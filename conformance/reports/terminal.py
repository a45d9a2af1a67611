"""The terminal table, printed line by line while the run progresses."""

from __future__ import annotations

import sys
from typing import TextIO

from ..results import Outcome, RequirementResult, RunResult

MARKS = {Outcome.PASS: "PASS", Outcome.FAIL: "FAIL", Outcome.SKIP: "skip", Outcome.UNSUPPORTED: "unsupported"}


class Progress:
    """Prints each requirement's outcome as soon as it is known."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self.done = 0

    @property
    def out(self) -> TextIO:
        # Looked up on each call so that a replaced sys.stdout (pytest's capture) is honoured.
        return self._out or sys.stdout

    def __call__(self, item: RequirementResult | str) -> None:
        if isinstance(item, str):
            print(f"  .. {item}", file=self.out, flush=True)
            return
        self.done += 1
        req = item.requirement
        note = f"  ({item.reason})" if item.reason and item.outcome is not Outcome.PASS else ""
        print(f"[{self.done:3}] {MARKS[item.outcome]:<11} {req.id:<11} {req.area:<16} {req.statement[:70]}{note}",
              file=self.out, flush=True)


def render(result: RunResult) -> str:
    lines = ["", f"Conformance of {result.base_url}  profile={result.profile}  seed={result.seed}", ""]
    lines.append(f"{'requirement':<12} {'area':<16} {'outcome':<12} statement")
    lines.append("-" * 100)
    for item in result.results:
        req = item.requirement
        lines.append(f"{req.id:<12} {req.area:<16} {MARKS[item.outcome]:<12} {req.statement[:58]}")
    for item in result.failed:
        lines.append("")
        lines.append(f"FAIL {item.requirement.id}: {item.requirement.statement}")
        for finding in item.findings[:3]:
            lines += ["    " + line for line in finding.message.splitlines()[:8]]
            if finding.curl:
                lines.append(f"    replay: {finding.curl[:400]}")
    counts = result.counts()
    lines.append("")
    lines.append("  ".join(f"{k}: {v}" for k, v in counts.items())
                 + f"  in {result.duration:.1f} s"
                 + (f"  unsupported areas: {', '.join(result.unsupported_areas)}" if result.unsupported_areas else ""))
    return "\n".join(lines)
