"""The requirements file: one stable id and one RFC 2119 statement per requirement."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

__all__ = ["Area", "Requirement", "load", "REQUIREMENTS_PATH"]

REQUIREMENTS_PATH = Path(__file__).with_name("requirements.yaml")


@dataclass(frozen=True, kw_only=True)
class Area:
    name: str
    mandatory: bool
    tag: str | None = None
    operations: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Requirement:
    id: str
    area: str
    statement: str
    operations: tuple[str, ...]
    mandatory: bool
    # The Schemathesis check whose failures this requirement reports, for layers 1-3.
    check: str | None = None

    @property
    def level(self) -> str:
        return "MUST (mandatory)" if self.mandatory else "MUST (optional area)"


@cache
def load(path: Path = REQUIREMENTS_PATH) -> tuple[dict[str, Area], tuple[Requirement, ...]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    areas = {
        name: Area(
            name=name,
            mandatory=bool(spec["mandatory"]),
            tag=spec.get("tag"),
            operations=tuple(spec.get("operations", ())),
        )
        for name, spec in data["areas"].items()
    }
    requirements = tuple(
        Requirement(
            id=item["id"],
            area=item["area"],
            statement=item["statement"],
            operations=tuple(item["operations"]),
            mandatory=areas[item["area"]].mandatory,
            check=item.get("check"),
        )
        for item in data["requirements"]
    )
    return areas, requirements
