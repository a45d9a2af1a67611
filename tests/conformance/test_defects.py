"""The suite catches each planted defect under the right requirement ids, and nothing else.

Each defect that breaks the documented shape of a response is also, rightly, caught by the
Schemathesis layer (SCHEMA-00x); those ids are part of the expected set.
"""

import pytest

from conformance.results import Outcome

from .fake_server import DEFECTS

EXPECTED = {
    "problem_json_422": {"ERR-001", "ERR-002", "ERR-003", "SCHEMA-003"},
    "loc_elsewhere": {"ERR-002", "ERR-003"},
    "missing_field": {"SCHEMA-005"},
    "wrong_type": {"SCHEMA-005"},
    "auth_ignored": {"SEC-001", "SEC-002", "SSE-006"},
    "no_www_authenticate": {"SEC-001", "SEC-002", "SCHEMA-004"},
    # The sharer can also read the other user's clone: the same leak, seen by SHARE-004.
    "cross_user_leak": {"SEC-003", "SHARE-004"},
    "page_loses_item": {"CONV-005", "MSG-004"},
    "sse_wrong_content_type": {"SSE-001", "SCHEMA-003"},
    "sse_no_final": {"SSE-002", "SSE-004"},
    "replay_ignores_last_event_id": {"SSE-004", "SSE-005"},
    "sse_final_resent": {"SSE-005"},
    "ticket_opens_any_message": {"SSE-006"},
    "echo_api_key": {"SEC-004", "SCHEMA-005"},
    "message_readable_after_delete": {"MSG-003"},
    "share_readable_after_revoke": {"SHARE-003"},
    "share_expiry_ignored": {"SHARE-001"},
    "attachment_bytes_changed": {"ATT-001"},
    "search_ignores_messages": {"CONV-006"},
    "mark_read_noop": {"CONV-007"},
    # createProviderConfig does not document 404 at all, so the fuzzer sees it too.
    "body_reference_404": {"ERR-005", "PCFG-002", "SCHEMA-002"},
}


def test_every_defect_has_an_expectation():
    assert set(EXPECTED) == DEFECTS


def _failed(result):
    return {item.requirement.id for item in result.failed}


def test_clean_fake_passes_everything_it_implements(run_against_fake):
    result = run_against_fake()
    assert _failed(result) == set()
    assert result.unsupported_areas == ["summary", "title"]
    assert {i.requirement.id for i in result.results if i.outcome is Outcome.UNSUPPORTED} == {"SUM-001", "TITLE-001"}
    assert result.exit_code == 0


@pytest.mark.slow
def test_clean_fake_passes_the_ci_profile(run_against_fake):
    # Coverage and stateful phases run only in ci; they must not flag a correct server either.
    assert _failed(run_against_fake(profile="ci")) == set()


@pytest.mark.parametrize("defect", sorted(EXPECTED))
def test_defect_is_caught_under_its_requirement(run_against_fake, defect):
    result = run_against_fake({defect})
    assert _failed(result) == EXPECTED[defect]
    assert result.exit_code == 1
    for item in result.failed:
        assert item.findings, f"{item.requirement.id} failed without saying why"
