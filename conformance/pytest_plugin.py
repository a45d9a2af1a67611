"""The suite as a pytest plugin: one test per requirement, the same run as `chat-contract check`.

Inert unless `--chat-api-check` is given, so it costs nothing in other test sessions.
Settings come from `--chat-api-<flag>` options (the CLI's flags), then CHAT_API_* variables,
then `--chat-api-config`.

With `--chat-api-check` and no test paths on the command line, only the requirements are
collected, so running it inside a project (this one included) does not also run the
project's own tests. A configuration or connection error ends the session with one message
and exit code 2, as `chat-contract check` does. The run happens once, before the first test;
each test then reports its requirement's own duration, and JUnit's classname is its area.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.runner import collect_one_node

from .cli import build_parser, write_reports
from .config import Config, cache_dir, resolve
from .errors import ConfigurationError
from .redaction import redact
from .requirements import load
from .results import Outcome, RunResult

_NOT_OPTIONS = ("help", "version", "keep_data")
_FLAGS = [action.dest for action in build_parser()._actions if action.dest not in _NOT_OPTIONS]
EXIT_CONFIGURATION = 2  # the CLI's code for configuration and connection errors


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chat-contract", "chat API conformance")
    group.addoption("--chat-api-check", action="store_true", help="run the conformance suite")
    for dest in _FLAGS:
        group.addoption(f"--chat-api-{dest.replace('_', '-')}", dest=f"chat_api_{dest}", default=None,
                        help=f"as `chat-contract check --{dest.replace('_', '-')}`")
    group.addoption("--chat-api-keep-data", dest="chat_api_keep_data", action="store_const", const=True,
                    default=None, help="as `chat-contract check --keep-data`")


def _fail(message: str) -> None:
    # The messages name the CLI's flags; here each is an option with the --chat-api- prefix.
    message = re.sub(r"(?<![\w-])--(?=[a-z])(?!chat-api-)", "--chat-api-", message)
    pytest.exit(f"chat-contract: {message}", returncode=EXIT_CONFIGURATION)


class _Run:
    """The suite's configuration, resolved when the session starts, and its one run."""

    def __init__(self, config: pytest.Config) -> None:
        self.pytest_config = config
        self.result: RunResult | None = None
        flags = {dest: config.getoption(f"chat_api_{dest}") for dest in _FLAGS + ["keep_data"]
                 if dest != "config"}
        try:
            self.config: Config = resolve(flags, config_file=config.getoption("chat_api_config"))
        except ConfigurationError as exc:
            _fail(str(exc))

    def execute(self) -> None:
        from .runner import run

        try:
            self.result = run(self.config)
        except ConfigurationError as exc:
            _fail(str(exc))
        write_reports(self.config, self.result)


_RUN = pytest.StashKey[_Run]()


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("chat_api_check"):
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(cache_dir() / "hypothesis")  # not .hypothesis/ in the working directory
        config.stash[_RUN] = _Run(config)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # Test paths that come from the ini file or the current directory are the project's own
    # tests, not what `--chat-api-check` asked for; paths given explicitly are still collected.
    if config.getoption("chat_api_check") and config.args_source is not pytest.Config.ArgsSource.ARGS:
        return True
    return None


class AreaCollector(pytest.Collector):
    """One area of the requirements; its node id makes JUnit's classname `conformance.<area>`."""

    def __init__(self, *, area: str, **kwargs) -> None:  # noqa: ANN003
        super().__init__(**kwargs)
        self.area = area

    def collect(self) -> Iterator[pytest.Item]:
        _, requirements = load()
        for requirement in requirements:
            if requirement.area == self.area:
                yield RequirementItem.from_parent(self, name=f"test_{requirement.id}", requirement_id=requirement.id)


class RequirementItem(pytest.Item):
    def __init__(self, *, requirement_id: str, **kwargs) -> None:  # noqa: ANN003
        super().__init__(**kwargs)
        self.requirement_id = requirement_id
        self.user_properties.append(("requirement", requirement_id))

    def runtest(self) -> None:
        result = self.config.stash[_RUN].result
        assert result is not None, "the suite runs before the first requirement"
        item = result.by_id()[self.requirement_id]
        self.user_properties.append(("outcome", item.outcome.value))
        if item.outcome is Outcome.FAIL:
            raise RequirementFailed("\n\n".join(f.message + (f"\nreplay: {f.curl}" if f.curl else "")
                                                for f in item.findings) or item.reason)
        if item.outcome in (Outcome.SKIP, Outcome.UNSUPPORTED):
            pytest.skip(redact(f"{item.outcome.value}: {item.reason}"))

    def repr_failure(self, excinfo, style=None):  # noqa: ANN001
        if isinstance(excinfo.value, RequirementFailed):
            return redact(f"{self.requirement_id} failed:\n{excinfo.value}")
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):  # noqa: ANN201
        return "chat-contract", None, f"conformance::{self.name}"


class RequirementFailed(AssertionError):
    """A requirement did not hold."""


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("chat_api_check"):
        return
    areas, _ = load()
    for area in areas:
        collector = AreaCollector.from_parent(session, name=area, nodeid=f"conformance/{area}", area=area)
        # Collected through pytest's own collection report, so `collected N items` counts them.
        report = collect_one_node(collector)
        session.ihook.pytest_collectreport(report=report)
        items.extend(node for node in report.result if isinstance(node, pytest.Item))


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Run the suite once before the tests report, so no test's time holds the whole run."""
    run = session.config.stash.get(_RUN, None)
    if run is None or session.config.option.collectonly:
        return
    if any(isinstance(item, RequirementItem) for item in session.items):
        run.execute()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report = yield
    if isinstance(item, RequirementItem) and call.when == "call":
        result = item.config.stash[_RUN].result
        if result is not None:
            report.duration = result.by_id()[item.requirement_id].duration  # its own share of the run
    return report
