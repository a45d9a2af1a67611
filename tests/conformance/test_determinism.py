"""The same seed gives the same verdicts against the same server, run after run."""

import re

import pytest

from conformance.config import resolve
from conformance.runner import run

from .conftest import CREDENTIALS, model_run
from .fake_server import ServerThread, build_app
from .test_reference_server import _fixture_password, reference_server  # noqa: F401 - the fixture

RUNS = 3
_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9_-]{22,}")


def _verdicts(result) -> dict:  # noqa: ANN001
    """Outcome and findings per requirement; ids the server minted differ by run, so they are masked."""
    return {item.requirement.id: (item.outcome.value, sorted(_IDS.sub("<id>", f.message.splitlines()[0])
                                                             for f in item.findings))
            for item in result.results}


@pytest.mark.slow
def test_same_seed_same_verdicts_against_the_reference_server(reference_server):  # noqa: F811
    flags = {"base_url": reference_server, "profile": "ci", "username": "alice",
             "password": _fixture_password("alice"), "username_2": "bob", "password_2": _fixture_password("bob")}
    verdicts = [_verdicts(run(resolve(flags, {}))) for _ in range(RUNS)]
    assert all(v == verdicts[0] for v in verdicts[1:])
    assert {outcome for outcome, _ in verdicts[0].values()} == {"pass"}


@pytest.mark.slow
def test_same_seed_same_findings_against_a_defective_server():
    # Defects the fuzzer finds on several operations: which ones it reports depends on what it
    # generated, so identical findings mean identical generation. smoke: ci takes ~50 s a run
    # against the fake on a loaded 2-core machine; the reference server test above runs ci.
    defects = frozenset({"wrong_type", "missing_field", "page_loses_item"})
    verdicts = []
    for _ in range(RUNS):
        with ServerThread(build_app(defects)) as server:
            verdicts.append(_verdicts(run(resolve({"base_url": server.url, "profile": "smoke", **CREDENTIALS}, {}))))
    assert all(v == verdicts[0] for v in verdicts[1:])
    assert verdicts[0]["SCHEMA-005"][0] == "fail" and len(verdicts[0]["SCHEMA-005"][1]) > 1


def _shrunk_steps(item: dict) -> list[str]:
    """The numbered steps of MODEL-001's shrunk sequence; the run's own search word masked."""
    message = item["findings"][0]["message"] if item["findings"] else ""
    return [re.sub(r"mdl[0-9a-f]{8}", "<word>", line) for line in message.splitlines()
            if re.match(r"\s+\d+\. ", line)]


@pytest.mark.slow
def test_same_seed_same_shrunk_sequence(tmp_path):
    # Shrinking is bounded by the sequences it runs, not by seconds: a loaded machine shrinks a
    # failure to the same steps as a quiet one.
    shown = []
    for number in range(2):
        with ServerThread(build_app(frozenset({"edit_after_delete_stale"}))) as fake:
            shown.append(_shrunk_steps(model_run(fake.url, tmp_path / str(number))["MODEL-001"]))
    assert shown[0], "the model layer did not catch the planted defect"
    assert shown[0] == shown[1]


def test_shrinking_is_counted_in_sequences():
    """conformance/model/run.py bounds shrinking by handing Hypothesis' engine a clock that counts
    sequences: this fails when a Hypothesis release stops reading the deadline from that clock."""
    import inspect

    from hypothesis.internal.conjecture import engine

    source = inspect.getsource(engine.ConjectureRunner)
    assert "finish_shrinking_deadline = time.perf_counter() + MAX_SHRINKING_SECONDS" in source
    assert "finish_shrinking_deadline < time.perf_counter()" in source
