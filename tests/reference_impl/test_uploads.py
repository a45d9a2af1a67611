"""Upload filenames and part content types: control characters refused, every name downloads."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import yaml

from chat_contract.resources import spec_path
from reference_impl.handlers.attachments import content_disposition
from reference_impl.validation import UPLOAD_LIMIT

from .test_hostile_json import counts


async def _message(api):
    conv = (await api.call("POST", "/api/v1/conversations", json={})).json()
    return (await api.call("POST", f"/api/v1/conversations/{conv['id']}/messages",
                           json={"content": "x"})).json()["id"]


def _multipart(filename: bytes, content_type: bytes) -> bytes:
    return (b'--XX\r\nContent-Disposition: form-data; name="file"; filename="' + filename
            + b'"\r\nContent-Type: ' + content_type + b"\r\n\r\nabc\r\n--XX--\r\n")


@pytest.mark.parametrize("filename,content_type", [
    (b"a\x00b.txt", b"text/plain"), (b"a\x01b.txt", b"text/plain"), (b"a\x7fb.txt", b"text/plain"),
    (b"a\tb.txt", b"text/plain"), ("a\u0085b.txt".encode(), b"text/plain"),  # C1: NEL
    ("a\u009bb.txt".encode(), b"text/plain"), (b"a.txt", b"text/pl\x01ain"), (b"a.txt", b"text/plain\x00"),
    (b"a.txt", b"not a media type"), (b"a.txt", b"text/plain; charset=\x1b[31m"),
])
def test_control_characters_are_refused_and_nothing_stored(make_api, run, filename, content_type):
    async def go():
        api = await (await make_api()).login()
        message = await _message(api)
        before = counts(api.state)
        r = await api.call("POST", f"/api/v1/messages/{message}/attachments",
                           content=_multipart(filename, content_type),
                           headers={"content-type": "multipart/form-data; boundary=XX"})
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "file"]
        assert counts(api.state) == before
    run(go())


@pytest.mark.parametrize("name", ["résumé.txt", "日本語.pdf", "plain.txt", "naïve 'quoted'.md",
                                  "emoji 😀.png"])
def test_every_stored_name_downloads_with_rfc6266_filename_star(make_api, run, name):
    async def go():
        api = await (await make_api()).login()
        message = await _message(api)
        r = await api.call("POST", f"/api/v1/messages/{message}/attachments",
                           files={"file": (name, b"abc", "text/plain; charset=utf-8")})
        assert r.status_code == 201 and r.json()["filename"] == name
        d = await api.call("GET", f"/api/v1/attachments/{r.json()['id']}/content")
        assert d.status_code == 200 and d.content == b"abc"
        header = d.headers["content-disposition"]
        header.encode("ascii")  # headers are ASCII: the real name travels percent-encoded
        if name.isascii():
            assert header == f'attachment; filename="{name}"'
        else:
            star = header.split("filename*=UTF-8''", 1)[1]
            assert unquote(star, encoding="utf-8") == name
        assert d.headers["x-content-type"] == "text/plain; charset=utf-8"
    run(go())


def test_the_fallback_name_holds_no_quote_or_control_character():
    # Rows stored before uploads were checked still download.
    header = content_disposition('a"b\\c\x00\r\n.txt')
    assert header.startswith('attachment; filename="a_b_c___.txt"; filename*=UTF-8\'\'')
    assert all(" " <= c <= "~" for c in header)


def test_upload_limit_is_the_contracts():
    schemas = yaml.safe_load(spec_path().read_text())["components"]["schemas"]
    assert schemas["AttachmentUpload"]["properties"]["file"]["x-max-bytes"] == UPLOAD_LIMIT
