"""jsonschema-rs (the fast yes) never accepts what openapi-core's validator (the 422) refuses.

validation.SchemaCheck asks jsonschema-rs first and skips openapi-core when it says valid: a
value jsonschema-rs were looser on would get through unchecked. Every parameter and body schema
of the contract is tried with the contract's own examples, each with one field changed at a
time to values chosen at the edges (types, bounds, formats, unknown keys), and with loose
values of every JSON type.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from openapi_core.validation.schemas import oas31_schema_validators_factory

from reference_impl.app import load_contract
from reference_impl.validation import ContractValidator

CONTRACT = load_contract()
VALIDATOR = ContractValidator(CONTRACT)

UUID = "0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70"
EDGES: list[Any] = [
    None, True, False, 0, 1, -1, 1.0, 1.5, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 10**30,
    "", " ", "x", "x" * 200, "x" * 201, "x" * 4000, "x" * 100_001, "\x00", "é", "🙂",
    UUID, UUID.upper(), UUID.replace("-", ""), "{" + UUID + "}", "urn:uuid:" + UUID, UUID + "0",
    UUID[:-1] + "g", "2026-11-23T10:00:00Z", "2026-11-23T10:00:00", "2026-11-23T10:00:00+01:00",
    "2026-13-23T10:00:00Z", "2026-11-23 10:00:00Z", "2026-11-23", "https://example.com/a",
    "example.com", "http://", "https://exa mple.com", "mailto:a@b.c", "user", "assistant",
    "system", "active", "archived", "thumbs_up", "up", "10", "-1", "1e3", "true", "null",
    [], [UUID], [UUID, UUID], ["x"], [1], [None], list(range(101)), {}, {"a": 1}, {"": None},
    {"a" * 300: "b"}, {str(i): i for i in range(60)},
]


def _checks() -> list[tuple[str, Any, list[Any]]]:
    """(name, SchemaCheck, seeds): seeds are the contract's examples for that schema."""
    out = []
    for op_id, op in VALIDATOR.operations.items():
        for p in op.params:
            out.append((f"{op_id}:{p.location}:{p.name}", p.check, [p.default] if p.default is not None else []))
        for media, check in op.body_validators.items():
            out.append((f"{op_id}:body:{media}", check, _examples(op_id, media)))
    return out


def _examples(operation_id: str, media: str) -> list[Any]:
    for item in CONTRACT["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                content = op.get("requestBody", {}).get("content", {}).get(media, {})
                found = [e["value"] for e in content.get("examples", {}).values() if "value" in e]
                found += [content["example"]] if "example" in content else []
                # An upload as the server validates it: the file part stands in as "".
                return found or ([{"file": ""}] if media == "multipart/form-data" else [])
    return []


def _variants(seed: Any) -> list[Any]:
    """The seed itself, then the seed with one field (at any depth) set to each edge value."""
    out = [seed]
    if isinstance(seed, dict):
        for key in list(seed):
            for edge in EDGES:
                changed = copy.deepcopy(seed)
                changed[key] = edge
                out.append(changed)
            for inner in _variants(seed[key])[1:]:
                changed = copy.deepcopy(seed)
                changed[key] = inner
                out.append(changed)
            dropped = dict(seed)
            del dropped[key]
            out.append(dropped)
        out.append({**seed, "unknown_field": 1})
    elif isinstance(seed, list) and seed:
        for edge in EDGES:
            out.append([edge, *seed[1:]])
        out.append(seed + seed)  # duplicates (uniqueItems)
    return out


CHECKS = _checks()


def test_every_schema_has_the_fast_engine() -> None:
    # A schema left without it would still validate correctly, only slowly: say so here.
    assert [name for name, check, _ in CHECKS if check.fast is None] == []


@pytest.mark.parametrize("name,check,seeds", CHECKS, ids=[c[0] for c in CHECKS])
def test_fast_engine_is_never_looser(name: str, check: Any, seeds: list[Any]) -> None:
    values = [v for seed in seeds for v in _variants(seed)] + EDGES
    looser = []
    for value in values:
        try:
            fast_valid = check.fast.is_valid(value)
        except (ValueError, TypeError, OverflowError):
            continue  # SchemaCheck hands these to openapi-core
        if fast_valid and list(check.full.iter_errors(value)):
            looser.append(value)
    assert looser == [], f"{name}: jsonschema-rs accepts what openapi-core refuses"


def _near_uuid() -> st.SearchStrategy[str]:
    """A UUID with up to three characters changed, inserted or removed."""
    edits = st.lists(st.tuples(st.sampled_from("set insert delete".split()), st.integers(0, 40),
                               st.sampled_from("0123456789abcdefABCDEFgG-{}:urnid \n\x00é٣")),
                     min_size=1, max_size=3)

    def apply(changes: list) -> str:
        chars = list(UUID)
        for kind, at, char in changes:
            at = min(at, len(chars) - 1 if kind != "insert" else len(chars))
            if kind == "set" and chars:
                chars[at] = char
            elif kind == "insert":
                chars.insert(at, char)
            elif chars:
                del chars[at]
        return "".join(chars)
    return edits.map(apply)


@settings(max_examples=3000)
@given(st.one_of(_near_uuid(), st.text(max_size=40)))
def test_native_uuid_format_is_never_looser(value: str) -> None:
    # `uuid` is the one format jsonschema-rs checks natively (ContractValidator).
    check = next(p.check for p in VALIDATOR.operations["getConversation"].params
                 if p.name == "conversation_id")
    if check.fast.is_valid(value):
        assert oas31_schema_validators_factory.format_checker.conforms(value, "uuid")
