"""The suite's own exceptions.

    SuiteError
    ├── ConfigurationError      bad flags, environment or config file  (exit 2)
    ├── ConnectionProblem       the base URL does not answer            (exit 2)
    ├── CredentialsProblem      the test users cannot sign in           (exit 2)
    ├── EngineCrash             the Schemathesis engine stopped         (exit 2, reports kept)
    ├── RequirementFailure      a requirement does not hold             (exit 1)
    ├── PrerequisiteFailed      another requirement's failure hides this one (skip)
    └── Unsupported             an optional area is not implemented     (not a failure)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SuiteError",
    "ConfigurationError",
    "ConnectionProblem",
    "CredentialsProblem",
    "RequirementFailure",
    "EngineCrash",
    "Unsupported",
    "PrerequisiteFailed",
]


class SuiteError(Exception):
    """Anything the suite raises on purpose."""


class ConfigurationError(SuiteError):
    """The run cannot start as configured; the message says what to fix."""


class ConnectionProblem(ConfigurationError):
    """The deployment could not be reached; `hint` (in the message) says what to check first."""

    def __init__(self, what: str, hint: str = "") -> None:
        super().__init__(f"{what}. {hint}" if hint else what)
        self.what = what  # without the hint: after a crash mid-run, the base URL was right


class CredentialsProblem(ConfigurationError):
    """A test user could not sign in."""


class EngineCrash(SuiteError):
    """The Schemathesis engine raised; `findings` holds what it had judged until then."""

    def __init__(self, message: str, findings: dict[str, list[Any]]) -> None:
        super().__init__(message)
        self.findings = findings


class RequirementFailure(SuiteError):
    """What the server did differs from what the contract documents."""

    def __init__(
        self,
        *,
        summary: str,
        received: Any,
        documented: Any,
        exchange: Any = None,
        operation: str | None = None,
        replay: dict[str, str] | None = None,
    ) -> None:
        self.summary = summary
        self.replay = replay  # a model failure's replay scripts: {"curl": ..., "pytest": ...}
        self.received = received
        self.documented = documented
        self.exchange = exchange
        self.operation = operation
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.replay:  # a model failure's summary holds its own expectation and answer
            return self.summary
        return f"{self.summary}\n  Received:   {self.received}\n  Documented: {self.documented}"


class Unsupported(SuiteError):
    """An optional feature answered 404, 405 or 501: the deployment does not offer it."""


class PrerequisiteFailed(SuiteError):
    """A requirement cannot be observed because another one already failed."""
