"""Every `format` the contract uses is enforced: enumerated from the contract, each refused.

jsonschema checks some formats only when an optional package is installed (`uri` needs an
RFC 3986 parser): without it, `"https://exa mple.com"` was stored and later broke the server's
own responses. A format added to the contract without a bad value here fails this test.
"""

from __future__ import annotations

import pytest
from jsonschema_path import SchemaPath
from openapi_core.validation.schemas import oas31_schema_validators_factory

from reference_impl.app import load_contract

CONTRACT = load_contract()

# format -> (JSON type, a value the format must refuse)
BAD = {
    "uuid": ("string", "0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a7"),
    "date-time": ("string", "2026-13-01T09:00:00Z"),
    "uri": ("string", "https://exa mple.com"),
    "int32": ("integer", 2 ** 31),
}
# Annotations, with no validation meaning: OpenAPI 3.1 says so of `password` (a UI hint), and
# `binary` names the raw bytes of a multipart file part, which are any bytes.
ANNOTATIONS = {"password", "binary"}


def _formats(node, found: dict[str, list[str]], where: str = "") -> dict[str, list[str]]:
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.setdefault(node["format"], []).append(where)
        for key, value in node.items():
            _formats(value, found, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _formats(value, found, f"{where}/{i}")
    return found


FORMATS = _formats(CONTRACT, {})


def test_every_format_the_contract_uses_is_accounted_for():
    assert set(FORMATS) - ANNOTATIONS == set(BAD), "a format without a bad value here"


@pytest.mark.parametrize("name", sorted(BAD))
def test_the_servers_validators_refuse_a_bad_value(name):
    kind, bad = BAD[name]
    schema = SchemaPath.from_dict({"type": kind, "format": name})
    validator = oas31_schema_validators_factory.create(schema, schema).validator
    assert [e.validator for e in validator.iter_errors(bad)] == ["format"]


# One request field per format, found in the contract: (method, path, json body, loc).
REQUESTS = {
    "uuid": ("POST", "/api/v1/provider-configs",
             {"provider_id": BAD["uuid"][1], "api_key": "sk-test-12345678"}, ["body", "provider_id"]),
    "uri": ("POST", "/api/v1/providers",
            {"name": "Bad URI", "api_endpoint": BAD["uri"][1]}, ["body", "api_endpoint"]),
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_the_reference_server_answers_422_for_a_bad_value(make_api, run, name):
    method, path, body, loc = REQUESTS[name]

    async def go():
        api = await (await make_api()).login()
        r = await api.call(method, path, json=body)
        assert r.status_code == 422, r.text
        assert {"loc": loc, "msg": f"Input should be a valid {name}",
                "type": "value_error"} in r.json()["detail"]
    run(go())
