"""`chat-contract check`: judge a deployment against the contract."""

from __future__ import annotations

import argparse
import sys

from .config import Config, resolve
from .errors import ConfigurationError
from .reports import html, json as json_report, junit, terminal
from .results import RunResult

__all__ = ["main", "build_parser", "write_reports"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chat-contract check",
                                     description="Check a deployment against the chat API contract.")
    add = parser.add_argument
    add("--base-url", help="the deployment's root URL (CHAT_API_BASE_URL)")
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
    add("--spec", help="the contract to judge against (default: the bundled one)")
    add("--config", help="a TOML or YAML file with the same settings")
    return parser


def write_reports(config: Config, result: RunResult) -> None:
    if config.junit_xml:
        junit.write(result, config.junit_xml)
    if config.html:
        html.write(result, config.html)
    if config.json:
        json_report.write(result, config.json)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    flags = {k: v for k, v in vars(args).items() if k != "config"}
    try:
        config = resolve(flags, config_file=args.config)
        from .runner import run

        result = run(config, progress=terminal.Progress())
    except ConfigurationError as exc:
        print(f"chat-contract check: {exc}", file=sys.stderr)
        return 2
    print(terminal.render(result))
    write_reports(config, result)
    if result.crash:  # exit 2, one line; the reports above hold every verdict reached
        print(f"chat-contract check: engine crash, verdicts so far reported: {result.crash}", file=sys.stderr)
    return result.exit_code
