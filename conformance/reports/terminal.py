"""The terminal table, printed line by line while the run progresses."""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import Any, TextIO

from ..redaction import redact
from ..results import Outcome, RequirementResult, RunResult

MARKS = {Outcome.PASS: "PASS", Outcome.FAIL: "FAIL", Outcome.SKIP: "skip", Outcome.UNSUPPORTED: "unsupported"}


def _wrap(text: str, indent: int, width: int | None = None) -> str:
    """`text` wrapped at word boundaries to the terminal's width, continuation lines indented."""
    width = max(width or shutil.get_terminal_size((120, 24)).columns, indent + 30)
    text = redact(text)  # before wrapping, which may cut a secret in two
    return textwrap.fill(text, width=width, subsequent_indent=" " * indent) or text


class Progress:
    """Prints each requirement's outcome as soon as it is known, and shows Schemathesis' engine
    events (phases, operations) as a rich progress display on stderr while the engine runs.

    It also keeps the results seen so far, so that an interrupted run can still be reported."""

    def __init__(self, out: TextIO | None = None, console: Any = None) -> None:
        self._out = out
        self._console = console
        self.done = 0
        self.results: list[RequirementResult] = []
        self._bar: Any = None
        self._task: Any = None
        # Set by the CLI's Ctrl-C handler: Schemathesis catches KeyboardInterrupt inside its
        # engine and may carry on, so the next event it reports stops the run here.
        self.interrupted = False

    @property
    def out(self) -> TextIO:
        # Looked up on each call so that a replaced sys.stdout (pytest's capture) is honoured.
        return self._out or sys.stdout

    def __call__(self, item: Any) -> None:
        if self.interrupted:
            self.stop()
            raise KeyboardInterrupt
        if isinstance(item, str):
            print(redact(f"  .. {item}"), file=self.out, flush=True)
            return
        if not isinstance(item, RequirementResult):
            self._engine_event(item)
            return
        self.done += 1
        self.results.append(item)
        req = item.requirement
        note = f"  ({item.reason})" if item.reason and item.outcome is not Outcome.PASS else ""
        print(_wrap(f"[{self.done:3}] {MARKS[item.outcome]:<11} {req.id:<11} {req.area:<16} {req.statement}{note}", 48),
              file=self.out, flush=True)

    def _engine_event(self, event: Any) -> None:
        """Schemathesis' own event stream: one progress task per phase, advanced per operation."""
        from schemathesis.engine import events

        if isinstance(event, events.PhaseStarted):
            self._start(f"schemathesis {event.phase.name.value}")
        elif isinstance(event, events.ScenarioStarted) and self._task is not None and event.label:
            self._bar.update(self._task, operation=event.label)
        elif isinstance(event, events.ScenarioFinished) and self._task is not None:
            self._bar.advance(self._task)
        elif isinstance(event, events.PhaseFinished | events.EngineFinished):
            self.stop()
        elif isinstance(event, events.Interrupted):
            # Schemathesis swallows Ctrl-C to finish its own run; the suite stops here instead.
            self.stop()
            raise KeyboardInterrupt

    def _start(self, description: str) -> None:
        from rich.console import Console
        from rich.progress import Progress as Bar, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.stop()
        console = self._console or Console(stderr=True)
        if not console.is_terminal:
            return  # a log file gets the phase lines only, not a redrawn display
        self._bar = Bar(SpinnerColumn(), TextColumn("{task.description}"),
                        TextColumn("{task.completed} operations"), TimeElapsedColumn(),
                        TextColumn("{task.fields[operation]}"), console=console, transient=True)
        self._bar.start()
        self._task = self._bar.add_task(description, total=None, operation="")

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = self._task = None


def render(result: RunResult, width: int | None = None) -> str:
    lines = ["", f"Conformance of {result.base_url}  profile={result.profile}  seed={result.seed}",
             f"judged against {result.contract_line()}"]
    if result.consumer:
        lines.append(result.consumer_line())
    lines.append("")
    lines.append(f"{'requirement':<12} {'area':<16} {'outcome':<12} statement")
    lines.append("-" * 100)
    for item in result.results:
        req = item.requirement
        lines.append(_wrap(f"{req.id:<12} {req.area:<16} {MARKS[item.outcome]:<12} {req.statement}", 43, width))
    for item in result.failed:
        lines.append("")
        lines.append(f"FAIL {item.requirement.id}: {item.requirement.statement}")
        for finding in item.findings[:3]:
            # A model failure's message is its shrunk sequence: shown whole (a few steps).
            shown = 80 if finding.replay else 8
            lines += ["    " + line for line in redact(finding.message).splitlines()[:shown]]
            if finding.replay:
                curl = [line for line in redact(finding.replay["curl"]).splitlines() if line.strip()]
                lines.append("    replay with curl (the pytest file is in the JSON, HTML and JUnit reports; "
                             "--replay-dir writes both as files):")
                lines += ["      " + line for line in curl[:60]]
            if finding.curl:
                lines.append(f"    replay: {redact(finding.curl)[:400]}")
    if result.leftovers:
        lines += ["", "Left on the deployment:"] + [f"    {line}" for line in result.leftovers]
    counts = result.counts()
    lines.append("")
    lines.append("  ".join(f"{k}: {v}" for k, v in counts.items())
                 + f"  in {result.duration:.1f} s"
                 + (f"  unsupported areas: {', '.join(result.unsupported_areas)}" if result.unsupported_areas else "")
                 + ("  INTERRUPTED (Ctrl-C): requirements not reached are skipped" if result.interrupted else ""))
    return redact("\n".join(lines))
