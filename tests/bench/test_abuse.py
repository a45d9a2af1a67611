"""The benchmark's abuse scenario produces its figures (a short run, not a timed test)."""

from __future__ import annotations

import shutil

import pytest

from chat_contract.bench.abuse import HEAVY_CASES, INVALID_BODIES, LONG_MESSAGE, measure_abuse, render_abuse
from chat_contract.bench.cli import login
from chat_contract.bench.servers import Server, free_port, reference_command

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")


def test_the_hostile_requests_are_what_the_issue_names():
    assert all(len(body) <= 1024 * 1024 and len(body) > 700 * 1024 for _, body in INVALID_BODIES.values())
    assert len(LONG_MESSAGE) == 32_000


def test_abuse_scenario_reports_every_figure(tmp_path):
    from chat_contract.bench.cli import _logs_in

    port = free_port()
    with Server("reference", reference_command(port, tmp_path / "abuse.db"), port, _logs_in) as server:
        figures = measure_abuse(server.base_url, login(server.base_url), connections=4, seconds=1,
                                server_pid=server.process.pid, long_messages=20,
                                other_token=login(server.base_url, "bob"), rounds=2)
    for kind in INVALID_BODIES:
        f = figures["invalid_1mib"][kind]
        assert f["count"] >= 1 and set(f["statuses"]) <= {"413", "422"}, f
        assert 0 < f["p50_ms"] <= f["max_ms"]
    assert figures["anonymised_32000"]["count"] >= 1 and set(figures["anonymised_32000"]["statuses"]) == {"201"}
    for name in ("reads_alone", "reads_under_abuse"):
        assert figures[name]["rps"] > 0 and figures[name]["non_2xx"] == 0
        assert 0 < figures[name]["p50_ms"] <= figures[name]["p99_ms"]
    assert set(figures["heavy"]) == set(HEAVY_CASES)
    for case, c in figures["heavy"].items():
        assert c["reads"]["rps"] > 0 and c["alone"]["rps"] > 0, case
        # Two rounds, each its own pair: the figure is one of the two ratios, the larger.
        assert len(c["ratios_p99"]) == 2 and c["ratio_p99"] == max(c["ratios_p99"]) > 0, case
        assert c["ratio_p99"] == c["reads"]["p99_ms"] / c["alone"]["p99_ms"], case
        for kind, r in c["requests"].items():
            assert r["count"] >= 1 and set(r["statuses"]) <= {"200", "201", "422", "503"}, (case, kind, r)
    assert len(render_abuse(figures)) == 6 + len(HEAVY_CASES)
