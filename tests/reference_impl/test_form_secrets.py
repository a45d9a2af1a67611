"""A form body's unknown keys are never repeated (issue 18 #5): a key can hold a secret.

A generated client (kubb) sends JSON labelled `application/x-www-form-urlencoded`; the whole
JSON text, password included, then parses as one form key. `username=bob&my-Secret-123` (a
password without its `password=`) makes the password a key too.
"""

from __future__ import annotations

import pytest

TOKEN = "/api/v1/auth/token"
FORM = {"content-type": "application/x-www-form-urlencoded"}
SECRET = "my-Secret-123"


@pytest.mark.parametrize("body", [
    '{"username":"bob","password":"my-Secret-123"}',
    "username=bob&my-Secret-123",
    "username=bob&password=x&my-Secret-123=1",
    "my-Secret-123",
    "username=bob&password=bob-dev-password&my%2DSecret%2D123",
])
def test_unknown_form_keys_are_not_echoed(make_api, run, body):
    async def go():
        api = await make_api()
        r = await api.call("POST", TOKEN, content=body.encode(), headers=FORM, token=None)
        assert r.status_code == 422, r.text
        assert SECRET not in r.text and "Secret" not in r.text
        extra = [e for e in r.json()["detail"] if e["type"] == "extra_forbidden"]
        assert extra and all(e["loc"] == ["body"] for e in extra)
    run(go())


def test_known_form_fields_are_still_named(make_api, run):
    async def go():
        api = await make_api()
        r = await api.call("POST", TOKEN, content=b"username=bob", headers=FORM, token=None)
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["detail"]] == [["body", "password"]]
    run(go())
