"""The reference server the client tests run against: one per module, on a free port."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from chat_contract.bench.servers import Server, answers, free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    port = free_port()
    db = tmp_path_factory.mktemp("server") / "clients.db"
    command = [sys.executable, "-m", "chat_contract.cli", "serve", "--port", str(port), "--db", str(db)]
    with Server("reference", command, port, answers("/api/v1/users/me", statuses={401})) as running:
        yield running.base_url
