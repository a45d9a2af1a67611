"""One run: sign in, find which optional areas exist, judge every selected requirement."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

from chat_contract.contract_source import ContractSource

from . import profiles
from .checks import REGISTRY, SUPPORT_PROBES, Context
from .checks.base import UNSUPPORTED_STATUSES
from .cleanup import Tracker
from .client import Client, sign_in
from .config import Config, load_spec
from .consumer_focus import ConsumerFocus, consumer_focus
from .errors import (ConfigurationError, ConnectionProblem, CredentialsProblem, EngineCrash, PrerequisiteFailed,
                     RequirementFailure, Unsupported)
from .redaction import forget, remember
from .requirements import Area, Requirement, load
from .results import Finding, Outcome, RequirementResult, RunResult

__all__ = ["run", "Progress"]

Progress = Callable[[RequirementResult | str], None]


def _operation_areas(spec: dict, areas: dict[str, Area]) -> dict[str, str]:
    """operationId -> optional area, from the area's tag or its operation list."""
    owned: dict[str, str] = {}
    for template in spec["paths"].values():
        for operation in template.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            for area in areas.values():
                if area.mandatory:
                    continue
                if operation["operationId"] in area.operations or (area.tag and area.tag in operation.get("tags", [])):
                    owned[operation["operationId"]] = area.name
    return owned


def _selected(requirement: Requirement, config: Config, focus: ConsumerFocus | None = None) -> bool:
    if focus is not None and requirement.id not in focus.requirements:
        return False
    if config.only and requirement.area not in config.only:
        return False
    return requirement.area not in config.skip


def _token(config: Config, n: str) -> str:
    token = getattr(config, f"token{n}")
    if token:
        return token
    return sign_in(config.base_url, getattr(config, f"username{n}"), getattr(config, f"password{n}"), n)


def _check_token(client: Client, which: str) -> object:
    """The user's id (None when the answer has none) once its token is accepted."""
    response = client.get("/api/v1/users/me")
    if response.status != 200:
        raise CredentialsProblem(f"the {which} user's token is refused by GET /api/v1/users/me "
                                 f"({response.status}): check its token or credentials")
    body = response.raw.json() if response.content_type == "application/json" else None
    return body.get("id") if isinstance(body, dict) else None


def run(config: Config, progress: Progress = lambda _: None) -> RunResult:
    started = time.monotonic()
    profile = profiles.get(config.profile)
    seed = config.seed if config.seed is not None else profiles.DEFAULT_SEED
    areas, requirements = load()
    unknown = (config.only | config.skip) - set(areas)
    if unknown:
        raise ConfigurationError(f"unknown areas {', '.join(sorted(unknown))}; choose from {', '.join(areas)}")
    source = load_spec(config)
    spec = source.data
    focus = consumer_focus(config.consumer, requirements, spec)

    # The configured credentials are secrets of every report (issued ones are found as they pass).
    forget()  # the secrets of earlier runs in this process are not this run's
    remember(config.password, config.password_2, config.token, config.token_2)
    token1, token2 = _token(config, ""), _token(config, "_2")
    user1, user2, anonymous = Client(config.base_url, token1), Client(config.base_url, token2), Client(config.base_url)
    try:
        first, second = _check_token(user1, "first"), _check_token(user2, "second")
        # Two tokens may name one account without anyone noticing: a configuration error. Two
        # different usernames answered with one id are the server's fault (SEC-003 judges it).
        given_tokens = bool(config.token or config.token_2)
        if given_tokens and first is not None and first == second:  # ownership needs two accounts
            raise ConfigurationError(f"both test users are the same account (GET /api/v1/users/me id {first!r}): "
                                     "pass a second account with --username-2/--password-2 or --token-2")
        tracker = Tracker([user1, user2])  # what the run creates is deleted at the end
        ctx = Context(user1=user1, user2=user2, anonymous=anonymous, username=config.username,
                      password=config.password, profile=profile, spec=spec, seed=seed)
        owned = _operation_areas(spec, areas)
        selected_areas = {r.area for r in requirements if _selected(r, config, focus)}
        unsupported: dict[str, str] = {}
        for area_name, probe in SUPPORT_PROBES.items():
            # The model layer's sequences use every optional area the deployment offers.
            if area_name not in selected_areas and "model" not in selected_areas:
                continue
            try:
                response = probe(ctx)
            except RequirementFailure as exc:
                # The probe's own setup failed; the area's requirements will say why.
                progress(f"probe for {area_name} could not run: {exc.summary}")
                continue
            except (ConfigurationError, Unsupported, PrerequisiteFailed):
                raise
            except Exception as exc:  # noqa: BLE001 - a malformed answer; the area's requirements judge it
                progress(f"probe for {area_name} could not run: {type(exc).__name__}: {exc}")
                continue
            if response.status in UNSUPPORTED_STATUSES:
                unsupported[area_name] = f"{response.exchange.method} {response.exchange.url} answered {response.status}"
        excluded = frozenset(op for op, area in owned.items() if area in unsupported or area not in selected_areas)
        ctx.excluded_operations = excluded
        ctx.unsupported_operations = frozenset(op for op, area in owned.items() if area in unsupported)

        results: list[RequirementResult] = []
        engine_requirements = {r.check: r.id for r in requirements if r.check and _selected(r, config, focus)}
        for requirement in requirements:
            if requirement.check:
                continue  # judged by the Schemathesis layers below
            results.append(_judge(requirement, config, ctx, unsupported, areas, focus))
            progress(results[-1])
        crash = None
        if engine_requirements:
            engine_started = time.monotonic()
            try:
                # Focused on a consumer: Schemathesis generates for its operations only.
                engine_excluded = excluded if focus is None else excluded | (focus.all_operations - focus.operations)
                findings = run_engine(config, source, token1, seed, profile, engine_requirements, engine_excluded,
                                      progress)
            except EngineCrash as exc:
                # Every verdict reached so far is kept and reported; the rest are not judged.
                crash, findings = str(exc), exc.findings
                progress(f"engine crash: {crash}")
            elapsed = time.monotonic() - engine_started
            for requirement in requirements:
                if not requirement.check:
                    continue
                found = findings.get(requirement.id, [])
                if not _selected(requirement, config, focus):
                    result = RequirementResult(requirement=requirement, outcome=Outcome.SKIP, reason="not selected")
                elif crash and not found:
                    result = RequirementResult(requirement=requirement, outcome=Outcome.SKIP,
                                               reason="not judged: the engine crashed", duration=elapsed)
                else:
                    result = RequirementResult(requirement=requirement, outcome=Outcome.FAIL if found else Outcome.PASS,
                                               findings=found, duration=elapsed)
                results.append(result)
                progress(result)
        else:
            for requirement in requirements:
                if requirement.check:
                    results.append(RequirementResult(requirement=requirement, outcome=Outcome.SKIP,
                                                     reason="not selected"))
                    progress(results[-1])
        order = {r.id: n for n, r in enumerate(requirements)}
        results.sort(key=lambda r: order[r.requirement.id])
        leftovers = tracker.finish(keep=config.keep_data)
        return RunResult(base_url=config.base_url, profile=profile.name, seed=seed, results=results,
                         duration=time.monotonic() - started, unsupported_areas=sorted(unsupported),
                         leftovers=leftovers, crash=crash, contract=source.identity(),
                         consumer=focus.as_dict() if focus else {})
    finally:
        for client in (user1, user2, anonymous):
            client.close()


def _contract_file(source: ContractSource) -> tuple[str, bool]:
    """A file holding the contract for Schemathesis, and whether it is a temporary copy (of a
    git revision) to delete after the run."""
    if source.file is not None:
        return str(source.file), False
    fd, name = tempfile.mkstemp(prefix="chat-contract-spec-", suffix=".yaml")
    with os.fdopen(fd, "wb") as file:
        file.write(source.text)
    return name, True


def run_engine(config, source, token, seed, profile, engine_requirements, excluded, progress):  # noqa: ANN001
    from .schema_layer import run_schema_layers

    phases = [p for p in profile.phases]
    contract, temporary = _contract_file(source)
    try:
        return run_schema_layers(spec_path=contract, base_url=config.base_url, token=token, seed=seed,
                                 max_examples=profile.max_examples, phases=phases, max_seconds=profile.max_seconds,
                                 checks=engine_requirements, excluded_operations=excluded,
                                 progress=lambda message: progress(message))
    finally:
        if temporary:
            os.unlink(contract)


def _last_response(ctx: Context):  # noqa: ANN202
    """The most recent answer any of the run's clients received: the data a check choked on."""
    clients = [c for c in (ctx.user1, ctx.user2, ctx.anonymous) if c.last is not None]
    return max(clients, key=lambda c: c.last_at).last if clients else None


def _still_answers(ctx: Context) -> bool:
    try:
        ctx.anonymous.get("/api/v1/users/me")
    except ConnectionProblem:
        return False
    return True


def _judge(requirement: Requirement, config: Config, ctx: Context, unsupported: dict[str, str],
           areas: dict[str, Area], focus: ConsumerFocus | None = None) -> RequirementResult:
    if not _selected(requirement, config, focus):
        return RequirementResult(requirement=requirement, outcome=Outcome.SKIP, reason="not selected")
    if requirement.area in unsupported:
        return RequirementResult(requirement=requirement, outcome=Outcome.UNSUPPORTED,
                                 reason=unsupported[requirement.area])
    check = REGISTRY.get(requirement.id)
    if check is None:
        return RequirementResult(requirement=requirement, outcome=Outcome.SKIP, reason="no check implements it")
    started = time.monotonic()
    # Ids are compared within one requirement, so that one server-wide fault (the same id for
    # every creation) does not hide every other requirement's own finding.
    ctx.created_ids.clear()
    try:
        check(ctx)
    except RequirementFailure as exc:
        return RequirementResult(requirement=requirement, outcome=Outcome.FAIL,
                                 findings=[Finding(message=exc.message, operation=exc.operation,
                                                   exchange=exc.exchange, replay=exc.replay,
                                                   curl=exc.exchange.curl if exc.exchange else None)],
                                 duration=time.monotonic() - started)
    except Unsupported as exc:
        outcome = Outcome.FAIL if areas[requirement.area].mandatory else Outcome.UNSUPPORTED
        return RequirementResult(requirement=requirement, outcome=outcome, reason=str(exc),
                                 findings=[Finding(message=f"mandatory feature missing: {exc}")]
                                 if outcome is Outcome.FAIL else [],
                                 duration=time.monotonic() - started)
    except PrerequisiteFailed as exc:
        return RequirementResult(requirement=requirement, outcome=Outcome.SKIP, reason=str(exc),
                                 duration=time.monotonic() - started)
    except ConnectionProblem as exc:
        if not _still_answers(ctx):
            raise  # the deployment went away: the whole run stops with exit 2
        # One request dropped while the server stays up: that request's fault, not the run's.
        return RequirementResult(requirement=requirement, outcome=Outcome.FAIL, findings=[Finding(
            message=(f"The server dropped the connection instead of answering: {exc}\n"
                     "  Received:   no HTTP response (the server still answers other requests)\n"
                     "  Documented: a documented status")
        )], duration=time.monotonic() - started)
    except ConfigurationError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed answer must fail this requirement, not the run
        last = _last_response(ctx)
        return RequirementResult(requirement=requirement, outcome=Outcome.FAIL, findings=[Finding(
            message=(f"The check could not read the server's answer: {type(exc).__name__}: {exc}\n"
                     "  Received:   the last response shown below\n"
                     "  Documented: a value of the type and format the contract documents"),
            exchange=last.exchange if last else None, curl=last.exchange.curl if last else None)],
            duration=time.monotonic() - started)
    return RequirementResult(requirement=requirement, outcome=Outcome.PASS, duration=time.monotonic() - started)
