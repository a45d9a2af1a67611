"""The strict 422 judge follows the contract's ValidationError schema and adds the loc[0] rule."""

import copy
import json

import pytest
import yaml

from chat_contract.resources import spec_path
from conformance.validation_errors import shape_problems

GOOD = {"detail": [{"loc": ["body", "title"], "msg": "Input should be a valid string", "type": "string_type"}]}
# What pydantic v2 (FastAPI's native 422) puts in an item beside loc, msg and type.
PYDANTIC = {"detail": [{"type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or "
                        "equal to 100", "input": "101", "ctx": {"le": 100},
                        "url": "https://errors.pydantic.dev/2.9/v/less_than_equal"}]}


def _spec() -> dict:
    return yaml.safe_load(spec_path().read_text(encoding="utf-8"))


def _item(spec: dict) -> dict:
    return spec["components"]["schemas"]["ValidationErrorItem"]


def test_fastapi_shape_passes():
    assert shape_problems(422, "application/json", json.dumps(GOOD).encode()) == []


def test_pydantic_keys_pass_exactly_when_the_contract_admits_them():
    spec = _spec()
    admitted = {"input", "ctx", "url"} <= set(_item(spec)["properties"]) or \
        _item(spec).get("additionalProperties", True) is not False
    assert (shape_problems(422, "application/json", json.dumps(PYDANTIC).encode(), spec) == []) is admitted


def test_the_judge_reads_the_item_schema_from_the_contract():
    closed, opened = _spec(), _spec()
    _item(closed)["properties"] = {k: v for k, v in _item(closed)["properties"].items() if k in ("loc", "msg", "type")}
    _item(closed)["additionalProperties"] = False
    _item(opened)["additionalProperties"] = True
    body = json.dumps(PYDANTIC).encode()
    assert any("'input'" in p or "'ctx'" in p for p in shape_problems(422, "application/json", body, closed))
    assert shape_problems(422, "application/json", body, opened) == []


def test_loc_first_element_is_checked_in_code_even_when_the_schema_allows_anything():
    spec = _spec()
    _item(spec)["properties"]["loc"] = {"type": "array"}
    body = {"detail": [{"loc": ["title"], "msg": "m", "type": "t"}]}
    problems = shape_problems(422, "application/json", json.dumps(body).encode(), copy.deepcopy(spec))
    assert problems == ['detail/0/loc does not start with the request part (body/query/path/header/cookie): ["title"]']


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/problem+json", GOOD, "content type application/problem+json"),
        ("application/json", {}, "'detail' is a required property"),
        ("application/json", {"detail": []}, "detail: breaks minItems"),
        ("application/json", {"detail": "bad title"}, "detail: not of type array"),
        ("application/json", {"detail": [{"loc": ["title"], "msg": "m", "type": "t"}]}, "does not start with"),
        ("application/json", {"detail": [{"loc": ["body", "title"], "msg": "m"}]}, "'type' is a required property"),
    ],
)
def test_each_deviation_is_named(content_type, body, expected):
    problems = shape_problems(422, content_type, json.dumps(body).encode())
    assert any(expected in problem for problem in problems), problems


def test_problems_never_quote_the_offending_value():
    body = {"detail": [{"loc": ["body", "api_key"], "msg": 7, "type": "t", "secret": "sk-SECRETVALUE"}]}
    assert "SECRETVALUE" not in " ".join(shape_problems(422, "application/json", json.dumps(body).encode()))


def test_non_json_body_is_named():
    assert "the body is not JSON" in shape_problems(422, "application/json", b"<html>")
