"""Heavy cases of `chat-contract bench`'s abuse scenario on reference servers of several
revisions, in alternating rounds on one machine: what a change to the server did to other
clients' p99 beside one case, without the whole benchmark.

    python scripts/abuse_ab.py REV[,REV...] [CASE[,CASE...]] [ROUNDS]

REV is a git revision of this checkout, or `work` for the working tree; CASE one of
chat_contract.bench.abuse.HEAVY_CASES (default: busy_helper_legit_190kib); ROUNDS 2 by default.
Run it from the checkout's root on a quiet machine; it prints one line per server and round.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from chat_contract.bench.abuse import measure_abuse
from chat_contract.bench.cli import _logs_in, baseline_tree, login, reference_command
from chat_contract.bench.servers import Server, free_port

LONG_CASES = {"summary", "title", "share_upsert", "public_share_x4"}  # need the long conversation


def main(argv: list[str]) -> None:
    revisions = argv[0].split(",")
    cases = tuple(argv[1].split(",")) if len(argv) > 1 else ("busy_helper_legit_190kib",)
    rounds = int(argv[2]) if len(argv) > 2 else 2
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for rev in revisions:
            folder = Path(tmp) / rev.replace("/", "_")
            folder.mkdir()
            trees[rev] = None if rev == "work" else baseline_tree(folder, rev)
        for n in range(rounds):
            for rev in revisions:
                port = free_port()
                cwd = {"cwd": trees[rev]} if trees[rev] else {}
                with Server(rev, reference_command(port, Path(tmp) / f"{n}.db"), port, _logs_in, **cwd) as server:
                    figures = measure_abuse(server.base_url, login(server.base_url), connections=8, seconds=10,
                                            server_pid=server.process.pid, cases=cases,
                                            long_messages=2000 if LONG_CASES & set(cases) else 1,
                                            other_token=login(server.base_url, "bob"), rounds=1)
                for case, c in figures["heavy"].items():
                    sent = "; ".join(f"{kind} {r['count']} sent, statuses {r['statuses']}"
                                     for kind, r in c["requests"].items())
                    print(f"{rev} round {n + 1}: {case} {c['ratio_p99']:.2f}x (reads p99 {c['reads']['p99_ms']:.2f} ms, "
                          f"alone just before {c['alone']['p99_ms']:.2f} ms); {sent}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
