"""What every store engine promises the services, run against SQLite and PostgreSQL alike
(each test on a database of its own: a temporary file, or a PostgreSQL database created for
it and dropped after; tests/postgres.py)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from chat_contract.resources import fixtures_dir
from reference_impl import seed
from reference_impl.errors import Conflict
from reference_impl.services import conversations, messages, providers, replies
from reference_impl.store import Store, open_store
from reference_impl.store.schema import COPIED_TABLES

from ..postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgres"])
def target(request, tmp_path: Path):
    """What `--db` names for this engine: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "state.db")
    else:
        with fresh_database() as url:
            yield url


@pytest.fixture
def store(target, tmp_path: Path):
    made = open_store(target, tmp_path / "files")
    seed.load(made, fixtures_dir())
    yield made
    made.close()


def _alice(store) -> str:
    return store.accounts.user_named("alice")["id"]


def _conversation(store, user_id: str, title: str, **extra) -> dict:
    return conversations.create(store, user_id, {"title": title, **extra})


def test_keyset_pages_list_every_row_once_in_order(store) -> None:
    alice = _alice(store)
    made = [_conversation(store, alice, f"c{i}")["id"] for i in range(7)]
    seen, cursor = [], None
    while True:
        page = conversations.list_page(store, alice, 3, cursor)
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[:7] == made[::-1]  # newest first, then the fixtures'
    assert len(seen) == len(set(seen)) == 7 + 2  # alice has two fixture conversations
    # A cursor before the oldest row of a newest-first list gives an empty page.
    assert conversations.list_page(store, alice, 3, "A")["items"] == []


def test_a_failed_write_leaves_nothing(store) -> None:
    alice = _alice(store)
    before = len(conversations.list_page(store, alice, 100, None)["items"])
    with pytest.raises(ZeroDivisionError):
        with store.transaction():
            store.conversations.add({
                "id": "00000000-0000-4000-8000-000000000001", "user_id": alice, "title": "x",
                "status": "active", "chatbot_id": None, "model": None, "metadata": {},
                "is_anonymized": 0, "mapping": {}, "created_at": "2026-01-01T00:00:00.000000Z",
                "updated_at": "2026-01-01T00:00:00.000000Z"})
            1 / 0
    assert len(conversations.list_page(store, alice, 100, None)["items"]) == before


def test_seeding_twice_adds_nothing(store) -> None:
    counts = [store.one(f"SELECT count(*) AS n FROM {t}")["n"]
              for t in ("users", "conversations", "messages", "shares", "share_messages")]
    seed.load(store, fixtures_dir())
    assert [store.one(f"SELECT count(*) AS n FROM {t}")["n"]
            for t in ("users", "conversations", "messages", "shares", "share_messages")] == counts


@pytest.mark.parametrize("text", ["nul \x00 inside", "\x01 and \x00\x01\x000", "\x010", "plain"])
def test_any_text_reads_back_exactly(store, text: str) -> None:
    alice = _alice(store)
    conv = _conversation(store, alice, text, metadata={"k": text})
    got = conversations.get(store, alice, conv["id"])
    assert (got["title"], got["metadata"]) == (text, {"k": text})


@pytest.mark.parametrize("text", ["\x00" * 300, "é\x00" * 150, "a" * 199 + "€" * 3, "😀" * 201])
def test_the_list_previews_the_last_message_s_first_200_characters(store, text: str) -> None:
    """The preview is the last message's first 200 characters, whatever they are (a cut in
    SQL, tried so that a list row would not read a whole long message, got NULs wrong)."""
    alice = _alice(store)
    conv = _conversation(store, alice, "preview")
    messages.create(store, alice, conv["id"], {"content": "first"})
    messages.create(store, alice, conv["id"], {"content": text})
    listed = conversations.list_page(store, alice, 100, None)["items"]
    previews = {c["id"]: c["last_message_preview"] for c in listed}
    assert previews[conv["id"]] == text[:200]
    assert conversations.get(store, alice, conv["id"])["last_message_preview"] == text[:200]


def test_search_folds_ascii_letters_only_and_finds_a_nul(store) -> None:
    alice = _alice(store)
    ids = {name: _conversation(store, alice, name)["id"]
           for name in ("Crème BRÛLÉE", "a\x00b", "ÉCOLE")}

    def found(q: str) -> set[str]:
        return {c["id"] for c in conversations.list_page(store, alice, 100, None, q=q)["items"]}

    assert ids["Crème BRÛLÉE"] in found("crème br")   # ASCII letters fold
    assert ids["Crème BRÛLÉE"] not in found("brûlée")  # others do not (as SQLite's lower())
    assert found("\x00") == {ids["a\x00b"]}
    assert ids["ÉCOLE"] in found("École") and ids["ÉCOLE"] not in found("école")


def test_attachment_bytes_are_kept_until_unused(store) -> None:
    data = bytes(range(256)) * 4
    store.write_blob("ab" * 32, data)
    store.write_blob("ab" * 32, data)  # the same bytes again: one copy
    assert store.read_blob("ab" * 32) == data and store.has_blob("ab" * 32)
    store.drop_blob_if_unused("ab" * 32)
    assert store.read_blob("ab" * 32) is None and not store.has_blob("ab" * 32)


def test_the_sign_in_count_is_one_count(store) -> None:
    for _ in range(3):
        assert store.accounts.take_attempt("alice", 100.0, 60.0, 3, 1000) is None
    assert store.accounts.take_attempt("alice", 110.0, 60.0, 3, 1000) == pytest.approx(50.0)
    assert store.accounts.take_attempt("bob", 110.0, 60.0, 3, 1000) is None
    store.accounts.forget_attempts("alice")
    assert store.accounts.take_attempt("alice", 111.0, 60.0, 3, 1000) is None


def test_whole_conversation_work_comes_in_slices(store) -> None:
    alice = _alice(store)
    conv = _conversation(store, alice, "long")
    row = conversations.owned(store, alice, conv["id"])
    with store.transaction():
        for i in range(40):
            messages.add(store, row, role="user", content=f"m{i}", parent_id=None, status="sent")

    async def read() -> list[int]:
        return [len(rows) async for rows in store.messages.texts(conv["id"], 16)]

    assert asyncio.run(read()) == [16, 16, 8]
    summary = asyncio.run(conversations.summary(store, alice, conv["id"], 500, "en"))
    assert summary["message_count"] == 40


def test_reply_events_replay_and_an_interrupted_reply_ends_failed(store) -> None:
    alice = _alice(store)
    conv = _conversation(store, alice, "reply")
    reply = replies.start(store, alice, conv["id"], {"content": "hello"})
    store.replies.append(reply.message_id, 0, "reply.started", "{}")
    store.replies.append(reply.message_id, 1, "reply.delta", '{"text":"a"}')
    assert [e["position"] for e in store.replies.after(reply.message_id, 0)] == [1]
    assert store.replies.final(reply.message_id) is None
    assert replies.fail_interrupted(store, stale=0.0) == 1
    events = store.replies.after(reply.message_id, -1)
    assert [e["event"] for e in events] == ["reply.started", "reply.delta", "reply.failed"]
    assert store.messages.status(reply.message_id) == "failed"
    assert replies.fail_interrupted(store, stale=0.0) == 0


def test_writers_of_two_stores_on_one_database_take_turns(target, tmp_path: Path) -> None:
    """Two hosts (or workers) creating the same provider at once: one 201, the rest 409."""
    stores = [open_store(target, tmp_path / "files") for _ in range(2)]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def create(store) -> None:
        barrier.wait()
        try:
            providers.create_provider(store, {"name": "Racing", "api_endpoint": "https://x.test"})
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create, args=(stores[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert sorted(outcomes) == ["conflict"] * 7 + ["created"]


def test_a_copy_holds_every_row_and_byte_across_engines(store, tmp_path: Path) -> None:
    """Mock sessions, snapshots and reset copy stores: SQLite to either engine and back."""
    def counts(s) -> dict[str, int]:
        return {t: s.one(f"SELECT count(*) AS n FROM {t}")["n"] for t in COPIED_TABLES}

    before, hashes = counts(store), sorted(store.blob_hashes())
    copy = Store(None, tmp_path / "copy")
    store.copy_to(copy)
    assert counts(copy) == before and sorted(copy.blob_hashes()) == hashes
    alice = _alice(store)
    _conversation(store, alice, "after the copy")
    copy.copy_to(store)  # back: the new row is gone, keys go on after the largest
    assert counts(store) == before and sorted(store.blob_hashes()) == hashes
    newest = _conversation(store, alice, "after the restore")
    assert conversations.list_page(store, alice, 1, None)["items"][0]["id"] == newest["id"]
    copy.close()
