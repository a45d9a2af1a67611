"""`chat-contract check`: judge a deployment against the contract."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from chat_contract.cli import package_version

from . import profiles
from .config import Config, cache_dir, load_spec, resolve
from .errors import ConfigurationError, ConnectionProblem
from .redaction import redact
from .reports import html, json as json_report, junit, replays, terminal
from .requirements import load
from .results import Outcome, RequirementResult, RunResult

__all__ = ["main", "build_parser", "write_reports"]

EXIT_CODES = {0: "every mandatory requirement passes", 1: "a requirement fails",
              2: "configuration or connection error (nothing judged)",
              130: "interrupted (Ctrl-C); the reports hold what was judged so far"}


def _epilog() -> str:
    areas, requirements = load()
    counts = {name: sum(r.area == name for r in requirements) for name in areas}
    lines = ["areas (--only/--skip take these names; optional areas a deployment lacks are reported unsupported):"]
    lines += [f"  {name:<18} {counts[name]:>2} requirement(s){'' if area.mandatory else ', optional'}"
              for name, area in areas.items()]
    lines += ["", "profiles (--profile):"]
    lines += [f"  {p.name:<18} {p.max_examples} examples per operation, Schemathesis phases: {', '.join(p.phases)}"
              + (f", at most {p.max_seconds:.0f} s" if p.max_seconds else "") for p in profiles.PROFILES.values()]
    lines += ["", "exit codes:"] + [f"  {code:<4} {meaning}" for code, meaning in EXIT_CODES.items()]
    lines += ["", "--base-url is the server root: the contract's paths already start with /api/v1."]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chat-contract check",
                                     description="Check a deployment against the chat API contract.",
                                     epilog=_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--version", action="version", version=f"chat-contract {package_version()}")
    add("--base-url", help="the deployment's root URL, without /api/v1 (CHAT_API_BASE_URL)")
    add("--username", help="first test user (CHAT_API_USERNAME)")
    add("--password", help="first test user's password (CHAT_API_PASSWORD)")
    add("--username-2", dest="username_2", help="second test user (CHAT_API_USERNAME_2)")
    add("--password-2", dest="password_2", help="second test user's password (CHAT_API_PASSWORD_2)")
    add("--token", help="a ready token for the first user (CHAT_API_TOKEN)")
    add("--token-2", dest="token_2", help="a ready token for the second user (CHAT_API_TOKEN_2)")
    add("--profile", help="smoke, ci (default) or deep (CHAT_API_PROFILE)")
    add("--only", help="comma-separated areas to run")
    add("--skip", help="comma-separated areas to leave out")
    add("--seed", help="the generation seed (fixed by default)")
    add("--junit-xml", dest="junit_xml", help="write a JUnit XML report here")
    add("--html", help="write a self-contained HTML report here")
    add("--json", help="write a JSON report here")
    add("--replay-dir", dest="replay_dir",
        help="write each model failure's replay here: <ID>.py (pytest, httpx only) and <ID>.sh (curl)")
    add("--spec", help="the contract to judge against: a file, a released version (spec/releases/VERSION), "
        "`released`, or a git revision (HEAD~3:spec/openapi.yaml, or a tag for its spec/openapi.yaml); "
        "default: the bundled one")
    add("--keep-data", dest="keep_data", action="store_const", const=True, default=None,
        help="leave what the run created on the deployment (by default it is deleted at the end; "
             "CHAT_API_KEEP_DATA)")
    add("--consumer", help="a consumer profile (`chat-contract serve --consumer-profiles`): judge only the "
        "requirements covering the operations that frontend uses (CHAT_API_CONSUMER)")
    add("--config", help="a TOML or YAML file with the same settings")
    return parser


def write_reports(config: Config, result: RunResult) -> None:
    if config.junit_xml:
        junit.write(result, config.junit_xml)
    if config.html:
        html.write(result, config.html)
    if config.json:
        json_report.write(result, config.json)
    if config.replay_dir:
        replays.write(result, config.replay_dir)


def interrupted_result(config: Config, seen: list[RequirementResult], started: float, *,
                       crash: str | None = None) -> RunResult:
    """What was judged before Ctrl-C (or before the deployment stopped answering, `crash`);
    every requirement not reached is skipped."""
    done = {r.requirement.id: r for r in seen}
    _, requirements = load()
    # One short line per row; the cause is the run's own note (`crash`), shown once.
    reason = "not judged: the deployment stopped answering" if crash else "interrupted"
    results = [done.get(r.id) or RequirementResult(requirement=r, outcome=Outcome.SKIP, reason=reason)
               for r in requirements]
    try:
        contract = load_spec(config).identity()
    except ConfigurationError:
        contract = {}
    return RunResult(base_url=config.base_url, profile=config.profile,
                     seed=config.seed if config.seed is not None else profiles.DEFAULT_SEED,
                     results=results, duration=time.monotonic() - started, interrupted=crash is None,
                     crash=crash, leftovers=["unknown: the run stopped before its clean-up"], contract=contract)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k != "config"}
    # Hypothesis keeps its example database and caches under the user's cache folder rather
    # than a .hypothesis/ folder in whatever directory the command was started from.
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(cache_dir() / "hypothesis")
    progress = terminal.Progress()
    started = time.monotonic()
    config: Config | None = None

    def interrupt(signum, frame) -> None:  # noqa: ANN001
        progress.interrupted = True
        raise KeyboardInterrupt

    # Only the main thread may set a handler; elsewhere Ctrl-C stays Python's default.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, interrupt) if in_main else None
    try:
        config = resolve(flags, config_file=args.config)
        from .runner import run

        result = run(config, progress=progress)
    except ConfigurationError as exc:
        progress.stop()
        if isinstance(exc, ConnectionProblem) and progress.results:
            # The deployment went away mid-run: the verdicts reached so far are still reported.
            crash = f"the deployment stopped answering during the run: {getattr(exc, 'what', exc)}"
            write_reports(config, interrupted_result(config, progress.results, started, crash=crash))
        print(redact(f"chat-contract check: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        progress.stop()
        if config is None:
            return 130
        result = interrupted_result(config, progress.results, started)
        print(terminal.render(result))  # redacted, as every report
        write_reports(config, result)
        print("chat-contract check: interrupted; the reports hold what was judged so far", file=sys.stderr)
        return 130
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    print(terminal.render(result))
    write_reports(config, result)
    if result.crash:  # exit 2, one line; the reports above hold every verdict reached
        print(redact(f"chat-contract check: engine crash, verdicts so far reported: {result.crash}"),
              file=sys.stderr)
    return result.exit_code
