"""Every figure the README and docs quote comes from the code or from a file a command writes.

| figure | source | command that writes it |
|---|---|---|
| requirement counts, `collected N items` | conformance/requirements.yaml | (the code) |
| planted defects | tests/conformance/fake_server.py DEFECTS | (the code) |
| normative statements, planted violations, model-only defects | conformance/traces.yaml, fake_server.py | (the code) |
| source operations | spec/reconciliation.yaml | (the code) |
| real edits the diff is held to | tests/diff/edits.yaml | (the test data) |


| contract operations (`all N operations`) | spec/openapi.yaml | (the code) |
| hostile inputs | tests/hostile/test_hostile_inputs.py | (the code) |
| Prism's `pass: fail: skip:` | docs/prism-example.json | `bash scripts/prism_example.sh --record` |
| benchmark tables and sentence | docs/bench.json, docs/bench-workers2.json | the `chat-contract bench` commands the README names |
| the shared journal's write interval, the sessions' and presets' refresh (PostgreSQL) | mock/shared_journal.py, shared_sessions.py, shared_presets.py | (the code) |
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conformance.requirements import load

from ..conformance.fake_server import DEFECTS
from .blocks import ROOT, documents

TEXTS = {doc.relative_to(ROOT).as_posix(): doc.read_text(encoding="utf-8") for doc in documents()}
TEXTS["ARCHITECTURE.md"] = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
README = " ".join(TEXTS["README.md"].split())  # one line: figures may wrap


def _quoted(pattern: str) -> list[tuple[str, re.Match]]:
    return [(name, m) for name, text in TEXTS.items() for m in re.finditer(pattern, " ".join(text.split()))]


def test_requirement_counts():
    _, requirements = load()
    found = _quoted(r"\b(\d+) requirements\b") + _quoted(r"collected (\d+) items")
    assert found, "no requirement count quoted"
    assert {(name, int(m[1])) for name, m in found} == {(name, len(requirements)) for name, _ in found}


def test_shared_mock_intervals():
    """On PostgreSQL: how often a host writes its journal entries, refreshes its sessions and
    reads the presets."""
    from reference_impl.mock.shared_journal import FLUSH_EVERY
    from reference_impl.mock.shared_presets import REFRESH_EVERY
    from reference_impl.mock.shared_sessions import TICK

    writes = _quoted(r"(?:new entries|written by a thread) every (\d+(?:\.\d+)?) s\b")
    assert len(writes) >= 2 and {float(m[1]) for _, m in writes} == {FLUSH_EVERY}
    def seconds(pattern: str) -> set[float]:
        found = _quoted(pattern + r" every (second|\d+(?:\.\d+)? s)\b")
        assert found, pattern
        return {1.0 if m[1] == "second" else float(m[1][:-2]) for _, m in found}

    assert seconds("refreshes that mark") == {TICK}
    assert seconds("again") == {REFRESH_EVERY}  # the presets


def test_planted_defect_counts():
    found = _quoted(r"\b(\d+) (?:planted )?defects\b")
    assert found
    assert {(name, int(m[1])) for name, m in found} == {(name, len(DEFECTS)) for name, _ in found}


def test_statement_and_proof_counts():
    from conformance.traceability import load_traces, statements

    from ..conformance.fake_server import MODEL_DEFECTS

    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text(encoding="utf-8"))
    checks = {r"\b(\d+) normative statements\b": len(statements(spec)),
              r"\b(\d+) planted violations in all\b": len({d for t in load_traces() for d in t.proof}),
              r"\b(\d+) of the planted defects are caught by the model layer alone\b": len(MODEL_DEFECTS),
              r"\b(\d+) of them only after a sequence\b": sum(1 for why in MODEL_DEFECTS.values() if why)}
    for pattern, actual in checks.items():
        found = _quoted(pattern)
        assert found, pattern
        assert {int(m[1]) for _, m in found} == {actual}, pattern


def test_diff_edit_counts():
    edits = yaml.safe_load((ROOT / "tests" / "diff" / "edits.yaml").read_text(encoding="utf-8"))
    found = _quoted(r"\b(\d+) real edits\b")
    assert found
    assert {int(m[1]) for _, m in found} == {len(edits)}


def test_contract_operation_counts():
    spec = yaml.safe_load((ROOT / "spec" / "openapi.yaml").read_text(encoding="utf-8"))
    operations = [op for item in spec["paths"].values() for method, op in item.items()
                  if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")]
    found = _quoted(r"\b(\d+) operations\b(?! used)")  # not a consumer's count (docs/consumers.md)
    assert found, "no operation count quoted"
    assert {(name, int(m[1])) for name, m in found} == {(name, len(operations)) for name, _ in found}


def test_hostile_input_counts():
    from ..hostile.test_hostile_inputs import ADMIN, _inputs

    ids = dict.fromkeys(("conversation_id", "message_id", "attachment_id", "provider_id", "config_id",
                         "share_id"), "x")
    found = _quoted(r"\b(\d+) hostile inputs\b")
    assert found
    assert {int(m[1]) for _, m in found} == {len(_inputs(ids, set())) + len(ADMIN)}


def test_source_operation_counts():
    with open(ROOT / "spec" / "reconciliation.yaml", encoding="utf-8") as fh:
        operations = yaml.safe_load(fh)["operations"]
    found = _quoted(r"\b(\d+) source operations\b")
    assert found
    assert {int(m[1]) for _, m in found} == {len(operations)}


def test_prism_figures_match_the_recorded_run():
    counts = json.loads((ROOT / "docs" / "prism-example.json").read_text())["counts"]
    found = _quoted(r"pass: (\d+) fail: (\d+) skip: (\d+)")
    assert {name for name, _ in found} >= {"README.md", "docs/conformance.md"}
    for name, m in found:
        assert tuple(map(int, m.groups())) == (counts["pass"], counts["fail"], counts["skip"]), name


def _bench(name: str) -> dict:
    return json.loads((ROOT / "docs" / name).read_text())


def test_benchmark_table_matches_bench_json():
    figures = _bench("bench.json")
    for endpoint, servers in [(e, figures["servers"]) for e in ("list", "get", "create")]:
        for server, by_endpoint in servers.items():
            f = by_endpoint[endpoint]
            row = f"| {endpoint} | {server} | {f['rps']:.0f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} |"
            assert row in README, row
        ratios = figures["ratios"][endpoint]
        row = f"| {endpoint} | {ratios['ratio_vs_prism']:.2f}x | {ratios['ratio_vs_starlette']:.2f}x |"
        assert row in README, row
    scale = figures["list_latency"]
    sentence = (f"Start-up {figures['startup_s']:.2f} s; conformance `smoke` "
                f"{figures['conformance']['smoke']['seconds']:.1f} s and `ci` "
                f"{figures['conformance']['ci']['seconds']:.1f} s; list p50 "
                f"{scale['conversations']['100']['p50_ms']:.2f} ms at 100 conversations and "
                f"{scale['conversations']['100000']['p50_ms']:.2f} ms at 100,000 (ratio {scale['ratio_p50']:.2f})")
    assert sentence in README
    abuse = figures["abuse"]
    assert (f"reads (8 connections) keep a p99 of {abuse['reads_under_abuse']['p99_ms']:.1f} ms "
            f"against {abuse['reads_alone']['p99_ms']:.1f} ms alone") in README
    heavy = ", ".join(f"{case.replace('_', ' ')} {c['ratio_p99']:.2f}x" for case, c in abuse["heavy"].items())
    assert f"other clients' p99 over their p99 alone just before it: {heavy}." in " ".join(README.split())
    rounds = "; ".join(f"{case.replace('_', ' ')} " + ", ".join(f"{r:.2f}x" for r in c["ratios_p99"])
                       for case, c in abuse["heavy"].items())
    assert f"The rounds moved widely: {rounds}." in " ".join(README.split())
    base, postgres = figures["baseline"], figures["postgres_vs_sqlite"]
    assert (f"This revision against {base['revision']}, throughput side by side: list {base['ratio']['list']:.2f}x, "
            f"get {base['ratio']['get']:.2f}x, create {base['ratio']['create']:.2f}x") in " ".join(README.split())
    assert (f"list {postgres['list']:.2f}x, get {postgres['get']:.2f}x, create {postgres['create']:.2f}x"
            in " ".join(README.split()))
    cost, micro = figures["access_log_cost"], figures["validation_us"]
    assert (f"the access log changed throughput by {cost['list']:.0%} (list), {cost['get']:.0%} "
            f"(get) and {cost['create']:.0%} (create)") in README
    assert (f"Request validation takes {micro['list']:.0f} µs (list), {micro['get']:.0f} µs (get) "
            f"and {micro['create']:.0f} µs (create)") in README


@pytest.mark.parametrize("endpoint", ["list", "get", "create"])
def test_two_worker_table_matches_its_json(endpoint):
    figures = _bench("bench-workers2.json")
    f, ratios = figures["servers"]["reference"][endpoint], figures["ratios"][endpoint]
    row = (f"| {endpoint} | {f['rps']:.0f} | {f['p99_ms']:.1f} | {ratios['ratio_vs_prism']:.2f}x | "
           f"{ratios['ratio_vs_starlette']:.2f}x |")
    assert row in README, row
