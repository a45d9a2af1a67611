"""`chat-contract`: one command with a subcommand per part of the kit."""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

__all__ = ["main", "package_version"]

# Each subcommand lives with the part it drives and is imported only when used, so that
# `chat-contract check` never loads the reference server and the other way round.
SUBCOMMANDS = {
    "serve": ("reference_impl.cli", "Start the reference server."),
    "check": ("conformance.cli", "Check a deployment against the contract."),
    "bench": ("chat_contract.bench.cli", "Measure the reference server against Prism and Starlette."),
    "proxy": ("reference_impl.proxy_cli", "Validate live traffic to a backend against the contract."),
    "diff": ("chat_contract.diff.cli", "Compare two versions of the contract, for clients and servers."),
    "msw": ("reference_impl.mock.msw", "Write MSW handlers that answer like the reference server's mock."),
}


def package_version() -> str:
    try:
        return version("chat-contract")
    except PackageNotFoundError:  # a checkout on sys.path without installed metadata
        return "unknown"


def _usage() -> str:
    lines = ["usage: chat-contract [--version] <command> [options]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run `chat-contract <command> --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    if args[0] == "--version":
        print(f"chat-contract {package_version()}")
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"chat-contract: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
