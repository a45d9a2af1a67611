"""Run profiles: how much fuzzing a run affords. Hypothesis profiles are registered once here."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, settings

__all__ = ["Profile", "PROFILES", "get", "DEFAULT_SEED"]

# A fixed seed makes every run of the same profile send the same requests.
DEFAULT_SEED = 20261101


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    max_examples: int
    phases: tuple[str, ...]
    # Wall-clock budget for the Schemathesis engine. Schemathesis keeps fuzzing until a max-time
    # runs out, so only the deep profile sets one; smoke and ci stop after their examples.
    max_seconds: float | None
    first_event_budget: float


PROFILES = {
    "smoke": Profile(name="smoke", max_examples=3, phases=("examples", "fuzzing"), max_seconds=None,
                     first_event_budget=5.0),
    "ci": Profile(name="ci", max_examples=10, phases=("examples", "coverage", "fuzzing", "stateful"),
                  max_seconds=None, first_event_budget=5.0),
    "deep": Profile(name="deep", max_examples=100, phases=("examples", "coverage", "fuzzing", "stateful"),
                    max_seconds=600, first_event_budget=5.0),
}

for _profile in PROFILES.values():
    settings.register_profile(
        f"chat-contract-{_profile.name}",
        max_examples=_profile.max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def get(name: str) -> Profile:
    from .errors import ConfigurationError

    try:
        return PROFILES[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}"
        ) from None
