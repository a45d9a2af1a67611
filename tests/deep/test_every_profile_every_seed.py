"""The reference server and the FastAPI example pass every profile with five seeds: the whole
suite, Schemathesis and the model layer alike, each seed a different set of requests and
sequences. `smoke` and `ci` with the default seed, and the model layer with these five seeds,
run in the default test run (tests/conformance/test_reference_server.py,
tests/examples/test_fastapi_backend.py); this is the rest, hours of it (`tox -e deep`)."""

import pytest

from tests.conformance.test_reference_server import assert_suite_passes, reference_server  # noqa: F401
from tests.examples.test_fastapi_backend import fastapi_server  # noqa: F401

SEEDS = [1, 2, 3, 4, 5]


@pytest.mark.deep
@pytest.mark.parametrize("profile", ["smoke", "ci", "deep"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("server", ["reference_server", "fastapi_server"])
def test_passes(request, tmp_path, server, seed, profile):
    assert_suite_passes(request.getfixturevalue(server), profile, tmp_path / "report.json", seed=seed)
