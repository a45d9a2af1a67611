"""Cursors, languages and other shared rules of the service layer."""

import re

from hypothesis import given, strategies as st

from reference_impl.services.common import decode_cursor, encode_cursor, language

# The contract's Cursor parameter: ^[A-Za-z0-9_-]+$, 1 to 200 characters.
CURSORS = st.from_regex(re.compile(r"\A[A-Za-z0-9_-]{1,200}\Z"))


@given(CURSORS)
def test_every_schema_valid_cursor_decodes_to_a_position(cursor):
    position = decode_cursor(cursor)
    assert 0 <= position <= 2 ** 63 - 1


@given(st.integers(min_value=0, max_value=2 ** 63 - 1))
def test_cursors_round_trip_and_match_the_contract_pattern(seq):
    cursor = encode_cursor(seq)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,200}", cursor)
    assert decode_cursor(cursor) == seq


def test_no_cursor_means_the_first_page():
    assert decode_cursor(None) is None


@given(st.text(max_size=200))
def test_any_accept_language_gives_a_supported_language(value):
    assert language(value) in ("en", "fr")


def test_language_preferences():
    assert language("fr-FR, en;q=0.5") == "fr"
    assert language("en, fr;q=0.9") == "en"
    assert language("de, fr;q=0.3") == "fr"
    assert language("fr;q=0") == "en"
    assert language("0" * 200) == "en" and language(None) == "en"
