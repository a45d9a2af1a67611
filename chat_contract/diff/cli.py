"""`chat-contract diff OLD NEW`: exit 0 when allowed, 1 when a change breaks clients without
a major version step, 2 when a contract cannot be read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chat_contract.consumer_profile import ConsumerProfile
from chat_contract.contract_source import SourceError, load_contract

from . import compare
from .render import to_json, to_markdown, to_table

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chat-contract diff",
        description="Compare two versions of the contract and classify every change for clients and for servers.",
        epilog="OLD and NEW are each a file, `current` (the contract this kit carries), `released` "
        "(the newest released one), a released version (spec/releases/VERSION/openapi.yaml) "
        "or a git revision (HEAD~3:spec/openapi.yaml, or a bare revision such as a tag for its "
        "spec/openapi.yaml). Exit 0: allowed; 1: a change breaks clients and the major version "
        "did not change (--strict: or the version step is not the one the changes need; --consumer: "
        "a change breaks that consumer, whatever the version); "
        "2: a contract could not be read.",
    )
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    parser.add_argument("--output", "-o", type=Path, help="write the report here instead of standard output")
    parser.add_argument("--include-docs", action="store_true", help="also list prose and example changes")
    parser.add_argument("--consumer", metavar="PROFILE", type=Path,
                        help="judge for one consumer: a profile written by `serve`/`proxy --consumer-profiles`; "
                        "exit 1 when a change breaks that consumer")
    parser.add_argument("--strict", action="store_true",
                        help="also fail unless the version step is exactly the one the changes need")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        old, new = load_contract(args.old), load_contract(args.new)
        profile = ConsumerProfile.load(args.consumer) if args.consumer else None
        result = compare(old.data, new.data, old.identity(), new.identity(), consumer=profile)
    except (SourceError, ValueError) as exc:
        print(f"chat-contract diff: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        text = to_json(result)
    elif args.format == "markdown":
        text = to_markdown(result, args.include_docs)
    else:
        text = to_table(result, args.include_docs)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if profile is not None:
        return 1 if result.breaking_for_consumer else 0
    if not result.allowed:
        return 1
    if args.strict and not result.version_agrees:
        print(f"chat-contract diff: the changes need a {result.required_bump} version step; "
              f"info.version took {result.actual_bump} ({result.old['version']} -> {result.new['version']})",
              file=sys.stderr)
        return 1
    return 0
