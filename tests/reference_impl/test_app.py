"""The HTTP edge: 404/405/413/415/422 shapes, CORS, Swagger UI."""

CONV = "/api/v1/conversations"


def test_unknown_route_is_404_json(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.client.get("/api/v1/nope")
        assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    run(go())


def test_wrong_method_is_405_with_allow(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.client.delete(CONV, headers={"Authorization": f"Bearer {api.token}"})
        assert r.status_code == 405
        assert "GET" in r.headers["allow"] and "POST" in r.headers["allow"]
        assert isinstance(r.json()["detail"], str)
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


def test_invalid_cursor_is_422_at_query_cursor(make_api, run):
    async def go():
        api = await (await make_api()).login()
        r = await api.call("GET", CONV, params={"cursor": "abc"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]
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
