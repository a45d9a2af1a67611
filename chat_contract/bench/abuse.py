"""The abuse scenario: hostile requests beside ordinary reads, and what they cost everyone.

One client keeps sending the expensive requests the reference server once stalled on (1 MiB
invalid bodies of three shapes, and 32,000-character messages in an anonymised conversation)
while wrk reads conversations on several connections. Then each heavy case of issue 18 (#6) in
turn, the readers measured again beside it: eight clients sending 63 KiB invalid bodies; the
summary, the title, sharing, and four public readers of the share of a conversation of 2,000
messages of 16 KB; 1 MiB bodies while the large-body helper is killed (kill -9) every second,
or stopped (SIGSTOP); and a legitimate 190 KiB body of another user while one user floods
the helper from eight connections (the legitimate client sends one every 0.2 s, as a person
might: without a pause it was a second heavy client).

Each heavy case runs three times (`rounds`), each time just after the readers alone on the
same server and data, and its figure is the median of the three ratios: one 10 s p99 of a few
milliseconds moves by a fifth from one run to the next, and a baseline taken once, before the
long conversation existed, counted the slower lists of a bigger database as the heavy
client's doing (the stopped helper, which lets through 16 requests in 10 s, showed 1.85x).

The figures: each request's latency and statuses, the readers' p50/p99 alone and in each
case, and each case's p99 as a multiple of the readers' own p99 alone just before it (the
target: at most 2).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import threading
import time
from collections import Counter

import httpx

from .load import Request, run_wrk

__all__ = ["measure_abuse", "INVALID_BODIES", "LONG_MESSAGE", "HEAVY_CASES"]

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


# Eight clients' 63 KiB invalid bodies (many small values: milliseconds each to decode and word).
BODY_63KIB = json.dumps({"metadata": [1] * 21_500}).encode()
# A legitimate body of 190 KiB: the contract's longest message, every character escaped.
LEGIT_190KIB = json.dumps({"content": "\u00e9" * 32_000}, ensure_ascii=True).encode()
# Between two of them: a person pasting the longest message the contract allows, five times a
# second. Sent without a pause, its 50 bodies a second (9.5 MB of text) made it a second heavy
# client beside the flooder.
LEGIT_PAUSE = 0.2
MESSAGE_16KB = ("Lisbon trams climb past tiled facades toward miradouros at sunset. " * 240)[:16_000]
HEAVY_CASES = ("invalid_63kib_x8", "summary", "title", "share_upsert", "public_share_x4",
               "helper_killed", "helper_stopped", "busy_helper_legit_190kib")


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


def _heavy_requests(base_url: str, token: str, conversation_id: str, share_id: str,
                    case: str, other: tuple[str, str] | None = None
                    ) -> list[tuple[str, int, object, str, float]]:
    """(kind, clients, send(client) -> response, token, pause) for one heavy case; `other`:
    another user's token and conversation (the legitimate client beside a flooder); `pause`:
    seconds each client waits between two requests (0: none)."""
    other_token, other_conv = other or (token, conversation_id)
    conv = f"/api/v1/conversations/{conversation_id}"

    def invalid_1mib(client):
        path, body = INVALID_BODIES["long_array"]
        return client.post(path, content=body, headers=JSON)
    return {
        "invalid_63kib_x8": [("invalid_63kib", 8, lambda c: c.post(
            "/api/v1/conversations", content=BODY_63KIB, headers=JSON), token, 0.0)],
        "summary": [("summary", 1, lambda c: c.get(f"{conv}/summary"), token, 0.0)],
        "title": [("title", 1, lambda c: c.post(f"{conv}/title", json={}), token, 0.0)],
        "share_upsert": [("share_upsert", 1, lambda c: c.put(f"{conv}/share", json={}), token,
                          0.0)],
        "public_share_x4": [("public_share", 4, lambda c: c.get(
            f"/api/v1/public/shares/{share_id}", headers={"Authorization": ""}), token, 0.0)],
        "helper_killed": [("invalid_1mib", 4, invalid_1mib, token, 0.0)],
        "helper_stopped": [("invalid_1mib", 4, invalid_1mib, token, 0.0)],
        # The legitimate client is a person's (a long message every LEGIT_PAUSE seconds), not a
        # second heavy one: the case is one flooder, and what its flood does to the others.
        "busy_helper_legit_190kib": [("invalid_1mib", 8, invalid_1mib, token, 0.0),
                                     ("legit_190kib", 1, lambda c: c.post(
                                         f"/api/v1/conversations/{other_conv}/messages",
                                         content=LEGIT_190KIB, headers=JSON), other_token,
                                      LEGIT_PAUSE)],
    }[case]


def _helper_pids(server_pid: int) -> list[int]:
    """The large-body helpers (multiprocessing spawn children) under the server's process."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [server_pid]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            todo.append(child)
            try:
                with open(f"/proc/{child}/cmdline", "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                found.append(child)
    return found


def _signal_helpers(server_pid: int | None, signum: int) -> None:
    for pid in _helper_pids(server_pid) if server_pid else []:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


def _run_heavy(base_url: str, senders, stop: threading.Event, out: dict) -> None:
    latencies: dict[str, list[float]] = {kind: [] for kind, *_ in senders}
    statuses: dict[str, Counter] = {kind: Counter() for kind, *_ in senders}

    def client_loop(kind, send, token, pause):
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                          timeout=120) as client:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    status = send(client).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                latencies[kind].append((time.perf_counter() - started) * 1000)
                statuses[kind][status] += 1
                if pause:
                    stop.wait(pause)
    threads = [threading.Thread(target=client_loop, args=(kind, send, who, pause), daemon=True)
               for kind, clients, send, who, pause in senders for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    out.update({kind: _summary(latencies[kind], statuses[kind]) for kind in latencies})


def _long_conversation(base_url: str, token: str, messages: int) -> tuple[str, str]:
    """A conversation of `messages` messages of 16 KB, and its share link."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        conv = client.post("/api/v1/conversations", json={"title": "long"}).json()["id"]
        for _ in range(messages):
            r = client.post(f"/api/v1/conversations/{conv}/messages", json={"content": MESSAGE_16KB})
            r.raise_for_status()
        share = client.put(f"/api/v1/conversations/{conv}/share", json={}).json()["id"]
    return conv, share


def _reads(r) -> dict:
    return {"rps": r.requests_per_second, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms,
            "non_2xx": r.non_2xx, "socket_errors": r.errors}


def _beside(base_url: str, senders, read: Request, case: str, *, connections: int,
            seconds: float, server_pid: int | None):
    """wrk's readers while the case's heavy clients run: (reads, the heavy requests' figures)."""
    requests: dict = {}
    stop = threading.Event()
    heavy_thread = threading.Thread(target=_run_heavy, args=(base_url, senders, stop, requests),
                                    daemon=True)
    heavy_thread.start()
    killer = None
    if case == "helper_stopped":
        time.sleep(0.5)  # the helper holds bodies
        _signal_helpers(server_pid, signal.SIGSTOP)
    elif case == "helper_killed":
        def kill_every_second():
            while not stop.wait(1.0):
                _signal_helpers(server_pid, signal.SIGKILL)
        killer = threading.Thread(target=kill_every_second, daemon=True)
        killer.start()
    try:
        reads = run_wrk(read, connections=connections, seconds=seconds)
    finally:
        stop.set()
        _signal_helpers(server_pid, signal.SIGCONT)
        heavy_thread.join(timeout=200)
        if killer is not None:
            killer.join(timeout=5)
    return reads, requests


def _measure_case(base_url: str, token: str, case: str, conversation_id: str, share_id: str,
                  other, read: Request, *, connections: int, seconds: float,
                  server_pid: int | None, rounds: int) -> dict:
    """`rounds` pairs of the readers alone, then beside the case, on the same server and data
    (the long conversation slows every list a little: a baseline measured before it existed
    counted that as the heavy client's doing); the ratio is the median pair's."""
    pairs = []
    for _ in range(rounds):
        alone = run_wrk(read, connections=connections, seconds=seconds)
        reads, requests = _beside(
            base_url, _heavy_requests(base_url, token, conversation_id, share_id, case, other),
            read, case, connections=connections, seconds=seconds, server_pid=server_pid)
        pairs.append((reads.p99_ms / alone.p99_ms, alone, reads, requests))
    ratio, alone, reads, requests = sorted(pairs, key=lambda p: p[0])[len(pairs) // 2]
    return {"alone": _reads(alone), "reads": _reads(reads), "requests": requests,
            "ratio_p99": ratio, "ratios_p99": [p[0] for p in pairs]}


def measure_abuse(base_url: str, token: str, *, connections: int, seconds: float,
                  server_pid: int | None = None, long_messages: int = 2000,
                  cases: tuple[str, ...] = HEAVY_CASES, other_token: str | None = None,
                  rounds: int = 3) -> dict:
    """Readers alone, then readers while one client sends hostile requests, then each heavy
    case `rounds` times, the readers alone just before each time (`server_pid`: the server's
    process, whose helper the helper cases signal; `other_token`: another user's, the
    legitimate client beside a flooder)."""
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
    figures = {"reads_alone": _reads(alone), "reads_under_abuse": _reads(under)}
    heavy: dict = {}
    if cases:
        conversation_id, share_id = _long_conversation(base_url, token, long_messages)
        other = None
        if other_token is not None:
            with httpx.Client(base_url=base_url, timeout=60,
                              headers={"Authorization": f"Bearer {other_token}"}) as client:
                other = (other_token, client.post("/api/v1/conversations",
                                                  json={"title": "legit"}).json()["id"])
        for case in cases:
            if case.startswith("helper_") and server_pid is None:
                continue
            heavy[case] = _measure_case(base_url, token, case, conversation_id, share_id, other,
                                        read, connections=connections, seconds=seconds,
                                        server_pid=server_pid, rounds=rounds)
    return {**figures, **attacks, "heavy": heavy, "connections": connections,
            "seconds": seconds, "long_conversation_messages": long_messages, "rounds": rounds}


def render_abuse(figures: dict) -> list[str]:
    lines = []
    for kind, f in {**figures["invalid_1mib"], "anonymised_32000": figures["anonymised_32000"]}.items():
        lines.append(f"abuse {kind:<16} {f['count']:>4} sent, p50 {f['p50_ms']:.0f} ms, max {f['max_ms']:.0f} ms, "
                     f"statuses {f['statuses']}")
    for name in ("alone", "under_abuse"):
        f = figures[f"reads_{name}"]
        lines.append(f"reads {name:<12} {f['rps']:>7.0f} req/s, p50 {f['p50_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms")
    for case, c in figures.get("heavy", {}).items():
        f = c["reads"]
        sent = "; ".join(f"{kind} {r['count']} sent, p50 {r['p50_ms'] or 0:.0f} ms, max {r['max_ms'] or 0:.0f} ms, "
                         f"statuses {r['statuses']}" for kind, r in c["requests"].items())
        ratios = ", ".join(f"{r:.2f}x" for r in c["ratios_p99"])
        lines.append(f"heavy {case:<24} reads p50 {f['p50_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms "
                     f"against {c['alone']['p99_ms']:.2f} ms alone ({c['ratio_p99']:.2f}x, the "
                     f"median of {ratios}); {sent}")
    return lines
