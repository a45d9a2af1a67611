"""`chat-contract bench`: the reference server against Prism and bare Starlette, in one run.

Every figure comes from the same run on the same machine, so the ratios are meaningful even
where the absolute numbers are noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from chat_contract.resources import spec_path

from .load import Request, WrkMissing, run_wrk
from .servers import Server, answers, free_port, prism_command, reference_command, starlette_command

__all__ = ["main"]

USERNAME, PASSWORD = "alice", "alice-dev-password"  # a fixture user of the reference server
ENDPOINTS = ("list", "get", "create")
SCALES = (100, 100_000)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chat-contract bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short runs (about a minute in all), for CI")
    p.add_argument("--out", type=Path, help="write the figures as JSON to this file")
    p.add_argument("--chart", type=Path, help="draw a PNG bar chart of throughput to this file")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--seconds", type=float, help="seconds per measurement (default 10, --quick 2)")
    p.add_argument("--workers", type=int, default=1, help="reference server worker processes")
    p.add_argument("--db", metavar="postgresql://USER@HOST:PORT/DB",
                   help="also measure the reference server on this PostgreSQL database, beside "
                        "SQLite (the run writes to it: give a database of its own)")
    p.add_argument("--baseline", metavar="REV",
                   help="also measure the reference server of this git revision of the checkout "
                        "(e.g. a release tag or origin/main), beside this one, in the same turns")
    p.add_argument("--skip", action="append", default=[],
                   choices=["prism", "conformance", "scale", "abuse", "costs"],
                   help="leave out a part of the run (repeatable)")
    return p


def login(base_url: str, username: str = USERNAME) -> str:
    password = PASSWORD if username == USERNAME else f"{username}-dev-password"
    response = httpx.post(f"{base_url}/api/v1/auth/token",
                          data={"username": username, "password": password}, timeout=10)
    response.raise_for_status()
    return response.json()["access_token"]


def _logs_in(base_url: str) -> bool:
    try:
        return httpx.post(f"{base_url}/api/v1/auth/token", data={"username": USERNAME, "password": PASSWORD},
                          timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


def _reference(tmp: Path, name: str, workers: int = 1) -> Server:
    port = free_port()
    return Server("reference", reference_command(port, tmp / f"{name}.db", workers), port, _logs_in)


def _requests(base_url: str, token: str, conversation_id: str) -> dict[str, Request]:
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    return {
        "list": Request(method="GET", url=f"{base_url}/api/v1/conversations?limit=20", headers=auth),
        "get": Request(method="GET", url=f"{base_url}/api/v1/conversations/{conversation_id}", headers=auth),
        "create": Request(
            method="POST", url=f"{base_url}/api/v1/conversations/{conversation_id}/messages",
            headers={**auth, "Content-Type": "application/json"},
            body=json.dumps({"content": "A benchmark message", "role": "user"}),
        ),
    }


def _bodies(requests: dict[str, Request]) -> dict[str, str]:
    """The reference server's own answers, which the Starlette peer then serves verbatim."""
    bodies = {}
    for name, request in requests.items():
        response = httpx.request(request.method, request.url, headers=request.headers,
                                 content=request.body, timeout=10)
        response.raise_for_status()
        bodies[name] = response.text
    return bodies


def measure_throughput(tmp: Path, args: argparse.Namespace, seconds: float) -> dict:
    figures: dict = {"servers": {}, "endpoints": list(ENDPOINTS)}
    with _reference(tmp, "throughput", args.workers) as reference:
        token = login(reference.base_url)
        listing = httpx.get(f"{reference.base_url}/api/v1/conversations",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        conversation_id = listing["items"][0]["id"]
        bodies_file = tmp / "bodies.json"
        bodies_file.write_text(json.dumps(_bodies(_requests(reference.base_url, token, conversation_id))))
        peers = [reference]
        # Every peer is stopped however this block ends: a missing Prism, a wrk failure or SIGTERM.
        with contextlib.ExitStack() as stack:
            port = free_port()
            # Bare Starlette gets as many worker processes as the reference server: equal terms.
            peers.append(stack.enter_context(Server("starlette", starlette_command(port, bodies_file, args.workers), port,
                                                    answers("/api/v1/conversations", statuses={200}))))
            if "costs" not in args.skip:
                # The same server without its access log, on the same database (same tokens and
                # ids): what the default access log costs, measured side by side.
                port = free_port()
                peers.append(stack.enter_context(Server(
                    "reference-no-access-log",
                    reference_command(port, tmp / "throughput.db", args.workers, "--no-access-log"),
                    port, _logs_in)))
            if args.db:
                # The same server with its state in PostgreSQL (issue 19), side by side.
                port = free_port()
                peers.append(stack.enter_context(Server(
                    "reference-postgres", reference_command(port, args.db, args.workers),
                    port, _logs_in)))
            if args.baseline:
                # The same server as it was at another revision (its own source tree, the same
                # Python and dependencies), on a database of its own: a change's cost, side by side.
                port = free_port()
                peers.append(stack.enter_context(Server(
                    "reference-baseline", reference_command(port, tmp / "baseline.db", args.workers),
                    port, _logs_in, cwd=baseline_tree(tmp, args.baseline))))
            if "prism" not in args.skip:
                port = free_port()
                peers.append(stack.enter_context(Server("prism", prism_command(port, spec_path()), port,
                                                        answers("/api/v1/users/me", statuses={200, 401}),
                                                        start_timeout=120)))
            # Each database its own token (the fixtures' ids are the same in every database).
            tokens = {s.name: login(s.base_url) if s.name in ("reference-postgres", "reference-baseline") else token
                      for s in peers}
            for endpoint in ENDPOINTS:
                # Servers take turns per endpoint, so a slow spell of the machine hits all of them.
                for server in peers:
                    request = _requests(server.base_url, tokens[server.name],
                                        conversation_id)[endpoint]
                    run_wrk(request, connections=args.connections, seconds=1)  # warm-up
                    result = run_wrk(request, connections=args.connections, seconds=seconds)
                    if result.non_2xx:
                        # Throughput of error answers would flatter a server: refuse the figure.
                        raise RuntimeError(f"{server.name} {endpoint}: {result.non_2xx} non-2xx answers")
                    figures["servers"].setdefault(server.name, {})[endpoint] = {
                        "rps": result.requests_per_second, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
                        # Socket errors are wrk's timeouts (over 2 s) and resets: kept in the figures.
                        "socket_errors": result.errors,
                    }
                    _progress(f"{endpoint:<7} {server.name:<10} {result.requests_per_second:>9.0f} req/s")
    ours = figures["servers"]["reference"]
    if "reference-no-access-log" in figures["servers"]:
        quiet = figures["servers"]["reference-no-access-log"]
        figures["access_log_cost"] = {e: 1 - ours[e]["rps"] / quiet[e]["rps"] for e in ENDPOINTS}
        figures["validation_us"] = _validation_cost(_requests("http://127.0.0.1", token, conversation_id))
    if "reference-postgres" in figures["servers"]:
        postgres = figures["servers"]["reference-postgres"]
        figures["postgres_vs_sqlite"] = {e: postgres[e]["rps"] / ours[e]["rps"] for e in ENDPOINTS}
    if "reference-baseline" in figures["servers"]:
        base = figures["servers"]["reference-baseline"]
        figures["baseline"] = {"revision": args.baseline, "commit": _commit(args.baseline),
                               "ratio": {e: ours[e]["rps"] / base[e]["rps"] for e in ENDPOINTS}}
    figures["ratios"] = {
        endpoint: {
            **({"ratio_vs_prism": ours[endpoint]["rps"] / figures["servers"]["prism"][endpoint]["rps"]}
               if "prism" in figures["servers"] else {}),
            "ratio_vs_starlette": ours[endpoint]["rps"] / figures["servers"]["starlette"][endpoint]["rps"],
        }
        for endpoint in ENDPOINTS
    }
    return figures


def baseline_tree(tmp: Path, revision: str) -> Path:
    """The source at `revision` of the checkout the command runs in, extracted into `tmp` (git
    archive: no work tree touched)."""
    root = Path.cwd()  # the checkout the command runs in
    tree = tmp / "baseline"
    tree.mkdir()
    try:
        archive = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", revision],
                                 capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", b"") or str(exc).encode()
        raise RuntimeError(f"--baseline {revision}: not a revision of the checkout at {root} "
                           f"({detail.decode(errors='replace').strip()})") from None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _commit(revision: str) -> str:
    root = Path.cwd()  # the checkout the command runs in
    return subprocess.run(["git", "-C", str(root), "rev-parse", revision], capture_output=True, text=True,
                          check=True).stdout.strip()


def _validation_cost(requests: dict[str, Request]) -> dict[str, float]:
    """Microseconds the reference server's request validation takes for each endpoint's request
    (in this process, best of 5 rounds of 2,000): compare with 1e6 / req/s, a request's time."""
    import timeit
    from urllib.parse import urlsplit

    from reference_impl.contract import load_contract
    from reference_impl.validation import ContractValidator

    validator = ContractValidator(load_contract())
    operations = {"list": ("listConversations", {}), "get": ("getConversation", "conversation_id"),
                  "create": ("createMessage", "conversation_id")}
    costs = {}
    for endpoint, request in requests.items():
        operation_id, path_param = operations[endpoint]
        url = urlsplit(request.url)
        params = {path_param: url.path.split("/")[4]} if path_param else {}
        headers = {k.lower(): v for k, v in request.headers.items()}
        media = headers.get("content-type")
        body = (request.body or "").encode()
        op = validator.operations[operation_id]

        def call() -> None:
            validator.validate(op, params, url.query.encode(), headers, {}, media, body)
        costs[endpoint] = min(timeit.repeat(call, number=2000, repeat=5)) / 2000 * 1e6
    return costs


def measure_startup(tmp: Path, runs: int) -> float:
    """Seconds from spawning `chat-contract serve` to its first successful login (best of runs)."""
    best = float("inf")
    for i in range(runs):
        with _reference(tmp, f"startup-{i}") as server:
            best = min(best, server.ready_after_s)
    return best


def measure_conformance(tmp: Path, profiles: list[str]) -> dict:
    """Wall time of the conformance suite's profiles against a fresh reference server."""
    timings = {}
    for profile in profiles:
        with _reference(tmp, f"conformance-{profile}") as server:
            started = time.perf_counter()
            completed = subprocess.run(
                [sys.executable, "-m", "chat_contract.cli", "check", "--base-url", server.base_url,
                 "--profile", profile, "--username", USERNAME, "--password", PASSWORD,
                 "--username-2", "bob", "--password-2", "bob-dev-password"],
                capture_output=True, text=True, timeout=1800,
            )
            timings[profile] = {"seconds": time.perf_counter() - started, "exit_code": completed.returncode}
            _progress(f"conformance {profile}: {timings[profile]['seconds']:.1f} s, exit {completed.returncode}")
    return timings


def measure_scale(tmp: Path, seconds: float) -> dict:
    """List latency (one connection, first page) with few and with many conversations."""
    from .scale import add_conversations

    latencies = {}
    for count in SCALES:
        server = _reference(tmp, f"scale-{count}")
        with server:
            pass  # the first start creates the database and loads the fixtures
        add_conversations(tmp / f"scale-{count}.db", USERNAME, count)
        with server:
            token = login(server.base_url)
            request = _requests(server.base_url, token, "")["list"]
            run_wrk(request, connections=1, seconds=1)
            result = run_wrk(request, connections=1, seconds=seconds)
        latencies[str(count)] = {"p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "rps": result.requests_per_second}
        _progress(f"list with {count:>7} conversations: p50 {result.p50_ms:.2f} ms")
    small, large = (latencies[str(n)]["p50_ms"] for n in SCALES)
    return {"conversations": latencies, "ratio_p50": large / small}


def measure_abuse_scenario(tmp: Path, args: argparse.Namespace, seconds: float) -> dict:
    """Hostile requests beside ordinary reads, on a fresh reference server (see abuse.py)."""
    from .abuse import measure_abuse

    with _reference(tmp, "abuse", args.workers) as server:
        figures = measure_abuse(server.base_url, login(server.base_url),
                                connections=min(args.connections, 8), seconds=seconds,
                                server_pid=server.process.pid,
                                long_messages=200 if args.quick else 2000,
                                rounds=1 if args.quick else 3,
                                other_token=login(server.base_url, "bob"))
    _progress(f"abuse: reads p99 {figures['reads_alone']['p99_ms']:.1f} ms alone, "
              f"{figures['reads_under_abuse']['p99_ms']:.1f} ms under abuse; heavy cases "
              + ", ".join(f"{case} {c['ratio_p99']:.2f}x" for case, c in figures["heavy"].items()))
    return figures


def _progress(line: str) -> None:
    print(f"  {line}", file=sys.stderr, flush=True)


def render(figures: dict) -> str:
    lines = [f"{'endpoint':<8} {'server':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"]
    for endpoint in figures["endpoints"]:
        for server, by_endpoint in figures["servers"].items():
            f = by_endpoint[endpoint]
            errors = f" ({f['socket_errors']} socket errors)" if f.get("socket_errors") else ""
            lines.append(f"{endpoint:<8} {server:<10} {f['rps']:>9.0f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f}{errors}")
    lines.append("")
    for endpoint, ratios in figures["ratios"].items():
        parts = [f"{k.removeprefix('ratio_')} {v:.2f}x" for k, v in ratios.items()]
        lines.append(f"{endpoint:<8} reference " + ", ".join(parts))
    if "baseline" in figures:
        ratios = ", ".join(f"{e} {r:.2f}x" for e, r in figures["baseline"]["ratio"].items())
        lines.append(f"against {figures['baseline']['revision']} ({figures['baseline']['commit'][:10]}): {ratios}")
    for endpoint, cost in figures.get("access_log_cost", {}).items():
        lines.append(f"{endpoint:<8} access log costs {cost:.0%} of throughput; request validation "
                     f"{figures['validation_us'][endpoint]:.0f} us per request")
    if "startup_s" in figures:
        lines.append(f"start-up to first successful login: {figures['startup_s']:.2f} s")
    for profile, timing in figures.get("conformance", {}).items():
        lines.append(f"conformance {profile} profile: {timing['seconds']:.1f} s (exit {timing['exit_code']})")
    if "list_latency" in figures:
        scale = figures["list_latency"]
        parts = [f"{n} conversations p50 {v['p50_ms']:.2f} ms" for n, v in scale["conversations"].items()]
        lines.append("list latency: " + ", ".join(parts) + f" (ratio {scale['ratio_p50']:.2f})")
    if "abuse" in figures:
        from .abuse import render_abuse
        lines += render_abuse(figures["abuse"])
    return "\n".join(lines)


def _raise_on_sigterm(signum: int, frame: object) -> None:
    # SIGTERM's default action skips every `finally`; as an exception it unwinds through them, so
    # the servers stop and the temporary folder goes.
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    os.environ.setdefault("SCHEMATHESIS_TELEMETRY", "false")
    with tempfile.TemporaryDirectory(prefix="chat-contract-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            figures = {
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
                "connections": args.connections, "seconds_per_measurement": seconds, "workers": args.workers,
                **measure_throughput(tmp, args, seconds),
                "startup_s": measure_startup(tmp, 1 if args.quick else 3),
            }
            if "conformance" not in args.skip:
                figures["conformance"] = measure_conformance(tmp, ["smoke"] if args.quick else ["smoke", "ci"])
            if "scale" not in args.skip:
                figures["list_latency"] = measure_scale(tmp, seconds)
            if "abuse" not in args.skip:
                figures["abuse"] = measure_abuse_scenario(tmp, args, seconds)
        except (WrkMissing, FileNotFoundError, RuntimeError) as exc:
            print(f"chat-contract bench: {exc}", file=sys.stderr)
            return 2
    print(render(figures))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.chart:
        from .chart import draw

        draw(figures, args.chart)
    return 0
