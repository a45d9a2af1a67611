"""The table of real edits (edits.yaml) applied to a contract."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonpatch
import jsonpointer
import yaml

EDITS_FILE = Path(__file__).with_name("edits.yaml")


def load_edits() -> list[dict]:
    return yaml.safe_load(EDITS_FILE.read_text(encoding="utf-8"))


def _matches(item, where) -> bool:
    if isinstance(where, dict):
        return isinstance(item, dict) and all(item.get(k) == v for k, v in where.items())
    return item == where


def apply_edit(contract: dict, patch: list[dict]) -> dict:
    """The contract after the edit's operations; `remove-where` becomes JSON Patch removes."""
    doc = copy.deepcopy(contract)
    for op in patch:
        if op["op"] == "remove-where":
            items = jsonpointer.resolve_pointer(doc, op["path"])
            hits = [i for i, item in enumerate(items) if _matches(item, op["where"])]
            if not hits:
                raise ValueError(f"remove-where: nothing at {op['path']} matches {op['where']!r}")
            ops = [{"op": "remove", "path": f"{op['path']}/{i}"} for i in reversed(hits)]
        else:
            ops = [op]
        doc = jsonpatch.apply_patch(doc, ops)
    return doc
