"""The contract's own sentences, quoted by the model next to each prediction it judges."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..traceability import HTTP_METHODS, _sentences

__all__ = ["Sentences"]


class Sentences:
    """Looks a sentence up by operationId (or `info`, or a schema name) and a phrase of it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.where: dict[str, tuple[str, str]] = {"info": ("info", spec["info"].get("description", ""))}
        for template, item in spec["paths"].items():
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict) and "operationId" in operation:
                    self.where[operation["operationId"]] = (f"paths/{template}/{method}",
                                                           operation.get("description", ""))
        for name, schema in spec.get("components", {}).get("schemas", {}).items():
            self.where[name] = (f"components/schemas/{name}", schema.get("description", ""))
            for prop, sub in (schema.get("properties") or {}).items():
                if isinstance(sub, dict) and sub.get("description"):
                    self.where[f"{name}.{prop}"] = (f"components/schemas/{name}/properties/{prop}",
                                                    sub["description"])
        self._find = cache(self._find_uncached)

    def __call__(self, where: str, phrase: str) -> tuple[str, str]:
        """(the sentence holding `phrase`, its location); KeyError when the contract lacks it."""
        return self._find(where, phrase)

    def _find_uncached(self, where: str, phrase: str) -> tuple[str, str]:
        location, text = self.where[where]
        for sentence in _sentences(text):
            if phrase.lower() in sentence.lower():
                return sentence, location
        raise KeyError(f"the contract says nothing like {phrase!r} at {location}")
