"""Outcomes of a run, one per requirement."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .exchange import Exchange
from .requirements import Requirement

__all__ = ["Outcome", "Finding", "RequirementResult", "RunResult"]


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # not selected (--only / --skip) or not reachable because a prerequisite failed
    UNSUPPORTED = "unsupported"  # an optional area the deployment does not implement


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One observed violation of a requirement."""

    message: str
    operation: str | None = None
    exchange: Exchange | None = None
    curl: str | None = None
    # A model failure's replay of its shrunk sequence: {"curl": a bash script, "pytest": a test file}.
    replay: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "operation": self.operation}
        if self.replay:
            data["replay"] = dict(self.replay)
        if self.exchange is not None:
            data.update(self.exchange.as_dict())
        if self.curl:
            data["curl"] = self.curl
        return data


@dataclass(kw_only=True)
class RequirementResult:
    requirement: Requirement
    outcome: Outcome
    findings: list[Finding] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        req = self.requirement
        return {
            "id": req.id, "area": req.area, "mandatory": req.mandatory, "statement": req.statement,
            "operations": list(req.operations), "outcome": self.outcome.value, "reason": self.reason,
            "duration": round(self.duration, 3), "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(kw_only=True)
class RunResult:
    base_url: str
    profile: str
    seed: int
    results: list[RequirementResult]
    duration: float
    unsupported_areas: list[str] = field(default_factory=list)
    # What the run created and left on the deployment (kept, or not deletable), one line each.
    leftovers: list[str] = field(default_factory=list)
    # Stopped by Ctrl-C: the requirements not reached are skipped with reason "interrupted".
    interrupted: bool = False
    # Set when the Schemathesis engine crashed: a one-line reason; the run's exit code is 2.
    crash: str | None = None
    # The contract judged against: {"title", "version", "sha256", "source"} (every report names it).
    contract: dict[str, str] = field(default_factory=dict)
    # Focused on one consumer (--consumer): {"name", "operations", "requirements"}; empty otherwise.
    consumer: dict[str, Any] = field(default_factory=dict)

    def consumer_line(self) -> str | None:
        c = self.consumer
        if not c:
            return None
        return (f"focused on consumer {c['name']}: {len(c['operations'])} operation(s) used; "
                f"{len(c['requirements'])} requirement(s) cover them: {', '.join(c['requirements'])}")

    def contract_line(self) -> str:
        c = self.contract
        if not c:
            return "contract: unknown"
        return f"contract: {c['title']} {c['version']} (SHA-256 {c['sha256']}, {c['source']})"

    @property
    def failed(self) -> list[RequirementResult]:
        return [r for r in self.results if r.outcome is Outcome.FAIL]

    @property
    def exit_code(self) -> int:
        if self.crash:
            return 2
        return 1 if self.failed else 0

    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for result in self.results:
            counts[result.outcome.value] += 1
        return counts

    def by_id(self) -> dict[str, RequirementResult]:
        return {r.requirement.id: r for r in self.results}
