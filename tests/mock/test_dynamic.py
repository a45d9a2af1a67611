"""`Prefer: dynamic=true`: generated data, valid against the contract, repeatable with a seed."""

import pytest

from reference_impl.app import load_contract
from reference_impl.mock import dynamic
from reference_impl.mock.canned import SSE, Catalogue
from reference_impl.mock.conformity import ResponseChecker

from .conftest import CONVERSATIONS, LISBON

CONTRACT = load_contract()
CATALOGUE = Catalogue(CONTRACT)
CHECKER = ResponseChecker(CONTRACT)
BODIES = [(op, status, media, d.media[media]["schema"])
          for op, responses in CATALOGUE.operations.items()
          for status, d in responses.items() for media in d.media
          if d.media[media]["schema"]]


@pytest.mark.parametrize("seed", range(5))
def test_every_documented_body_can_be_generated_valid(seed):
    from jsonschema_path import SchemaPath
    from openapi_core.validation.schemas import oas31_schema_validators_factory
    failures = []
    for op, status, media, schema in BODIES:
        value = dynamic.generate(CONTRACT, schema, seed, as_stream=media == SSE)
        root = SchemaPath.from_dict({**CONTRACT, "x-check": schema})
        validator = oas31_schema_validators_factory.create(root, root / "x-check").validator
        for item in (value if media == SSE else [value]):
            errors = [e.message for e in validator.iter_errors(item)]
            if errors:
                failures.append((op, status, media, errors[:2]))
    assert not failures


def test_dynamic_responses_are_valid_and_seedable(make_api, run):
    async def go():
        api = await (await make_api()).login()
        url = f"{CONVERSATIONS}/{LISBON}"
        one = await api.call("GET", url, headers={"Prefer": "dynamic=true, seed=42"})
        two = await api.call("GET", url, headers={"Prefer": "dynamic=true, seed=42"})
        other = await api.call("GET", url, headers={"Prefer": "dynamic=true, seed=43"})
        assert one.status_code == 200 and one.json() == two.json() != other.json()
        page = await api.call("GET", CONVERSATIONS,
                              headers={"Prefer": "dynamic=true; seed=7"})
        assert set(page.json()) == {"items", "next_cursor"}
        err = await api.call("GET", url, headers={"Prefer": "code=404, dynamic=true, seed=1"})
        assert err.status_code == 404 and isinstance(err.json()["detail"], str)
    run(go())


def test_generated_event_streams_keep_the_contract(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", f"{CONVERSATIONS}/{LISBON}/replies",
                           json={"content": "x", "stream": True},
                           headers={"Prefer": "dynamic=true, seed=5"})
        assert r.headers["content-type"].startswith(SSE)
        assert CHECKER.check("POST", r.request.url.path, "", {}, r.status_code,
                             dict(r.headers), r.content) == []
    run(go())
