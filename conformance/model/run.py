"""One model run: random sequences within the profile's budget; a failure shrunk and explained."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Flaky, FlakyStrategyDefinition
from hypothesis.internal.conjecture import engine
from hypothesis.stateful import get_state_machine_test

from ..client import Client
from .machine import ModelMachine, Setup
from .replay import curl_script, describe, pytest_file
from .sentences import Sentences
from .steps import Divergence

__all__ = ["ModelFailure", "run_model", "BUDGETS"]


@dataclass(frozen=True)
class Budget:
    sequences: int  # Hypothesis examples
    steps: int  # rules per sequence, at most
    shrink_sequences: int  # how many sequences a failure's shrinking may run (the verdict does not depend on it)


# Counted, not timed, so that one seed always sends the same sequences (and gets the same
# verdicts); sized so that the reference server takes at most 10 s of smoke and 30 s of ci.
BUDGETS = {"smoke": Budget(25, 25, 400), "ci": Budget(60, 40, 1000), "deep": Budget(500, 60, 4000)}


class _SequenceClock:
    """Hypothesis stops shrinking at a deadline it reads from `time.perf_counter()` (five minutes
    by default). Read from this clock, the deadline counts the sequences run instead of seconds,
    so one seed shrinks a failure to the same sequence however loaded the machine is."""

    def __init__(self, ran: list[int]) -> None:
        self.ran = ran

    def perf_counter(self) -> float:
        return float(self.ran[0])

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@dataclass(frozen=True, kw_only=True)
class ModelFailure(Exception):
    """The shrunk sequence that shows a divergence, ready for every report."""

    divergence: Divergence
    text: str
    curl: str
    pytest: str

    def __str__(self) -> str:
        return self.text


def run_model(*, clients: dict[str, Client], spec: dict[str, Any], areas: frozenset[str], providers: list[str],
              profile: str, seed: int) -> int:
    """Run sequences; return how many ran. Raises ModelFailure with the shrunk sequence."""
    budget = BUDGETS[profile]
    setup = Setup(clients=clients, sentences=Sentences(spec), areas=areas, providers=providers)
    ran = [0]

    class Machine(ModelMachine):
        pass

    Machine.setup = setup

    def factory() -> ModelMachine:
        ran[0] += 1
        return Machine()

    config = settings(max_examples=budget.sequences, stateful_step_count=budget.steps, deadline=None,
                      database=None, derandomize=False, suppress_health_check=list(HealthCheck),
                      phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink], report_multiple_bugs=False,
                      print_blob=False, verbosity=Verbosity.quiet)
    test = hypothesis_seed(seed)(get_state_machine_test(factory, settings=config))
    last: Divergence | None = None
    saved = engine.MAX_SHRINKING_SECONDS, engine.time
    engine.MAX_SHRINKING_SECONDS, engine.time = budget.shrink_sequences, _SequenceClock(ran)
    try:
        test()
    except Divergence as exc:
        last = exc
    except (Flaky, FlakyStrategyDefinition):
        # The server's answers changed between a sequence and its replay (state it kept from an
        # earlier sequence): the divergence is real; report the shortest one seen.
        if not setup.failures:
            raise
        last = min(setup.failures, key=lambda f: len(f[1]))[0]
    finally:
        engine.MAX_SHRINKING_SECONDS, engine.time = saved
    if last is not None:
        steps, symbols = next(((s, y) for d, s, y in setup.failures if d is last), ([last.step], None))
        symbols = symbols or setup.last.symbols
        # Reads change nothing: the ones that bound no value are left out of the sequence shown.
        steps = [s for s in steps[:steps.index(last.step) + 1] if s.method != "GET" or s.binds or s is last.step]
        for number, step in enumerate(steps, start=1):
            step.number = number
        raise ModelFailure(divergence=last, text=describe(last, steps, symbols), curl=curl_script(steps, symbols),
                           pytest=pytest_file(last, steps, symbols))
    return ran[0]

