"""The `deep` runs take hours on a 2-core machine: they run only when asked (`tox -e deep`)."""

import os

import pytest


def pytest_collection_modifyitems(config, items):  # noqa: ANN001
    if os.environ.get("CHAT_CONTRACT_DEEP") == "1":
        return
    skip = pytest.mark.skip(reason="the deep runs take hours: tox -e deep (CHAT_CONTRACT_DEEP=1) runs them")
    for item in items:
        if item.get_closest_marker("deep") is not None:  # the marker, not a test id that says "deep"
            item.add_marker(skip)
