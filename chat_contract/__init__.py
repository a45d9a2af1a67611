"""The chat API contract kit: the contract, a reference server and a conformance suite."""

__all__ = ["__version__"]

__version__ = "0.1.0"
