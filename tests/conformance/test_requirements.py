"""The requirements file agrees with the contract and with the checks that judge it."""

import yaml

from chat_contract.resources import spec_path
from conformance.checks import REGISTRY
from conformance.requirements import load

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _operation_ids() -> set[str]:
    spec = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    return {op["operationId"] for item in spec["paths"].values() for m, op in item.items() if m in HTTP_METHODS}


def test_every_named_operation_exists():
    _, requirements = load()
    named = {op for r in requirements for op in r.operations if op != "*"}
    assert named - _operation_ids() == set()


def test_every_operation_is_covered_by_a_specific_requirement():
    _, requirements = load()
    named = {op for r in requirements for op in r.operations if op != "*"}
    assert _operation_ids() - named == set()


def test_no_orphan_requirement():
    # Every requirement is judged either by a hand-written check or by a Schemathesis check.
    _, requirements = load()
    assert [r.id for r in requirements if r.check is None and r.id not in REGISTRY] == []
    assert set(REGISTRY) - {r.id for r in requirements} == set()


def test_ids_are_unique_and_areas_known():
    areas, requirements = load()
    ids = [r.id for r in requirements]
    assert len(ids) == len(set(ids))
    assert {r.area for r in requirements} <= set(areas)


def test_optional_area_operations_exist():
    areas, _ = load()
    assert {op for a in areas.values() for op in a.operations} <= _operation_ids()
