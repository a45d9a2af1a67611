"""`chat-contract check --consumer PROFILE`: the suite focused on what one frontend uses.

The requirements judged are those covering an operation the profile shows it called (a
requirement's `operations` in requirements.yaml; `*` covers every operation), and the
Schemathesis layers generate requests for those operations only.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat_contract.consumer_profile import ConsumerProfile

from .errors import ConfigurationError
from .requirements import Requirement

__all__ = ["ConsumerFocus", "consumer_focus"]


@dataclass(frozen=True)
class ConsumerFocus:
    name: str
    operations: frozenset[str]
    requirements: tuple[str, ...]  # ids, in the file's order
    all_operations: frozenset[str]  # the contract's

    def as_dict(self) -> dict:
        return {"name": self.name, "operations": sorted(self.operations), "requirements": list(self.requirements)}

    def line(self) -> str:
        return (f"consumer {self.name}: {len(self.operations)} operation(s) used "
                f"({', '.join(sorted(self.operations))}); {len(self.requirements)} requirement(s) cover them: "
                f"{', '.join(self.requirements)}")


def consumer_focus(path: str | None, requirements: list[Requirement], contract: dict) -> ConsumerFocus | None:
    if not path:
        return None
    try:
        profile = ConsumerProfile.load(path)
    except ValueError as exc:
        raise ConfigurationError(f"--consumer: {exc}") from exc
    known = {op["operationId"] for item in (contract.get("paths") or {}).values()
             for op in item.values() if isinstance(op, dict) and "operationId" in op}
    used = frozenset(profile.operations) & known
    if not used:
        raise ConfigurationError(f"--consumer {path}: the profile names no operation of the contract "
                                 f"({', '.join(sorted(profile.operations)) or 'none'})")
    covering = tuple(r.id for r in requirements if "*" in r.operations or used & set(r.operations))
    return ConsumerFocus(profile.consumer, used, covering, frozenset(known))
