"""Placeholders replace personal data; each original kept fits the contract's 512 characters."""

from reference_impl.services.anonymize import anonymize


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
