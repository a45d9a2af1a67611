"""The abuse scenario: hostile requests beside ordinary reads, and what they cost everyone.

One client keeps sending the expensive requests the reference server once stalled on (1 MiB
invalid bodies of three shapes, and 32,000-character messages in an anonymised conversation)
while wrk reads conversations on several connections. The figures: each hostile request's
latency, and the readers' p50/p99 alone and under abuse.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter

import httpx

from .load import Request, run_wrk

__all__ = ["measure_abuse", "INVALID_BODIES", "LONG_MESSAGE"]

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
# Three shapes of a 1 MiB invalid body, each once expensive somewhere (items, keys, depth).
INVALID_BODIES = {
    "long_array": ("/api/v1/providers",
                   json.dumps({"name": "P", "api_endpoint": "https://x.example",
                               "models": ["a"] * 200_000}).encode()),
    "metadata_keys": ("/api/v1/conversations",
                      json.dumps({"metadata": {f"k{i}": "v" for i in range(70_000)}}).encode()),
    "deep_nesting": ("/api/v1/conversations",
                     b'{"metadata": ' + b"[" * 500_000 + b"]" * 500_000 + b"}"),
}
# The contract's longest message, made of what once backtracked in the e-mail pattern.
LONG_MESSAGE = " write to ann@example.com or call +33 1 23 45 67 89".rjust(32_000, "a")


def _summary(latencies: list[float], statuses: Counter) -> dict:
    return {"count": len(latencies), "p50_ms": statistics.median(latencies) if latencies else None,
            "max_ms": max(latencies) if latencies else None,
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def _attack(base_url: str, token: str, stop: threading.Event, out: dict) -> None:
    """Send the hostile requests in turn until `stop`; record latency and status per kind."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=60) as client:
        conv = client.post("/api/v1/conversations", json={"title": "abuse", "is_anonymized": True}).json()
        kinds = [*INVALID_BODIES, "anonymised_32000"]
        latencies: dict[str, list[float]] = {k: [] for k in kinds}
        statuses: dict[str, Counter] = {k: Counter() for k in kinds}
        while not stop.is_set():
            for kind in kinds:
                started = time.perf_counter()
                if kind == "anonymised_32000":
                    r = client.post(f"/api/v1/conversations/{conv['id']}/messages", json={"content": LONG_MESSAGE})
                else:
                    path, body = INVALID_BODIES[kind]
                    r = client.post(path, content=body, headers=JSON)
                latencies[kind].append((time.perf_counter() - started) * 1000)
                statuses[kind][r.status_code] += 1
    out.update({"invalid_1mib": {k: _summary(latencies[k], statuses[k]) for k in INVALID_BODIES},
                "anonymised_32000": _summary(latencies["anonymised_32000"], statuses["anonymised_32000"])})


def measure_abuse(base_url: str, token: str, *, connections: int, seconds: float) -> dict:
    """Readers alone, then readers while one client sends hostile requests."""
    read = Request(method="GET", url=f"{base_url}/api/v1/conversations?limit=20",
                   headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    run_wrk(read, connections=connections, seconds=1)  # warm-up
    alone = run_wrk(read, connections=connections, seconds=seconds)
    attacks: dict = {}
    stop = threading.Event()
    attacker = threading.Thread(target=_attack, args=(base_url, token, stop, attacks), daemon=True)
    attacker.start()
    try:
        under = run_wrk(read, connections=connections, seconds=seconds)
    finally:
        stop.set()
        attacker.join(timeout=120)
    figures = {f"reads_{name}": {"rps": r.requests_per_second, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms,
                                 "non_2xx": r.non_2xx, "socket_errors": r.errors}
               for name, r in (("alone", alone), ("under_abuse", under))}
    return {**figures, **attacks, "connections": connections, "seconds": seconds}


def render_abuse(figures: dict) -> list[str]:
    lines = []
    for kind, f in {**figures["invalid_1mib"], "anonymised_32000": figures["anonymised_32000"]}.items():
        lines.append(f"abuse {kind:<16} {f['count']:>4} sent, p50 {f['p50_ms']:.0f} ms, max {f['max_ms']:.0f} ms, "
                     f"statuses {f['statuses']}")
    for name in ("alone", "under_abuse"):
        f = figures[f"reads_{name}"]
        lines.append(f"reads {name:<12} {f['rps']:>7.0f} req/s, p50 {f['p50_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms")
    return lines
