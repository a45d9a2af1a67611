"""The reference server's test helpers, shared: in-process apps, live servers, contract checks."""

from tests.reference_impl.conftest import (  # noqa: F401  (fixtures are found by name)
    CONTRACT, check_contract, live_server, make_api, parse_sse, run)

CONVERSATIONS = "/api/v1/conversations"
LISBON = "0d5b4c1e-8a3f-4f5e-9b1a-2c3d4e5f6a70"  # alice's fixture conversation
REPLIES = f"{CONVERSATIONS}/{LISBON}/replies"
