"""Every operation is named, tagged, described and documents every status it can send."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.spec.contract import load_contract, operations, parameters, resolve

DOCUMENT = load_contract()
OPERATIONS = list(operations(DOCUMENT))
# verbNoun in lower camel case: listConversations, upsertConversationShare.
OPERATION_ID = re.compile(r"^(list|get|create|update|delete|upsert|generate|mark|stream|download|clone)[A-Z][A-Za-z]+$")
PUBLIC = {"createToken", "getPublicShare"}
TAGS = {tag["name"] for tag in DOCUMENT["tags"]}


def _ids(params):
    return [pytest.param(*p, id=p[2]["operationId"]) for p in params]


def test_operation_ids_are_unique():
    counts = Counter(op["operationId"] for _, _, op, _ in OPERATIONS)
    assert [name for name, n in counts.items() if n > 1] == []


@pytest.mark.parametrize(("path", "method", "operation", "pointer"), _ids(OPERATIONS))
def test_operation_is_named_tagged_and_described(path, method, operation, pointer):
    assert OPERATION_ID.fullmatch(operation["operationId"])
    assert len(operation["tags"]) == 1 and operation["tags"][0] in TAGS
    assert operation["summary"].strip() and operation["description"].strip()


@pytest.mark.parametrize(("path", "method", "operation", "pointer"), _ids(OPERATIONS))
def test_operation_documents_its_error_statuses(path, method, operation, pointer):
    responses = operation["responses"]
    refs = {status: r.get("$ref") for status, r in responses.items()}
    has_input = bool(parameters(DOCUMENT, path, operation)) or "requestBody" in operation
    expected = {"429": "TooManyRequests", "503": "ServiceUnavailable"}
    if operation["operationId"] not in PUBLIC:
        expected["401"] = "Unauthorized"
        # The global bearer token, plus (for EventSource) a stream ticket where one is accepted.
        assert operation.get("security") in (None, DOCUMENT["security"] + [{"StreamTicket": []}]), \
            "protected operations use the global security"
    else:
        assert operation["security"] == []
    if has_input:
        expected["422"] = "ValidationError"
    if "{" in path:
        expected["404"] = "NotFound"
    if "requestBody" in operation:
        expected["400"] = "BadRequest"  # a body that cannot be decoded at all
        expected["413"] = "PayloadTooLarge"
        expected["415"] = "UnsupportedMediaType"
    for status, name in expected.items():
        assert refs.get(status) == f"#/components/responses/{name}", f"{status} must use the shared {name}"
    assert any(status.startswith("2") for status in responses)


def test_every_input_operation_documents_the_shared_422():
    """The 422 answer is one shared schema in the FastAPI shape with `detail` required."""
    missing = [
        op["operationId"]
        for path, _, op, _ in OPERATIONS
        if (parameters(DOCUMENT, path, op) or "requestBody" in op)
        and op["responses"].get("422", {}).get("$ref") != "#/components/responses/ValidationError"
    ]
    assert missing == []
    schema = DOCUMENT["components"]["schemas"]["HTTPValidationError"]
    assert schema["required"] == ["detail"]
    assert schema["properties"]["detail"]["minItems"] == 1
    item = DOCUMENT["components"]["schemas"]["ValidationErrorItem"]
    assert set(item["required"]) == {"loc", "msg", "type"}
    assert item["additionalProperties"] is False
    # pydantic v2's optional keys are admitted, nothing else.
    assert set(item["properties"]) - set(item["required"]) == {"input", "ctx", "url"}
    loc = item["properties"]["loc"]
    # No prefixItems: generated TypeScript clients turn them into a one-element tuple.
    assert "prefixItems" not in loc
    assert [m["type"] for m in loc["items"]["anyOf"]] == ["string", "integer"]
    for part in ("body", "query", "path", "header", "cookie"):
        assert f"`{part}`" in loc["description"]


def test_no_fixed_segment_sits_beside_a_templated_one():
    """`/x/fixed` beside `/x/{id}` is routed to the template by Starlette and most routers."""
    paths = list(DOCUMENT["paths"])
    clashes = []
    for path in paths:
        for other in paths:
            a, b = path.split("/"), other.split("/")
            if path == other or len(a) != len(b):
                continue
            diff = [(x, y) for x, y in zip(a, b) if x != y]
            if len(diff) == 1 and "{" not in diff[0][0] and "{" in diff[0][1]:
                clashes.append((path, other))
    assert clashes == []


def test_optional_bodies_admit_null():
    """FastAPI reads a JSON `null` as no body: an optional body's schema says so."""
    for _, _, op, _ in OPERATIONS:
        body = op.get("requestBody")
        if body is None or body.get("required"):
            continue
        for media in body["content"].values():
            assert {"type": "null"} in media["schema"]["anyOf"], op["operationId"]


def test_every_other_error_uses_the_shared_error_schema():
    for name, response in DOCUMENT["components"]["responses"].items():
        schema = response["content"]["application/json"]["schema"]["$ref"]
        expected = "HTTPValidationError" if name == "ValidationError" else "Error"
        assert schema == f"#/components/schemas/{expected}", name
    error = DOCUMENT["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"] and error["properties"]["detail"]["type"] == "string"


def test_token_endpoint_is_in_the_contract():
    flow = DOCUMENT["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
    assert flow["tokenUrl"] in DOCUMENT["paths"]
    assert "post" in DOCUMENT["paths"][flow["tokenUrl"]]


def test_every_list_uses_the_one_pagination_style():
    lists = [op for _, method, op, _ in OPERATIONS if op["operationId"].startswith("list")]
    assert lists
    for op in lists:
        names = {resolve(DOCUMENT, p, "")[0]["name"] for p in op.get("parameters", [])}
        assert {"limit", "cursor"} <= names, op["operationId"]
        schema, _ = resolve(DOCUMENT, op["responses"]["200"]["content"]["application/json"]["schema"], "")
        assert set(schema["required"]) == {"items", "next_cursor"}, op["operationId"]


def test_links_name_existing_operations_and_parameters():
    by_id = {op["operationId"]: (path, op) for path, _, op, _ in OPERATIONS}
    linked = 0
    for _, _, op, _ in OPERATIONS:
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                assert link["operationId"] in by_id, name
                path, target = by_id[link["operationId"]]
                names = {p["name"] for p in parameters(DOCUMENT, path, target)}
                assert set(link["parameters"]) <= names, name
                linked += 1
    assert linked > 0


@pytest.mark.parametrize(
    ("path", "method", "operation", "pointer"),
    _ids(
        [
            o
            for o in OPERATIONS
            # A token is not a resource: nothing reads, updates or deletes it.
            if o[2]["operationId"].startswith(("create", "upsert", "clone")) and o[2]["operationId"] != "createToken"
        ]
    ),
)
def test_create_operations_link_to_what_reads_their_result(path, method, operation, pointer):
    created = [r for s, r in operation["responses"].items() if s in {"200", "201"}]
    targets = {link["operationId"] for r in created for link in r.get("links", {}).values()}
    assert targets, f"{operation['operationId']} declares no links"
    assert any(t.startswith(("get", "list", "stream", "download")) for t in targets)
