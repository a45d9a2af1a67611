"""The strict 422 judge: what the contract's FastAPI shape allows and what it refuses."""

import json

import pytest

from conformance.validation_errors import shape_problems

GOOD = {"detail": [{"loc": ["body", "title"], "msg": "Input should be a valid string", "type": "string_type"}]}


def test_fastapi_shape_passes():
    assert shape_problems(422, "application/json", json.dumps(GOOD).encode()) == []


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/problem+json", GOOD, "content type application/problem+json"),
        ("application/json", {}, "detail is missing"),
        ("application/json", {"detail": []}, "not a non-empty list"),
        ("application/json", {"detail": "bad title"}, "detail is str"),
        ("application/json", {"detail": [{"loc": ["title"], "msg": "m", "type": "t"}]}, "does not start with"),
        ("application/json", {"detail": [{"loc": ["body", "title"], "msg": "m"}]}, "lacks loc, msg or type"),
    ],
)
def test_each_deviation_is_named(content_type, body, expected):
    problems = shape_problems(422, content_type, json.dumps(body).encode())
    assert any(expected in problem for problem in problems), problems


def test_non_json_body_is_named():
    assert "the body is not JSON" in shape_problems(422, "application/json", b"<html>")
