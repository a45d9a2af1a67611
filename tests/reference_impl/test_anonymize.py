"""Placeholders replace personal data; each original kept fits the contract's 512 characters."""

from reference_impl.services.anonymize import MAX_PLACEHOLDERS, anonymize


def test_mapping_values_stay_within_the_contract_bound():
    mapping: dict[str, str] = {}
    text = anonymize("0" * 1000 + " and " + "a" * 600 + "@example.com", mapping)
    assert mapping and all(len(original) <= 512 for original in mapping.values())
    assert "<EMAIL_1>" in text  # a 1,000-digit run is no phone number: left as it is


def test_an_ordinary_number_and_address_are_replaced_whole():
    mapping: dict[str, str] = {}
    assert anonymize("call +351 912 345 678 or ana@example.pt", mapping) == \
        "call <PHONE_1> or <EMAIL_1>"
    assert mapping == {"<PHONE_1>": "+351 912 345 678", "<EMAIL_1>": "ana@example.pt"}


def test_the_mapping_holds_at_most_100_placeholders():
    """Issue 18 #12: 30 messages grew a mapping to 42,000 entries, carried by every list row."""
    mapping: dict[str, str] = {}
    first = anonymize(" ".join(f"a{i}@example.com" for i in range(90)), mapping)
    second = anonymize(" ".join(f"a{i}@example.com" for i in range(80, 130)) + " +351 912 345 678", mapping)
    assert len(mapping) == MAX_PLACEHOLDERS == 100
    assert "@" not in first + second and "912" not in second  # still replaced, unnumbered
    assert second.split()[:10] == [f"<EMAIL_{i}>" for i in range(81, 91)]  # known ones keep theirs
    assert second.split()[20:] == ["<EMAIL>"] * 30 + ["<PHONE>"]
