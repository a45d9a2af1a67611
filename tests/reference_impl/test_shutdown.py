"""A server stopped with SIGTERM (what process managers and the benchmark send) cleans up."""

from __future__ import annotations

import os
import signal

import pytest

from .live import serve


@pytest.mark.slow
@pytest.mark.parametrize("extra", [(), ("--workers", "2")], ids=["one-worker", "two-workers"])
def test_sigterm_leaves_no_temporary_state(tmp_path, monkeypatch, extra):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # where the server keeps mock sessions and its in-memory store
    db = ("--db", str(tmp_path / "state.db")) if extra else ()
    with serve(tmp_path, *extra, *db) as server:
        assert list(scratch.iterdir()), "the server keeps no temporary state: this test proves nothing"
        os.killpg(server.process.pid, signal.SIGTERM)
        # uvicorn stops gracefully, then re-raises SIGTERM: the process ends by that signal.
        assert server.process.wait(15) in (0, -signal.SIGTERM)
    assert list(scratch.iterdir()) == []


@pytest.mark.slow
def test_ctrl_c_stops_the_server_and_its_helper_quietly(tmp_path):
    # Ctrl-C in a terminal sends SIGINT to the whole process group: the server and the helper
    # that validates large bodies (offload.py). Neither may print a traceback.
    with serve(tmp_path) as server:
        helper = _helper_of(server.process.pid)
        os.killpg(server.process.pid, signal.SIGINT)
        assert server.process.wait(15) == 0
        log = server.log()
    assert "Traceback" not in log and "KeyboardInterrupt" not in log, log[-2000:]
    assert "Finished server process" in log
    with pytest.raises(ProcessLookupError):
        os.kill(helper, 0)  # the helper is gone too


def _helper_of(pid: int) -> int:
    import time
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # the helper starts in the background, with the server
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                        parent = int(fh.read().rsplit(")", 1)[1].split()[1])
                    with open(f"/proc/{entry}/cmdline", "rb") as fh:
                        is_spawn = b"spawn_main" in fh.read()
                except OSError:
                    continue
                if parent == pid and is_spawn:
                    return int(entry)
        time.sleep(0.05)
    raise AssertionError("no helper process found")
