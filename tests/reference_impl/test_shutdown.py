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
