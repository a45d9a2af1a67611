"""Browser tests' screenshots are kept as artefacts under reports/browser/<test>/ (git ignores it)."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chat_contract.bench.servers import Server, answers, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def artefacts(request) -> Path:
    folder = ROOT / "reports" / "browser" / re.sub(r"[^\w.-]", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def running(command: str, *args: str) -> Iterator[str]:
    """`chat-contract serve|proxy ARGS` on a free port; its base URL once /__mock/health answers."""
    port = free_port()
    argv = [sys.executable, "-m", "chat_contract.cli", command, "--port", str(port), *args]
    with Server(command, argv, port, answers("/__mock/health", statuses={200})) as server:
        yield server.base_url
