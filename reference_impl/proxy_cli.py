"""`chat-contract proxy`: the validating proxy in front of a backend, with uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chat-contract proxy",
        description="Forward traffic to a backend and report every request and response that "
                    "breaks the contract (X-Contract-Violations headers, /__mock/journal).")
    p.add_argument("--upstream", required=True, help="the backend's base URL")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds to wait on the upstream (default 60)")
    p.add_argument("--consumer-profiles", metavar="DIR",
                   help="write a consumer profile per frontend to DIR/<consumer>.yaml (docs/consumers.md)")
    p.add_argument("--record", metavar="FILE",
                   help="append every relayed exchange to FILE (JSON Lines, secrets redacted); "
                        "`chat-contract serve --fixtures FILE` seeds a server from it")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not args.upstream.startswith(("http://", "https://")):
        print("chat-contract proxy: --upstream must be an http(s) URL", file=sys.stderr)
        return 2
    import uvicorn

    from .cli import _quiet_import_warnings, log_config, with_consumer_profiles
    _quiet_import_warnings()  # before Connexion is imported (by app and proxy)
    from .connection_guard import protocol
    from .contract import load_contract
    from .edge import Edge
    from .mock.guard import TOKEN_VARIABLE
    from .proxy import Proxy
    recorder = None
    if args.record:
        from .recording import Recorder
        try:
            recorder = Recorder(Path(args.record))
        except OSError as exc:
            print(f"chat-contract proxy: --record {args.record}: {exc.strerror}", file=sys.stderr)
            return 2
    proxy = Proxy(args.upstream, load_contract(), timeout=args.timeout, recorder=recorder)
    base = f"http://{args.host}:{args.port}"
    print(f"Validating proxy on {base} -> {args.upstream}; journal at {base}/__mock/journal",
          flush=True)
    # The same variable as the server's: one exported token reads both journals.
    shown = f"the value of {TOKEN_VARIABLE}" if os.environ.get(TOKEN_VARIABLE) else proxy.mock_token
    print(f"Admin API token (send it as X-Mock-Token): {shown}", flush=True)
    print(f"Console at {base}/__mock/console (paste the token)", flush=True)
    if recorder is not None:
        print(f"Recording every exchange to {args.record} (secrets redacted)", flush=True)
    # The proxy passes the upstream's headers on as they are (no nosniff of its own, and the
    # upstream's Server: uvicorn adds none); Date is uvicorn's. Slow and idle clients are timed
    # out as by `chat-contract serve`'s defaults (connection_guard.py).
    app = Edge(proxy, nosniff=False, log=sys.stdout)
    if args.consumer_profiles:
        app = with_consumer_profiles(app, args.consumer_profiles)
    uvicorn.run(app, host=args.host, port=args.port, server_header=False,
                access_log=False, log_config=log_config(), http=protocol())
    return 0
