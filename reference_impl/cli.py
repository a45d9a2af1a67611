"""`chat-contract serve`: run the reference server with uvicorn."""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

__all__ = ["main", "build_app_from_env"]

_ARGS_VARIABLE = "CHAT_CONTRACT_SERVE_ARGS"
DB_VARIABLE = "CHAT_CONTRACT_DB"  # --db when the flag is not given


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chat-contract serve",
                                description="Start the reference server.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--db", default=os.environ.get(DB_VARIABLE) or None,
                   help="where state is kept: a SQLite file (persists across restarts), or "
                        "postgresql://USER@HOST:PORT/DB (one database several hosts share); "
                        f"default: ${DB_VARIABLE}, else in memory")
    p.add_argument("--fixtures", help="folder holding seed.yaml, or a recording made by "
                                      "`chat-contract proxy --record FILE` (default: the "
                                      "bundled fixtures)")
    p.add_argument("--data-dir", help="where attachment bytes are kept "
                                      "(default: <db>.files, or a temporary folder)")
    p.add_argument("--token-delay", type=float, default=0.005,
                   help="seconds between streamed reply tokens (default 0.005)")
    p.add_argument("--workers", type=int, default=1,
                   help="uvicorn worker processes; more than one needs --db")
    p.add_argument("--max-sessions", type=int, default=32,
                   help="X-Mock-Session copies kept (default 32; in memory, or in the "
                        "postgresql:// database for every host); only an idle one (no request "
                        "for 60 s) is evicted for a new one, else the new one gets 503")
    p.add_argument("--check-responses", type=float, default=0.0, metavar="RATE",
                   help="share of responses validated against the contract for the journal "
                        "at /__mock/journal, 0 to 1 (default 0: off, ~2 ms per checked "
                        "response)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="also allow this browser origin, e.g. http://192.168.1.20:5173 for a "
                        "phone on the LAN (repeatable; localhost and loopback are always allowed)")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                   help="also answer requests for this Host name (repeatable; `*`: any). "
                        "Allowed anyway: localhost, 127.0.0.1, [::1], --host and the "
                        "--cors-origin hosts; any other answers 400 (DNS rebinding)")
    p.add_argument("--consumer-profiles", metavar="DIR",
                   help="write a consumer profile per frontend to DIR/<consumer>.yaml: the operations, "
                        "parameters, fields, statuses and stream events it used (frontends are told "
                        "apart by X-Consumer, X-Mock-Session or Origin; docs/consumers.md)")
    p.add_argument("--no-access-log", dest="access_log", action="store_false",
                   help="leave out the line per response on stdout")
    p.add_argument("--reload", action="store_true",
                   help="development: restart when the contract or the fixtures change")
    # Slow and idle clients (connection_guard.py; docs/reference-server.md, "Connections").
    p.add_argument("--header-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="close a connection whose request headers take longer (default 10)")
    p.add_argument("--body-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="close a connection whose request body takes longer (default 60)")
    p.add_argument("--keep-alive-timeout", type=float, default=5.0, metavar="SECONDS",
                   help="close a connection idle this long between requests (default 5)")
    p.add_argument("--max-connections", type=int, default=0, metavar="N",
                   help="answer 503 to connections beyond N open ones (default 1000, or fewer "
                        "under a lower open-files limit)")
    return p


def _connection_settings(args: argparse.Namespace) -> dict[str, Any]:
    """uvicorn's settings for slow and idle clients; the guard's limits set in this process."""
    from . import connection_guard
    connection_guard.configure(header_timeout=args.header_timeout,
                               body_timeout=args.body_timeout,
                               max_connections=args.max_connections)
    return {"http": connection_guard.protocol(), "timeout_keep_alive": args.keep_alive_timeout}


def _settings_from(args: argparse.Namespace):
    from .app import Settings
    from .hosts import allowed_hosts
    from .store import is_postgres_url
    return Settings(db_path=args.db, fixtures=Path(args.fixtures) if args.fixtures else None,
                    data_dir=Path(args.data_dir) if args.data_dir else None,
                    token_delay=args.token_delay,
                    # Sessions live in one process's memory, or in a PostgreSQL database
                    # every process shares: off when workers share a SQLite file.
                    max_sessions=args.max_sessions if args.workers == 1
                    or is_postgres_url(args.db) else 0,
                    check_rate=args.check_responses, cors_origins=tuple(args.cors_origin),
                    access_log=args.access_log,
                    allowed_hosts=allowed_hosts(args.host, args.cors_origin, args.allowed_host))


def _quiet_import_warnings() -> None:
    # Connexion imports starlette.testclient at import time, and Starlette warns about it;
    # the server never uses that client, so the warning is noise on every start-up.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")


def build_app_from_env():
    """Factory for uvicorn workers: settings travel in CHAT_CONTRACT_SERVE_ARGS (JSON)."""
    _quiet_import_warnings()
    from .app import create_app
    args = _parser().parse_args(json.loads(os.environ.get(_ARGS_VARIABLE, "[]")))
    _connection_settings(args)  # this worker's connections
    app = create_app(_settings_from(args))[0]
    settle_memory()
    return app


def settle_memory() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    The parsed contract, the compiled validators and Connexion's routes are hundreds of
    thousands of long-lived objects; every full collection walked them all and stalled the
    event loop. A request allocates thousands of short-lived objects, so collecting the young
    generation every 700 allocations (the default) also promoted request garbage into the
    old ones. Measured with wrk, 32 connections, creating messages: p99 390 ms before, 40 ms
    after (the same as with the collector switched off).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def with_consumer_profiles(app: Any, folder: str) -> Any:
    """The app behind a recorder of consumer profiles (reference_impl/consumer_recorder.py)."""
    from chat_contract.contract_source import load_contract

    from .consumer_recorder import ConsumerRecorder
    source = load_contract("current")
    print(f"Consumer profiles in {Path(folder).resolve()}/", flush=True)
    return ConsumerRecorder(app, source.data, Path(folder), source.identity())


def log_config() -> dict[str, Any]:
    """uvicorn's logging with the worker's process id on every line (which worker served what),
    and the server's own warnings (e.g. a failed reply) on the same stream as uvicorn's."""
    from uvicorn.config import LOGGING_CONFIG
    config = copy.deepcopy(LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        formatter["fmt"] = formatter["fmt"].replace("%(levelprefix)s",
                                                    "%(levelprefix)s [%(process)d]", 1)
    config["loggers"]["reference_impl"] = {"handlers": ["default"], "level": "INFO",
                                           "propagate": False}
    return config


def _serve_reloading(args: argparse.Namespace, argv: list[str]) -> None:
    """uvicorn's reloader (watchfiles) over the contract's and the fixtures' folders.

    Only those folders are watched, and only data files in them, so editing the server's own
    code does not restart it; a restart seeds the state afresh (in memory) or keeps it (--db).
    """
    import uvicorn

    from chat_contract.resources import fixtures_dir, spec_dir
    os.environ[_ARGS_VARIABLE] = json.dumps(argv)  # the reloaded process builds from these
    fixtures = Path(args.fixtures) if args.fixtures else fixtures_dir()
    if fixtures.is_file():  # a recording: its folder is watched
        fixtures = fixtures.parent
    uvicorn.run("reference_impl.cli:build_app_from_env", factory=True, host=args.host,
                port=args.port, reload=True, access_log=False, log_config=log_config(),
                reload_dirs=[str(spec_dir()), str(fixtures)],
                reload_includes=["*.yaml", "*.yml", "*.json", "*.jsonl", "*.txt", "*.md"],
                reload_excludes=["*.py"], **_connection_settings(args))


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not 0 <= args.check_responses <= 1 or args.max_sessions < 1:
        print("chat-contract serve: --check-responses is a rate from 0 to 1 and "
              "--max-sessions at least 1", file=sys.stderr)
        return 2
    if min(args.header_timeout, args.body_timeout, args.keep_alive_timeout) <= 0 \
            or args.max_connections < 0:
        print("chat-contract serve: the timeouts are positive seconds and --max-connections "
              "at least 0 (0: the default)", file=sys.stderr)
        return 2
    from .store import is_postgres_url
    if args.db and not is_postgres_url(args.db) and not Path(args.db).resolve().parent.is_dir():
        # SQLite would fail on it, and the attachments folder beside it would be created
        # silently: a mistyped folder is named here instead.
        print(f"chat-contract serve: --db {args.db}: folder {Path(args.db).resolve().parent} does not "
              "exist; create it first or give a file in an existing folder", file=sys.stderr)
        return 2
    if args.reload and args.workers > 1:
        print("chat-contract serve: --reload runs one worker", file=sys.stderr)
        return 2
    if args.consumer_profiles and (args.workers > 1 or args.reload):
        print("chat-contract serve: --consumer-profiles records in one process (no --workers, no --reload)",
              file=sys.stderr)
        return 2
    if args.workers > 1 and not args.db:
        print("chat-contract serve: --workers needs --db (workers share state through the "
              "database file)", file=sys.stderr)
        return 2
    import uvicorn
    _quiet_import_warnings()
    from .app import DOCS_PATH, create_app
    from .recovery import STALE
    from .services import replies
    from .mock.guard import TOKEN_VARIABLE
    from .errors import ServiceUnavailable
    from .recorded_seed import NotARecording
    if args.fixtures and not Path(args.fixtures).exists():
        print(f"chat-contract serve: --fixtures {args.fixtures} does not exist", file=sys.stderr)
        return 2
    try:
        app, state = create_app(_settings_from(args))
    except NotARecording as exc:
        print(f"chat-contract serve: --fixtures: {exc}", file=sys.stderr)
        return 2
    except (ServiceUnavailable, RuntimeError) as exc:  # PostgreSQL unreachable, psycopg missing
        detail = getattr(exc, "detail", None) or str(exc)
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        print(f"chat-contract serve: --db: {detail}{cause}", file=sys.stderr)
        return 2
    # Workers build their own app: they read the same admin token from the environment.
    os.environ[TOKEN_VARIABLE] = state.settings.mock_token
    # Before any worker serves: replies a previous run left half-written are ended now.
    ended = replies.fail_interrupted(state.store, STALE)
    base = f"http://{args.host}:{args.port}"
    print(f"Reference server on {base} - Swagger UI at {base}{DOCS_PATH}", flush=True)
    print("Fixture users (development passwords):", flush=True)
    for u in state.fixture_users:
        print(f"  {u['username']} / {u['password']}", flush=True)
    print(f"Mock admin API at {base}/__mock/ - send X-Mock-Token: {state.settings.mock_token}",
          flush=True)
    print(f"Mock console at {base}/__mock/console#token={state.settings.mock_token}", flush=True)
    if ended:
        print(f"Ended {ended} reply(ies) interrupted by the previous stop", flush=True)
    if args.reload:
        _serve_reloading(args, argv)
    elif args.workers > 1:
        os.environ[_ARGS_VARIABLE] = json.dumps(argv)  # read back by each worker process
        uvicorn.run("reference_impl.cli:build_app_from_env", factory=True, host=args.host,
                    port=args.port, workers=args.workers, access_log=False,
                    log_config=log_config(), **_connection_settings(args))
    else:
        if args.consumer_profiles:
            app = with_consumer_profiles(app, args.consumer_profiles)
        settle_memory()
        uvicorn.run(app, host=args.host, port=args.port, access_log=False,
                    log_config=log_config(), **_connection_settings(args))
    return 0
