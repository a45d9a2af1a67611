"""Shared test configuration: Hypothesis profiles are registered once, here."""

import os

from hypothesis import HealthCheck, settings

os.environ.setdefault("SCHEMATHESIS_TELEMETRY", "false")

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
