"""The reconciliation record accounts for every source operation exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chat_contract.resources import spec_dir
from tests.spec.contract import load_contract, load_spec_file, operations

SHARED_INVENTORY = Path(__file__).resolve().parents[3] / "shared" / "seed-operations.yaml"
INVENTORY = [entry["id"] for entry in load_spec_file("seed-operations.yaml")["operations"]]
MAPPING = load_spec_file("reconciliation.yaml")["operations"]
OPERATION_IDS = {op["operationId"] for *_, op, _ in operations(load_contract())}


def test_the_inventory_lists_43_distinct_source_operations():
    assert len(INVENTORY) == 43 == len(set(INVENTORY))


@pytest.mark.skipif(not SHARED_INVENTORY.exists(), reason="../shared is not beside this checkout")
def test_the_projects_inventory_matches_the_shared_one():
    shared = yaml.safe_load(SHARED_INVENTORY.read_text(encoding="utf-8"))["operations"]
    assert [entry["id"] for entry in shared] == INVENTORY


def test_the_mapping_covers_every_source_operation_exactly_once():
    # Duplicate keys are refused by the loader, so equal sets mean exactly once each.
    assert sorted(MAPPING) == sorted(INVENTORY)


@pytest.mark.parametrize("source_id", INVENTORY)
def test_each_source_operation_is_mapped_or_dropped_with_a_reason(source_id):
    entry = MAPPING[source_id]
    if "dropped" in entry:
        assert "maps_to" not in entry and entry["dropped"].strip()
    else:
        assert entry["maps_to"] and set(entry["maps_to"]) <= OPERATION_IDS


def test_the_decision_log_covers_every_named_conflict():
    log = (spec_dir() / "RECONCILIATION.md").read_text(encoding="utf-8").lower()
    for topic in (
        "identifiers", "time fields", "metadata", "roles", "pagination", "body encodings",
        "x-tenant-id", "session cookie", "user_id", "error statuses", "validation errors",
    ):
        assert topic in log, f"the decision log does not discuss {topic}"
