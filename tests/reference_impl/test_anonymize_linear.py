"""Anonymisation in linear time, finding what the old regular expression found within real bounds."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, strategies as st

from reference_impl.services.anonymize import _EMAIL, anonymize, find_emails

# The unbounded expression the bounded one replaces (quadratic on long runs of address
# characters); on texts whose runs fit the bounds both find the same addresses.
OLD_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
LIMIT = 32_000  # the contract's maxLength for a message

ADVERSARIAL = {
    "local-part run": "a" * LIMIT,
    "digits then a letter": "1" * (LIMIT - 1) + "a",
    "dots after @": "a@" + "a." * (LIMIT // 2 - 1),
    "domain without a top level": "x@" + "1" * (LIMIT - 2),
    "hyphens after @": "a@" + "a-" * (LIMIT // 2 - 1),
    "many @": "a@" * (LIMIT // 2),
    "spaced digits": "1 " * (LIMIT // 2 - 1) + "a",
    "dashed digits": "1-" * (LIMIT // 2 - 1) + "x",
    "addresses": "ab@cd.ef " * (LIMIT // 9),
    "distinct addresses": " ".join(f"a{i}@b.cc" for i in range(LIMIT // 11)),
    # An `@` just too far apart to join find_emails' stretches: the most it scans twice.
    "@ every 66 characters": ("a" * 65 + "@") * (LIMIT // 66),
}


@given(st.text(alphabet="ab1.@-+ _%Z", max_size=40))
def test_the_scanner_finds_what_the_old_expression_found(text):
    assert list(find_emails(text)) == [m.span() for m in OLD_EMAIL.finditer(text)]


@given(st.text(alphabet="ab1.@-+ _%Z", max_size=300) | st.builds(
    lambda a, b, c: a + "@" + b + "." + c, st.text("ab1.-@", max_size=80),
    st.text("ab1.-@", max_size=300), st.text("abZ.@", max_size=80)))
def test_the_scan_from_each_at_sign_finds_what_the_expression_finds(text):
    # find_emails tries the bounded expression only before an `@`: the same spans as trying
    # it everywhere, local parts of 64 characters and more included.
    assert list(find_emails(text)) == [m.span() for m in _EMAIL.finditer(text)]


@pytest.mark.parametrize("name", [*ADVERSARIAL, "bench"])
def test_a_32000_character_message_costs_what_a_plain_one_does(name):
    # "bench": the abuse scenario's message (chat_contract/bench/abuse.py). Not a time limit (a
    # loaded machine would fail it): the hostile text against a plain one of the same length,
    # taking turns, best of five each. Backtracking would make it hundreds of times slower.
    text = ADVERSARIAL.get(name) or " write to ann@example.com or call +33 1 23 45 67 89".rjust(LIMIT, "a")
    assert len(text) <= LIMIT
    plain = ("lorem ipsum " * (len(text) // 12 + 1))[:len(text)]
    best = {text: float("inf"), plain: float("inf")}
    for _ in range(5):
        for sample in (text, plain):
            started = time.perf_counter()
            anonymize(sample, {})
            best[sample] = min(best[sample], time.perf_counter() - started)
    assert best[text] < 20 * best[plain] + 0.005, (name, best[text], best[plain])


def test_placeholders_are_stable():
    mapping: dict[str, str] = {}
    out = anonymize("mail ann@ex.com or ann@ex.com, call +33 1 23 45 67 89", mapping)
    assert out == "mail <EMAIL_1> or <EMAIL_1>, call <PHONE_1>"
    assert mapping == {"<EMAIL_1>": "ann@ex.com", "<PHONE_1>": "+33 1 23 45 67 89"}
