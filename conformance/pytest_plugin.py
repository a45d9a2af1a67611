"""The suite as a pytest plugin: one test per requirement, the same run as `chat-contract check`.

Inert unless `--chat-api-check` is given, so it costs nothing in other test sessions.
Settings come from `--chat-api-<flag>` options (the CLI's flags), then CHAT_API_* variables,
then `--chat-api-config`.
"""

from __future__ import annotations

import pytest

from .cli import build_parser, write_reports
from .config import resolve
from .errors import ConfigurationError
from .requirements import load
from .results import Outcome, RunResult

_FLAGS = [action.dest for action in build_parser()._actions if action.dest not in ("help",)]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chat-contract", "chat API conformance")
    group.addoption("--chat-api-check", action="store_true", help="run the conformance suite")
    for dest in _FLAGS:
        group.addoption(f"--chat-api-{dest.replace('_', '-')}", dest=f"chat_api_{dest}", default=None,
                        help=f"as `chat-contract check --{dest.replace('_', '-')}`")


class _Run:
    """Runs the suite once per session, on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.pytest_config = config
        self.result: RunResult | None = None
        self.error: str | None = None

    def get(self) -> RunResult:
        if self.result is None and self.error is None:
            flags = {dest: self.pytest_config.getoption(f"chat_api_{dest}") for dest in _FLAGS if dest != "config"}
            try:
                config = resolve(flags, config_file=self.pytest_config.getoption("chat_api_config"))
                from .runner import run

                self.result = run(config)
                write_reports(config, self.result)
            except ConfigurationError as exc:
                self.error = str(exc)
        if self.error is not None:
            raise pytest.UsageError(f"chat-contract: {self.error}")
        assert self.result is not None
        return self.result


class RequirementItem(pytest.Item):
    def __init__(self, *, requirement_id: str, run: _Run, **kwargs) -> None:  # noqa: ANN003
        super().__init__(**kwargs)
        self.requirement_id = requirement_id
        self.run = run
        self.user_properties.append(("requirement", requirement_id))

    def runtest(self) -> None:
        item = self.run.get().by_id()[self.requirement_id]
        self.user_properties.append(("outcome", item.outcome.value))
        if item.outcome is Outcome.FAIL:
            raise RequirementFailed("\n\n".join(f.message + (f"\nreplay: {f.curl}" if f.curl else "")
                                                for f in item.findings) or item.reason)
        if item.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED):
            pytest.skip(f"{item.outcome.value}: {item.reason}")

    def repr_failure(self, excinfo, style=None):  # noqa: ANN001
        if isinstance(excinfo.value, RequirementFailed):
            return f"{self.requirement_id} failed:\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):  # noqa: ANN201
        return "chat-contract", None, f"conformance::{self.name}"


class RequirementFailed(AssertionError):
    """A requirement did not hold."""


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("chat_api_check"):
        return
    run = _Run(config)
    _, requirements = load()
    for requirement in requirements:
        items.append(RequirementItem.from_parent(session, name=f"test_{requirement.id}", requirement_id=requirement.id,
                                                 run=run))
