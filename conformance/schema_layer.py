"""Layers 1-3 through Schemathesis: every check on every operation, then stateful link workflows.

Failures are attributed to requirements by the name of the check that raised them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from .errors import EngineCrash
from .exchange import Exchange
from .redaction import redact
from .results import Finding
from .sse import per_event_view
from .validation_errors import shape_problems

__all__ = ["run_schema_layers"]

os.environ.setdefault("SCHEMATHESIS_TELEMETRY", "false")

_registered = False
MAX_FINDINGS_PER_REQUIREMENT = 5

# A multipart part is bytes on the wire: a "negated" file (a number instead of a string) is
# indistinguishable from a valid file once serialised, so no server can reject it.
MULTIPART_UPLOADS = ("createAttachment",)


def _register_strict_422() -> None:
    """Register the strict 422 check once per process (Schemathesis keeps a global registry)."""
    global _registered
    if _registered:
        return
    import schemathesis
    from schemathesis.core.failures import Failure

    class NotFastAPIValidationError(Failure):
        """A 422 whose body is not the contract's FastAPI shape."""

        def __init__(self, *, operation: str, problems: list[str]) -> None:
            super().__init__(operation=operation, title="422 is not FastAPI-shaped",
                             message="Received: " + "; ".join(problems)
                             + "\nDocumented: the contract's ValidationError schema, loc[0] naming the request part")

        @property
        def _unique_key(self) -> str:
            return self.message

    @schemathesis.check
    def strict_validation_error(ctx, response, case):  # noqa: ANN001 - Schemathesis' check signature
        if response.status_code != 422:
            return None
        problems = shape_problems(422, response.headers.get("content-type", [""])[0]
                                  if isinstance(response.headers.get("content-type"), list)
                                  else response.headers.get("content-type", ""), response.content or b"",
                                  case.operation.schema.raw_schema)
        if problems:
            raise NotFastAPIValidationError(operation=case.operation.label, problems=problems)
        return True

    _registered = True


def _exchange(interaction) -> Exchange | None:  # noqa: ANN001
    if interaction is None or interaction.response is None:
        return None
    request, response = interaction.request, interaction.response
    return Exchange.build(
        method=request.method, url=request.uri,
        request_headers={k: ", ".join(v) for k, v in request.headers.items()},
        request_body=request.body, status=response.status_code,
        response_headers={k: ", ".join(v) for k, v in response.headers.items()},
        response_body=response.content,
    )


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]


def _collect(event, checks: dict[str, str], findings: dict[str, list[Finding]],  # noqa: ANN001
             seen: set[tuple[str, str, str]]) -> None:
    """File one finished scenario's failed checks under their requirement ids."""
    from schemathesis.engine import Status

    recorder = event.recorder
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.status != Status.FAILURE or node.failure_info is None:
                continue
            requirement_id = checks.get(node.name)
            if requirement_id is None:
                continue
            failure = node.failure_info.failure
            key = (requirement_id, str(failure.operation), failure.title)
            if key in seen:
                continue
            seen.add(key)
            bucket = findings.setdefault(requirement_id, [])
            if len(bucket) >= MAX_FINDINGS_PER_REQUIREMENT:
                continue
            bucket.append(Finding(
                message=f"[{node.name}, {event.phase.value} phase] {failure.title}: {failure.message}",
                operation=failure.operation,
                exchange=_exchange(recorder.interactions.get(case_id)),
                curl=redact(node.failure_info.code_sample),
            ))


def run_schema_layers(
    *,
    spec_path: str,
    base_url: str,
    token: str,
    seed: int,
    max_examples: int,
    phases: Iterable[str],
    max_seconds: float | None,
    checks: dict[str, str],
    excluded_operations: Iterable[str],
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, list[Finding]]:
    """Run the engine; return findings keyed by requirement id (`checks` maps check name -> id)."""
    _register_strict_422()
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema

    phases = list(phases)
    settings = {
        "seed": seed,
        "generation": {"max-examples": max_examples, "mode": "all"},
        "phases": {name: {"enabled": name in phases} for name in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {name: {"enabled": True} for name in checks},
        "operations": [
            {"include-operation-id": operation_id, "checks": {"negative_data_rejection": {"enabled": False}}}
            for operation_id in MULTIPART_UPLOADS
        ],
    }
    # The stateful layer follows the contract's own links only. Links inferred from the URLs a
    # server happens to return would judge workflows the contract never documents, and
    # Schemathesis' URL scan raises on a malformed stored URI ("Invalid IPv6 URL") instead of
    # leaving it to response_schema_conformance (SCHEMA-005), which reports it.
    settings["phases"]["stateful"]["inference"] = {"algorithms": []}
    if max_seconds is not None:
        settings["max-time"] = int(max_seconds)
    config = SchemathesisConfig.from_dict(settings)
    # Schemathesis checks an event stream event by event: it is given each event's schema.
    schema = schemathesis.openapi.from_dict(per_event_view(spec_path), config=config)
    schema.config.update(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, workers=1)
    excluded = sorted(excluded_operations)
    if excluded:
        schema = schema.exclude(operation_id=excluded)
    findings: dict[str, list[Finding]] = {}
    seen: set[tuple[str, str, str]] = set()
    started = time.monotonic()
    try:
        for event in from_schema(schema).execute():
            progress(event)  # the engine's own events drive the terminal's progress display
            if isinstance(event, events.PhaseStarted):
                progress(f"schemathesis {event.phase.name.value} phase")
            if isinstance(event, events.FatalError):
                raise EngineCrash(f"Schemathesis stopped: {_one_line(event.exception)}", findings)
            if isinstance(event, events.ScenarioFinished):
                _collect(event, checks, findings, seen)
    except EngineCrash:
        raise
    except Exception as exc:  # noqa: BLE001 - any engine bug ends the run with what was judged so far
        raise EngineCrash(f"Schemathesis raised {_one_line(exc)}", findings) from exc
    progress(f"schemathesis finished in {time.monotonic() - started:.1f} s")
    return findings
