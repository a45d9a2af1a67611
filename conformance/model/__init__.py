"""The contract's semantics as an executable model, judged over random operation sequences.

world.py      the state a correct server holds for two users, and what the contract derives
machine.py    a Hypothesis rule-based state machine: both users' operations, valid and invalid
driver.py     sends each request, records it as a numbered step, compares answer and model
accessors.py  how a value is read out of an answer (copied verbatim into replay scripts)
replay.py     the shrunk sequence as numbered steps, curl lines and a standalone pytest file
run.py        one run within the profile's budget (MODEL-001)
"""

from .run import BUDGETS, ModelFailure, run_model

__all__ = ["BUDGETS", "ModelFailure", "run_model"]
