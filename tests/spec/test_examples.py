"""Every example in the contract validates against the schema it illustrates."""

from __future__ import annotations

import json

import pytest
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from reference_impl.mock.conformity import parse_events
from tests.spec.contract import escape, load_contract, operations, resolve

DOCUMENT = load_contract()
BASE = "urn:chat-contract:openapi"
REGISTRY = Registry().with_resource(
    BASE, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)


def _validator(pointer: str) -> OAS31Validator:
    return OAS31Validator(
        {"$ref": f"{BASE}#{pointer}"},
        registry=REGISTRY,
        format_checker=OAS31Validator.FORMAT_CHECKER,
    )


def _media_examples():
    """(label, schema pointer, example value, media type) for every media type example."""
    for path, method, operation, op_pointer in operations(DOCUMENT):
        op_id = operation["operationId"]
        bodies = []
        if "requestBody" in operation:
            body, pointer = resolve(DOCUMENT, operation["requestBody"], op_pointer + "/requestBody")
            bodies.append(("request", body, pointer))
        for status, response in operation["responses"].items():
            target, pointer = resolve(DOCUMENT, response, f"{op_pointer}/responses/{status}")
            bodies.append((status, target, pointer))
        for where, body, pointer in bodies:
            for media_type, media in body.get("content", {}).items():
                media_pointer = f"{pointer}/content/{escape(media_type)}"
                if "example" in media:
                    yield f"{op_id} {where} {media_type}", media_pointer + "/schema", media["example"], media_type
                for name, example in media.get("examples", {}).items():
                    value, _ = resolve(DOCUMENT, example, "")
                    yield (
                        f"{op_id} {where} {media_type} {name}",
                        media_pointer + "/schema",
                        value["value"],
                        media_type,
                    )


MEDIA_EXAMPLES = list(_media_examples())


def test_the_contract_has_examples_for_every_operation():
    labelled = {label.split()[0] for label, *_ in MEDIA_EXAMPLES}
    assert labelled == {op["operationId"] for *_, op, _ in operations(DOCUMENT)}


@pytest.mark.parametrize(
    ("pointer", "value", "media_type"),
    [pytest.param(p, v, m, id=label) for label, p, v, m in MEDIA_EXAMPLES],
)
def test_media_type_example_validates(pointer, value, media_type):
    errors = sorted(_validator(pointer).iter_errors(value), key=str)
    assert not errors, "\n".join(e.message for e in errors)
    if media_type == "text/event-stream":
        events = parse_events(value)
        assert events, "an event-stream example holds at least one event"
        for event in events:
            _validate_event(pointer.removesuffix("/schema") + "/x-item-schema", event)


def _validate_event(pointer: str, event: dict) -> None:
    # Each event against the media type's x-item-schema; JSON Schema leaves contentSchema
    # unasserted, so the event's JSON payload is checked here.
    errors = sorted(_validator(pointer).iter_errors(event), key=str)
    assert not errors, "\n".join(e.message for e in errors)
    schema, _ = resolve(DOCUMENT, {"$ref": "#" + pointer}, "")
    branches = [b for b in schema["oneOf"] if b["properties"]["event"]["const"] == event["event"]]
    assert len(branches) == 1, f"event type {event['event']!r} is not documented"
    content_schema = branches[0]["properties"]["data"]["contentSchema"]
    errors = list(_validator(content_schema["$ref"].removeprefix("#")).iter_errors(json.loads(event["data"])))
    assert not errors, "\n".join(e.message for e in errors)


def test_parameters_carry_no_unchecked_examples():
    """Examples are checked on media types only, so a parameter example would go unchecked."""
    for path, _, operation, _ in operations(DOCUMENT):
        for parameter in DOCUMENT["paths"][path].get("parameters", []) + operation.get("parameters", []):
            target, _ = resolve(DOCUMENT, parameter, "")
            assert not {"example", "examples"} & target.keys(), target["name"]


def test_a_broken_example_is_caught():
    """The validator used above really rejects an example that breaks its schema."""
    broken = {"detail": [{"loc": ["body"], "msg": "x", "type": "y", "hint": "not a pydantic key"}]}
    assert list(_validator("/components/schemas/HTTPValidationError").iter_errors(broken))
    assert list(_validator("/components/schemas/Conversation").iter_errors({"id": "not-a-uuid"}))
