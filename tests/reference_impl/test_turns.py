"""Whole-conversation work takes turns (turns.py), and counting words a piece at a time counts
the same words as counting the whole text (services/texts.py)."""

from __future__ import annotations

import asyncio
from collections import Counter

from hypothesis import example, given, settings, strategies as st

from reference_impl.services import texts
from reference_impl.turns import next_turn

from .loop_turns import counting_turns


def test_one_slice_per_turn_of_the_loop_in_order():
    """Three heavy tasks of three slices each, and a task that counts turns of the loop: the
    slices run one per turn, round-robin, never two in the same turn."""
    async def go():
        log: list[tuple[int, str, int]] = []

        async def heavy(name: str):
            for n in range(3):
                await next_turn()
                log.append((turns.count, name, n))

        async with counting_turns() as turns:
            await asyncio.gather(heavy("a"), heavy("b"), heavy("c"))
        return log

    log = asyncio.run(go())
    assert [(name, n) for _, name, n in log] == [
        (name, n) for n in range(3) for name in "abc"]
    turns = [t for t, _, _ in log]
    assert len(set(turns)) == len(turns), f"two slices in one turn: {log}"


def test_a_cancelled_waiter_does_not_take_a_turn():
    async def go():
        blocked = asyncio.create_task(next_turn())
        await asyncio.sleep(0)
        blocked.cancel()
        await asyncio.wait_for(next_turn(), 5)  # not stuck behind the cancelled one
    asyncio.run(go())


_TEXT = st.lists(st.sampled_from([*"aΣσςİiIé1_ .\n'\u0301", "Straße", "with", "lisbon "]),
                 max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.integers(1, 40))
@example("aaaΣ.aaaa bbbb", 3)  # cut at the '.', the sigma would read as final: 'aaaς'
def test_words_counted_piece_by_piece_are_the_words_of_the_whole(text, size):
    pieces = list(texts.pieces(text, size))
    assert "".join(pieces) == text
    whole, by_piece = texts.Topics(), texts.Topics()
    whole.add(text)
    for piece in pieces:
        by_piece.add(piece)
    assert list(by_piece.words.items()) == list(whole.words.items())
    # ... and the words, counts and order of first appearance of a plain count of the whole.
    plain = Counter(w for w in texts._WORD.findall(text.lower()) if w not in texts._STOP)
    assert list(whole.words.items()) == list(plain.items())
