"""`chat-contract serve` for a newcomer: a mistyped --db folder, Swagger UI's servers, and
journal times written like every other time of the contracts."""

import warnings
from datetime import datetime

from starlette.testclient import TestClient

from reference_impl.cli import main
from reference_impl.mock.journal import Journal


def test_db_in_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    missing = tmp_path / "no-such-folder" / "state.db"
    assert main(["--db", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"folder {missing.parent} does not exist" in err
    assert not missing.parent.exists()  # nothing created on the way


def test_an_unreachable_postgresql_is_a_clear_error(capsys, monkeypatch):
    from ..loopback import free_port

    monkeypatch.delenv("CHAT_CONTRACT_DB", raising=False)
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/chat"  # nothing listens there
    assert main(["--db", url]) == 2
    err = capsys.readouterr().err
    assert "cannot connect to PostgreSQL" in err and "Connection refused" in err


def test_the_database_may_come_from_the_environment(capsys, monkeypatch):
    from ..loopback import free_port

    monkeypatch.setenv("CHAT_CONTRACT_DB", f"postgresql://postgres@127.0.0.1:{free_port()}/x")
    assert main([]) == 2  # it was used: the same clear error
    assert "cannot connect to PostgreSQL" in capsys.readouterr().err


def test_swagger_ui_lists_this_server():
    from reference_impl.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app()[0]
    client = TestClient(app, base_url="http://127.0.0.1:8123")
    for path in ("/openapi.json", "/docs/openapi.json"):
        response = client.get(path)
        if response.status_code == 200:
            assert response.json()["servers"] == [{"url": "http://127.0.0.1:8123",
                                                   "description": "this reference server"}]
            break
    else:
        raise AssertionError("no served OpenAPI document")


def test_journal_times_are_rfc3339():
    journal = Journal()
    journal.record("s", 1795445190.8221266, "GET", "/api/v1/conversations", "", 200, 1.5, None)
    (entry,) = journal.read("s")
    assert entry["time"] == "2026-11-23T14:46:30.822Z"
    assert datetime.fromisoformat(entry["time"]).timestamp() == 1795445190.822
