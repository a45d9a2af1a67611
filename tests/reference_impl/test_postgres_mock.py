"""The mock controls on a server whose state is in PostgreSQL: named sessions, and reset,
snapshot and restore of the default (shared) state, which copy rows between engines."""

from __future__ import annotations

import re

import httpx
import pytest

from chat_contract.resources import fixtures_dir

from ..postgres import fresh_database
from .live import login, serve

pytestmark = pytest.mark.slow

ATTACHMENT = "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b"  # fixtures/seed.yaml: itinerary.txt
ITINERARY = (fixtures_dir() / "files" / "itinerary.txt").read_bytes()


def test_sessions_snapshots_and_reset_on_postgres(tmp_path):
    with fresh_database() as url, serve(tmp_path, "--db", url) as host, \
            httpx.Client(base_url=host.base_url, timeout=30) as client:
        admin = {"X-Mock-Token": re.search(r"X-Mock-Token: (\S+)", host.log()).group(1)}
        auth = {"Authorization": f"Bearer {host.token}"}

        def titles(**headers: str) -> list[str]:
            page = client.get("/api/v1/conversations", params={"limit": 100},
                              headers={**auth, **headers})
            assert page.status_code == 200, page.text
            return [c["title"] for c in page.json()["items"]]

        fixtures = titles()
        # A named session: its own copy, the shared state untouched.
        made = client.post("/api/v1/conversations", json={"title": "in a session"},
                           headers={**auth, "X-Mock-Session": "run-1"})
        assert made.status_code == 201, made.text
        assert titles(**{"X-Mock-Session": "run-1"}) == ["in a session", *fixtures]
        assert titles() == fixtures

        # The default state: snapshot (PostgreSQL -> a copy), write, restore (copy -> PostgreSQL).
        taken = client.put("/__mock/sessions/default/snapshots/clean", headers=admin)
        assert taken.status_code == 201, taken.text
        client.post("/api/v1/conversations", json={"title": "after the snapshot"}, headers=auth)
        assert titles()[0] == "after the snapshot"
        restored = client.post("/__mock/sessions/default/snapshots/clean/restore", headers=admin)
        assert restored.status_code == 200, restored.text
        assert titles() == fixtures
        # Keys go on after the copy: a new row still lists first, newest first.
        client.post("/api/v1/conversations", json={"title": "after the restore"}, headers=auth)
        assert titles() == ["after the restore", *fixtures]
        # The bytes came back too: the fixture attachment still downloads.
        content = client.get(f"/api/v1/attachments/{ATTACHMENT}/content", headers=auth)
        assert content.status_code == 200 and content.content == ITINERARY

        # Reset: back to the fixtures, tokens forgotten (as on SQLite).
        assert client.post("/__mock/sessions/default/reset", headers=admin).status_code == 200
        assert client.get("/api/v1/users/me", headers=auth).status_code == 401
        token = login(host.base_url)
        page = client.get("/api/v1/conversations", params={"limit": 100},
                          headers={"Authorization": f"Bearer {token}"}).json()
        assert [c["title"] for c in page["items"]] == fixtures
