"""The same seed gives the same verdicts against the same server, run after run."""

import re

import pytest

from conformance.config import resolve
from conformance.runner import run

from .conftest import CREDENTIALS
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
