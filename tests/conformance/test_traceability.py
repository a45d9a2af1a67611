"""Every normative statement of the contract is judged by a requirement (conformance/traces.yaml)."""

import copy

import yaml

from chat_contract.resources import spec_path
from conformance.checks import REGISTRY
from conformance.requirements import load
from conformance.traceability import KINDS, Statement, load_traces, statements, unproven, untraced

from .fake_server import DEFECTS
from .test_defects import EXPECTED


def _spec() -> dict:
    return yaml.safe_load(spec_path().read_text(encoding="utf-8"))


def test_every_normative_statement_is_traced_to_a_requirement():
    missing = untraced(_spec())
    assert missing == [], "statements without a requirement (add one to conformance/traces.yaml):\n" + \
        "\n".join(map(str, missing))


def test_every_trace_covers_a_statement_and_names_judged_requirements():
    found = statements(_spec())
    _, requirements = load()
    judged = {r.id for r in requirements if r.check is not None or r.id in REGISTRY}
    for trace in load_traces():
        assert any(trace.covers(s) for s in found), f"{trace} covers no statement of the contract"
        assert set(trace.ids) <= judged, f"{trace} names requirements nothing judges"


def test_each_kind_of_promise_is_found():
    spec = _spec()
    operation = spec["paths"]["/api/v1/conversations"]["get"]
    samples = {"keyword": "Drafts are never shown.", "order": "Drafts come oldest first.",
               "cascade": "Deletes the draft with its attachments.", "merge": "A draft PATCH is a merge patch.",
               "privacy": "Drafts are owner-private.", "sse": "Every event names its draft.",
               "round trip": "Draft text is kept as sent.", "time": "Draft times are in UTC."}
    assert set(samples) == set(KINDS)
    for kind, sentence in samples.items():
        changed = copy.deepcopy(spec)
        changed["paths"]["/api/v1/conversations"]["get"]["description"] = operation["description"] + " " + sentence
        assert Statement("paths//api/v1/conversations/get", sentence) in untraced(changed), kind


def test_schema_facts_are_statements():
    spec = _spec()
    spec["components"]["schemas"]["Conversation"]["properties"]["archived_at"] = {"type": "string",
                                                                                   "format": "date-time"}
    found = statements(spec)
    assert Statement("components/schemas/Conversation/properties/archived_at", "format: date-time") in found
    assert Statement("paths//api/v1/conversations/{conversation_id}/messages/post/requestBody/content",
                     "round trip: content up to maxLength 32000") in found


def test_a_dropped_trace_leaves_its_statement_untraced():
    traces = tuple(t for t in load_traces() if t.ids != ("CONV-008",))
    assert Statement("paths//api/v1/conversations/get", "The signed-in user's conversations, newest first "
                     "(by creation).") in untraced(_spec(), traces)


def test_the_traces_ship_with_the_package():
    import tomllib
    from pathlib import Path

    from conformance.traceability import TRACES_PATH

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert TRACES_PATH.name in data["conformance"]


def test_every_statement_has_a_planted_violation():
    missing = unproven(_spec())
    assert missing == [], "statements without a planted violation (add `proof:` in conformance/traces.yaml):\n" + \
        "\n".join(map(str, missing))


def test_each_planted_violation_is_caught_by_a_requirement_its_statement_is_traced_to():
    # EXPECTED is what test_defects.py proves the suite reports for each planted defect.
    for trace in load_traces():
        for defect in trace.proof:
            assert defect in DEFECTS, f"{trace}: {defect} is not a defect of the fake server"
            assert set(trace.ids) & EXPECTED[defect], \
                f"{trace}: {defect} is caught by {sorted(EXPECTED[defect])}, none of {list(trace.ids)}"


def test_a_general_statement_has_one_violation_per_statement_or_says_why_one_stands_for_all():
    found = statements(_spec())
    for trace in load_traces():
        covered = [s for s in found if trace.covers(s)]
        if len(covered) > len(trace.proof):
            assert trace.one_for_all, f"{trace} covers {len(covered)} statements with {len(trace.proof)} proofs"


def test_a_statement_without_proof_is_reported():
    traces = tuple(t if t.ids != ("AUTH-001",) else type(t)(at=t.at, says=t.says, ids=t.ids) for t in load_traces())
    assert [s.location for s in unproven(_spec(), traces)] == \
        ["paths//api/v1/auth/token/post/responses/200/headers/Cache-Control"]
