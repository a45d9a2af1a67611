"""`chat-contract serve --reload`: an edited fixture file restarts the server with the new data."""

import shutil
import time

import httpx

from chat_contract.resources import fixtures_dir

from tests.reference_impl.live import login

from .conftest import CONVERSATIONS, LISBON


def _title(base_url):
    token = login(base_url, timeout=2)
    r = httpx.get(f"{base_url}{CONVERSATIONS}/{LISBON}", timeout=2,
                  headers={"Authorization": f"Bearer {token}"})
    return r.json()["title"]


def test_editing_the_fixtures_reloads_the_server(live_server, tmp_path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(fixtures_dir(), fixtures)
    server = live_server("--reload", "--fixtures", str(fixtures))
    before = _title(server.base_url)
    seed = fixtures / "seed.yaml"
    text = seed.read_text(encoding="utf-8")
    assert text.count(f"title: {before}") == 1
    seed.write_text(text.replace(f"title: {before}", "title: Reloaded title"), encoding="utf-8")
    deadline = time.monotonic() + 120  # a guard: a restart under heavy load is slow
    seen = before
    while seen != "Reloaded title" and time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            seen = _title(server.base_url)
        except (httpx.TransportError, httpx.HTTPStatusError):
            continue  # restarting
    assert seen == "Reloaded title", server.log()
