"""The suite catches each planted defect under the right requirement ids, and nothing else.

Each defect that breaks the documented shape of a response is also, rightly, caught by the
Schemathesis layer (SCHEMA-00x); those ids are part of the expected set. The hand-written and
Schemathesis layers are judged with the model layer left out (its random sequences reach many
of these defects too); the model's own defects (MODEL_DEFECTS) must pass every other layer and
fail MODEL-001.
"""

import contextlib
import re

import pytest
import yaml

from chat_contract.resources import spec_path
from conformance.results import Outcome

from .conftest import model_catch
from .fake_server import DEFECTS, MODEL_DEFECTS, ServerThread, build_app


def _item_schema() -> dict:
    spec = yaml.safe_load(spec_path().read_text(encoding="utf-8"))
    return spec["components"]["schemas"]["ValidationErrorItem"]


def _schema_pins_loc_part() -> bool:
    """Whether the contract's 422 item schema itself constrains loc[0] (then SCHEMA-005 sees it too)."""
    return "prefixItems" in _item_schema()["properties"]["loc"]


def _item_refuses_input() -> bool:
    """Whether the contract's 422 item is closed to pydantic's `input` (then the 422 judges see it too)."""
    item = _item_schema()
    return "input" not in item["properties"] and item.get("additionalProperties", True) is False


EXPECTED = {
    "problem_json_422": {"ERR-001", "ERR-002", "ERR-003", "SCHEMA-003"},
    "loc_elsewhere": {"ERR-002", "ERR-003", "ROB-006"},
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
    "echo_api_key": {"SEC-004", "SEC-006", "SCHEMA-005"},  # SEC-006 also sends valid keys
    "message_readable_after_delete": {"MSG-003"},
    "share_readable_after_revoke": {"SHARE-003"},
    "share_expiry_ignored": {"SHARE-001"},
    "attachment_bytes_changed": {"ATT-001"},
    "search_ignores_messages": {"CONV-006"},
    "mark_read_noop": {"CONV-007"},
    # createProviderConfig does not document 404 at all, so the fuzzer sees it too.
    "body_reference_404": {"ERR-005", "PCFG-002", "SCHEMA-002"},
    # Malformed values: each fails the requirements that read it, never the run.
    "naive_datetime": {"SCHEMA-005", "SHARE-001", "TIME-001", "MSG-005"},
    "invalid_uri": {"SCHEMA-005"},
    # The loc[0] rule is checked in code (ERR-001), whatever the item schema says about loc.
    "loc_without_part": {"ERR-001", "ERR-002", "ERR-003", "ROB-006"} | ({"SCHEMA-005"} if _schema_pins_loc_part() else set()),
    # Write-only values sent invalid, echoed as pydantic's `input` (an API key) or in msg (a password).
    "echo_input_in_422": {"SEC-006"} | ({"SCHEMA-005", "ERR-001", "ERR-002"} if _item_refuses_input() else set()),
    "echo_password_in_msg": {"SEC-006"},
    # Promises of the contract's descriptions (conformance/traces.yaml): each caught by its own requirement.
    "conversations_oldest_first": {"CONV-008"},
    "other_lists_reversed": {"ATT-002", "PROV-001", "PCFG-001", "SHARE-005"},
    "share_survives_conversation_delete": {"CONV-009"},
    "patch_resets_unnamed": {"CONV-010"},
    "read_marker_moves_back": {"CONV-007"},
    "search_matches_deleted": {"CONV-006"},
    # The public view shows what the messages store, so it leaks too.
    "anonymisation_ignored": {"CONV-011", "CONV-012", "SHARE-002"},
    "mapping_unbounded": {"CONV-012", "SCHEMA-005"},
    "public_share_deanonymised": {"SHARE-002"},
    "before_inclusive": {"MSG-005"},
    "message_patch_resets_unnamed": {"MSG-006"},
    "reply_left_dangling": {"MSG-007"},
    "content_truncated": {"MSG-008", "CONV-012"},
    "media_type_dropped": {"ATT-001"},
}

# Violations that prove a traced statement (conformance/traces.yaml `proof:`): each is caught by a
# requirement the statement is traced to.
EXPECTED |= {
    "me_ignores_token": {"AUTH-003"},
    "token_cacheable": {"AUTH-001"},
    "bulk_delete_keeps_shares": {"CONV-009"},
    "metadata_merged": {"CONV-010"},
    "messages_newest_first": {"CONV-008", "MSG-005"},
    "message_delete_keeps_attachments": {"MSG-007"},
    "sse_started_twice": {"SSE-002", "SSE-004"},
    "sources_without_web_search": {"SSE-002"},
    "event_ids_from_one": {"SSE-002", "SSE-004"},
    "attachment_content_after_delete": {"ATT-003"},
    "config_readable_after_delete": {"PCFG-001"},
    "foreign_cursor_422": {"SCHEMA-007"},
    "ticket_cacheable": {"SSE-006"},
    "validation_item_without_msg": {"ERR-001", "ERR-002", "ERR-003", "SCHEMA-005"},
}

# Robustness (issue 10): each planted limit is caught by its own requirement only.
EXPECTED.update({
    # A stored surrogate also breaks later reads, which the Schemathesis layer sees (500s).
    "rob_surrogate_stored": {"ROB-001", "SCHEMA-001", "SCHEMA-002"}, "rob_deep_nesting_500": {"ROB-002"},
    "rob_huge_number_500": {"ROB-003"}, "rob_query_int_500": {"ROB-004"},
    # The stored bad URI then breaks the fake's own responses, as it once broke the server's.
    "rob_unbounded_validation": {"ROB-005"}, "rob_uri_unchecked": {"ROB-006", "SCHEMA-005"},
    "rob_echo_rejected_value": {"ROB-007"}, "rob_no_nosniff": {"ROB-008"},
    "rob_control_char_upload": {"ROB-009"}, "rob_no_throttle": {"ROB-010"},
    # Issue 18 #15: an encoded surrogate is a 400 (bytes that are not UTF-8), and nesting past
    # the parser's limit is `too_deep` (or that 400), never `json_invalid`.
    "rob_encoded_surrogate_json_invalid": {"ROB-001"}, "rob_deep_json_invalid": {"ROB-002"},
})
# problem+json joins the 422's msgs into one detail, the rejected password included.
EXPECTED["problem_json_422"] = EXPECTED["problem_json_422"] | {"ROB-006"}


EXPECTED |= {defect: {"MODEL-001"} for defect in MODEL_DEFECTS}


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


@pytest.mark.parametrize("defect", sorted(set(EXPECTED) - set(MODEL_DEFECTS)))
def test_defect_is_caught_under_its_requirement(run_against_fake, defect):
    result = run_against_fake({defect}, skip=["model"])
    assert _failed(result) == EXPECTED[defect]
    assert result.exit_code == 1
    for item in result.failed:
        assert item.findings, f"{item.requirement.id} failed without saying why"


@pytest.mark.parametrize("defect", sorted(MODEL_DEFECTS))
def test_model_defect_is_caught_by_the_model_alone(run_against_fake, defect, tmp_path):
    assert _failed(run_against_fake({defect}, skip=["model"])) == set(), "another layer catches it"
    item = model_catch(lambda: _fake_url(defect), tmp_path)
    assert item["outcome"] == "fail", item["reason"]
    finding = item["findings"][0]
    steps = int(re.search(r"Shrunk sequence \((\d+) steps\)", finding["message"])[1])
    assert finding["replay"] and steps >= (2 if MODEL_DEFECTS[defect] else 1)


@contextlib.contextmanager
def _fake_url(defect: str):  # noqa: ANN202
    with ServerThread(build_app(frozenset({defect}))) as server:
        yield server.url


def test_how_many_defects_only_the_model_layer_catches():
    """The count docs/conformance.md quotes; at least five need two operations or more to show."""
    sequences = [d for d, why in MODEL_DEFECTS.items() if why]
    print(f"{len(MODEL_DEFECTS)} planted defects only the model layer catches, {len(sequences)} after a sequence")
    assert len(MODEL_DEFECTS) >= 10 and len(sequences) >= 5
