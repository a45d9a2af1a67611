"""contract.load_contract: the parsed contract comes from a JSON copy named by the YAML's SHA-256."""

from __future__ import annotations

import yaml

from chat_contract.resources import spec_path
from reference_impl import contract as app


def _yaml(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_copy_is_written_then_read_and_equals_the_yaml(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = app.load_contract()
    [copy] = (tmp_path / "chat-contract").glob("openapi-*.json")
    assert first == _yaml(spec_path())
    copy.write_text('{"openapi": "from the copy"}', encoding="utf-8")
    assert app.load_contract() == {"openapi": "from the copy"}  # read, not parsed again


def test_a_broken_copy_is_ignored_and_an_edited_contract_is_never_read_stale(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    app.load_contract()
    [copy] = (tmp_path / "cache" / "chat-contract").glob("openapi-*.json")
    copy.write_text("{not json", encoding="utf-8")
    assert app.load_contract() == _yaml(spec_path())
    edited = tmp_path / "openapi.yaml"
    edited.write_text(spec_path().read_text(encoding="utf-8").replace(
        "title:", "title: Edited", 1), encoding="utf-8")
    monkeypatch.setattr(app, "spec_path", lambda: edited)
    assert app.load_contract() == _yaml(edited) != _yaml(spec_path())


def test_a_document_json_cannot_hold_is_not_copied(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dated = tmp_path / "openapi.yaml"
    dated.write_text("openapi: 3.1.0\ninfo: {title: t, version: 2026-11-23}\npaths: {}\n",
                     encoding="utf-8")
    monkeypatch.setattr(app, "spec_path", lambda: dated)
    assert str(app.load_contract()["info"]["version"]) == "2026-11-23"  # a date, from YAML
    assert not list((tmp_path / "cache").glob("**/*.json"))
