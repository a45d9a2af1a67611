"""Sign-in throttling holds under parallel guesses and across workers (issue 18 #3).

The count is taken, in one store transaction, before the password is hashed: at most FAILURES
attempts per username per window reach the hash, whatever the concurrency, and workers sharing
a database share the count.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from reference_impl import auth
from reference_impl.app import Settings, create_app
from reference_impl.errors import TooManyRequests
from reference_impl.store import Store
from reference_impl.throttle import FAILURES, WINDOW, SignInThrottle

TOKEN = "/api/v1/auth/token"


def _counting_hash(monkeypatch) -> list[str]:
    """Every password that reaches the hash; each hash is slowed so that guesses overlap."""
    reached: list[str] = []
    real = auth.hash_password

    def hash_password(password, salt):
        reached.append(password)
        time.sleep(0.05)
        return real(password, salt)
    monkeypatch.setattr(auth, "hash_password", hash_password)
    return reached


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://127.0.0.1:8000", timeout=60)


def test_parallel_guesses_reach_the_hash_at_most_failures_times(tmp_path, run, monkeypatch):
    reached = _counting_hash(monkeypatch)
    app, _ = create_app(Settings(data_dir=tmp_path / "d", token_delay=0))

    async def go():
        async with _client(app) as client:
            guesses = [f"guess-{i}" for i in range(39)] + ["alice-dev-password"]
            answers = await asyncio.gather(*(
                client.post(TOKEN, data={"username": "alice", "password": p}) for p in guesses))
            return [r.status_code for r in answers]
    statuses = run(go())
    assert len(reached) <= FAILURES, len(reached)
    assert statuses.count(429) >= 40 - FAILURES
    assert set(statuses) <= {401, 429, 200}


def test_parallel_guesses_from_threads_against_a_live_server(live_server):
    server = live_server()
    barrier = threading.Barrier(40, timeout=30)

    def guess(i: int) -> int:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            barrier.wait()
            return client.post(TOKEN, data={"username": "bob", "password": f"no-{i}"}).status_code
    threads_out: list[int] = []
    threads = [threading.Thread(target=lambda i=i: threads_out.append(guess(i))) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(threads_out) == 40
    assert threads_out.count(401) <= FAILURES and threads_out.count(429) >= 40 - FAILURES


def test_two_workers_on_one_database_share_the_count(tmp_path, run):
    db = str(tmp_path / "shared.db")
    first, _ = create_app(Settings(db_path=db, data_dir=tmp_path / "d1", token_delay=0))
    second, _ = create_app(Settings(db_path=db, data_dir=tmp_path / "d2", token_delay=0))

    async def go():
        async with _client(first) as one, _client(second) as two:
            for i in range(FAILURES):
                worker = one if i % 2 else two
                r = await worker.post(TOKEN, data={"username": "alice", "password": "wrong"})
                assert r.status_code == 401
            for worker in (one, two):
                r = await worker.post(TOKEN, data={"username": "alice",
                                                   "password": "alice-dev-password"})
                assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= WINDOW
    run(go())


@pytest.fixture
def store(tmp_path):
    made = Store(None, tmp_path / "throttle")
    yield made
    made.close()


def test_a_flood_against_other_usernames_does_not_reset_a_count(store):
    now = [1000.0]
    throttle = SignInThrottle(store, clock=lambda: now[0], max_rows=500)
    for _ in range(FAILURES):
        throttle.take("alice")
    for i in range(2000):  # far more usernames than the throttle keeps rows for
        try:
            throttle.take(f"other-{i}")
        except TooManyRequests:
            pass
    with pytest.raises(TooManyRequests):
        throttle.take("alice")
    rows = store.one("SELECT count(*) AS n FROM sign_in_attempts")["n"]
    assert rows <= 500
    now[0] += WINDOW + 0.01  # every attempt is older than the window: all rows go
    throttle.take("carol")
    assert store.one("SELECT count(*) AS n FROM sign_in_attempts")["n"] == 1


def test_the_window_passes_and_a_success_clears_the_count(store):
    now = [1000.0]
    throttle = SignInThrottle(store, clock=lambda: now[0])
    for _ in range(FAILURES):
        throttle.take("Alice")
    with pytest.raises(TooManyRequests) as refused:
        throttle.take("alice")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == str(int(WINDOW))
    now[0] += WINDOW / 2
    with pytest.raises(TooManyRequests):
        throttle.take("ALICE")
    now[0] += WINDOW / 2 + 0.01
    throttle.take("alice")  # the failures are older than the window
    for _ in range(FAILURES - 2):
        throttle.take("alice")
    throttle.succeeded("alice")
    for _ in range(FAILURES):
        throttle.take("alice")
