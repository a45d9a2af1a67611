"""The reference server's test helpers, shared: in-process apps and contract checks."""

from tests.reference_impl.conftest import check_contract, make_api, run  # noqa: F401
