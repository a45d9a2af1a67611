"""Where the contract and the fixtures live, in a checkout or in an installed copy."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["spec_dir", "spec_path", "fixtures_dir"]


def _package_dir(package: str, checkout_name: str) -> Path:
    # An installed copy carries spec/ and fixtures/ as chat_contract.spec and .fixtures; an
    # editable install or a plain checkout finds them beside this package.
    checkout = Path(__file__).resolve().parent.parent / checkout_name
    if checkout.is_dir():
        return checkout
    # spec/ and fixtures/ have no __init__.py, so importlib.resources hands back a
    # MultiplexedPath for them, whose str() is not a path; joining a name yields a real one.
    return Path(str(resources.files(package).joinpath("openapi.yaml"))).parent


def spec_dir() -> Path:
    """The folder holding the contract and its reconciliation record."""
    return _package_dir("chat_contract.spec", "spec")


def spec_path() -> Path:
    """The OpenAPI 3.1 contract."""
    return spec_dir() / "openapi.yaml"


def fixtures_dir() -> Path:
    """The folder holding the seed data."""
    return _package_dir("chat_contract.fixtures", "fixtures")
