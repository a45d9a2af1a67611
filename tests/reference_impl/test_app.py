"""The HTTP edge: 404/405/413/415/422 shapes, CORS, Swagger UI."""

import pytest

CONV = "/api/v1/conversations"


def test_unknown_route_is_404_json(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.client.get("/api/v1/nope")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    run(go())


def test_validation_lists_every_error_with_loc(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("GET", CONV, params={"limit": "abc", "status": "x"})
        assert r.status_code == 422
        locs = [e["loc"] for e in r.json()["detail"]]
        assert ["query", "limit"] in locs and ["query", "status"] in locs
        r = await api.call("POST", CONV, json={"title": 5, "extra": 1})
        locs = {tuple(e["loc"]): e["type"] for e in r.json()["detail"]}
        assert locs == {("body", "title"): "string_or_null_type",
                        ("body", "extra"): "extra_forbidden"}
        r = await api.call("POST", f"{CONV}/not-a-uuid/messages", json={})
        locs = [e["loc"] for e in r.json()["detail"]]
        assert ["path", "conversation_id"] in locs and ["body", "content"] in locs
    run(go())


def test_malformed_json_reports_offset(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", CONV, content=b'{"title": x}',
                           headers={"content-type": "application/json"})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", 10]
    run(go())


def test_wrong_media_type_is_415_and_big_body_413(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("POST", CONV, content=b"x", headers={"content-type": "text/plain"})
        assert r.status_code == 415
        big = b'{"title": "' + b"a" * (1024 * 1024) + b'"}'
        r = await api.call("POST", CONV, content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413
    run(go())


def test_every_schema_valid_cursor_is_a_position(make_api, run):
    """The Cursor parameter allows ^[A-Za-z0-9_-]+$ up to 200 characters: none may fail."""
    async def go():
        api = await (await make_api()).login()
        for cursor in ("0", "A", "-", "_", "abc", "MTI", "z" * 11, "_" * 200, "A" * 200):
            for url in (CONV, "/api/v1/shares", "/api/v1/providers", "/api/v1/provider-configs",
                        f"{CONV}/0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70/messages"):
                r = await api.call("GET", url, params={"cursor": cursor})
                assert r.status_code == 200, (url, cursor, r.text)
        # Past the end (oldest-first list): an empty page, not an error.
        r = await api.call("GET", "/api/v1/providers", params={"cursor": "_" * 200})
        assert r.json() == {"items": [], "next_cursor": None}
        # Outside the contract's pattern: a validation error at query.cursor.
        r = await api.call("GET", CONV, params={"cursor": "a=b"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]
    run(go())


def test_a_method_the_path_does_not_declare_is_405_with_allow(make_api, run):
    """Bulk deletion is `DELETE` on the collection: other undeclared methods there are 405."""
    async def go():
        api = await (await make_api()).login()
        auth = {"Authorization": f"Bearer {api.token}"}
        # 405 is an undeclared method, outside every operation: checked here, not by the contract.
        for method in ("PATCH", "PUT"):
            r = await api.client.request(method, CONV, json={"title": "x"}, headers=auth)
            assert r.status_code == 405, (method, r.text)
            assert r.headers["allow"] == "GET, HEAD, POST, DELETE"
            assert r.json() == {"detail": "Method Not Allowed"}
        r = await api.client.post(f"{CONV}/0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70", json={},
                                  headers=auth)
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, DELETE, PATCH"
    run(go())


def test_unusable_accept_language_falls_back_to_english(make_api, run):
    async def go():
        api = await (await make_api()).login()
        conv = "/api/v1/conversations/0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70"
        for value in ("0" * 200, "", "*", "de", "fr;q=abc", ";;;,", "fr;q=0", "x" * 200):
            for method, url in (("GET", f"{conv}/summary"), ("GET", f"{conv}/messages"),
                                ("POST", f"{conv}/title"),
                                ("GET", "/api/v1/public/shares/q8Xr2mKp4Vt7Yw1Zb3Nc6D")):
                r = await api.call(method, url, headers={"Accept-Language": value})
                assert r.status_code == 200, (value, url, r.text)
                assert r.headers["content-language"] == "en", (value, url)
    run(go())


def test_a_body_that_cannot_be_decoded_is_400(make_api, run):
    """The contract's 400 (FastAPI's native answer): broken multipart, JSON that is not UTF-8."""
    async def go():
        api = await (await make_api()).login()
        url = "/api/v1/messages/9a7f3c2d-1b4e-4c6a-8d2f-3e4a5b6c7d80/attachments"
        body = b"--b1\r\n[['t'], {}]--b1--\r\n"  # a part with no headers at all
        r = await api.call("POST", url, content=body,
                           headers={"content-type": "multipart/form-data; boundary=b1"})
        assert r.status_code == 400 and r.json() == {"detail": "Invalid multipart data."}
        r = await api.call("POST", CONV, content=b'{"title": "\xff"}',
                           headers={"content-type": "application/json"})
        assert r.status_code == 400
        assert r.json() == {"detail": "There was an error parsing the body"}
        r = await api.call("POST", CONV, content=b'{"title": ',
                           headers={"content-type": "application/json"})
        assert r.status_code == 422  # decodable but not JSON: still the validation error
    run(go())


def test_null_as_an_optional_body_means_no_body(make_api, run):
    async def go():
        api = await (await make_api()).login()
        conv = (await api.call("POST", CONV, json={"title": "t"})).json()
        r = await api.call("PUT", f"{CONV}/{conv['id']}/share", content=b"null",
                           headers={"content-type": "application/json"})
        assert r.status_code == 201 and r.json()["expires_at"] is None
        r = await api.call("POST", CONV, content=b"null",
                           headers={"content-type": "application/json"})
        assert r.status_code == 422  # a required body is still required
    run(go())


def test_a_rejected_secret_is_never_echoed(make_api, run):
    """A writeOnly value (api_key) is not quoted in a 422's msg, whatever rule it breaks."""
    async def go():
        api = await (await make_api()).login()
        providers = (await api.call("GET", "/api/v1/providers")).json()["items"]
        for key in ("sk secret with spaces", "sk-Zq9" + "x" * 600, "Zq9#Kw1"):
            r = await api.call("POST", "/api/v1/provider-configs",
                               json={"provider_id": providers[0]["id"], "api_key": key})
            assert r.status_code == 422, r.text
            assert key not in r.text and key[:8] not in r.text
    run(go())


def test_cors_for_local_dev_origins(make_api, run):
    async def go():
        api = await make_api()
        r = await api.client.options(CONV, headers={
            "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "http://localhost:5173"
        r = await api.client.options(CONV, headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in r.headers
    run(go())


def test_swagger_ui_is_served(make_api, run):
    async def go():
        api = await make_api()
        r = await api.client.get("/docs/")
        assert r.status_code == 200 and "Swagger UI" in r.text
    run(go())


def test_cors_origin_flag_adds_a_development_origin(make_api, run):
    from reference_impl.cli import _parser, _settings_from

    lan, phone = "http://192.168.1.20:5173", "http://10.0.0.7:5173"
    args = _parser().parse_args(["--cors-origin", lan, "--cors-origin", phone])
    settings = _settings_from(args)
    assert settings.cors_origins == (lan, phone)

    async def go():
        for origins, allowed in (((), False), (settings.cors_origins, True)):
            api = await make_api(cors_origins=origins)
            for origin in (lan, phone):
                r = await api.client.options(CONV, headers={
                    "Origin": origin, "Access-Control-Request-Method": "POST"})
                assert (r.headers.get("access-control-allow-origin") == origin) is allowed
            r = await api.client.get("/api/v1/users/me", headers={"Origin": lan})
            assert (r.headers.get("access-control-allow-origin") == lan) is allowed
    run(go())


def test_the_30_view_passes_connexions_own_check():
    # create_app skips Connexion's meta-schema check of the 3.0 view to start faster
    # (app._view_checked_by_tests); this is that check, and it must still pass.
    from connexion.spec import OpenAPISpecification

    from reference_impl.app import load_contract
    from reference_impl.bridge import to_openapi30

    view = to_openapi30(load_contract())
    OpenAPISpecification._validate_spec(view)
    assert "_validate_spec" not in vars(OpenAPISpecification)  # the skip was undone
    broken = {**view, "paths": {"/x": {"get": {"responses": {"200": {"description": 1}}}}}}
    with pytest.raises(Exception, match="description"):
        OpenAPISpecification._validate_spec(broken)
