"""Sends the model layer's requests, records each as a numbered step and judges the answers."""

from __future__ import annotations

import json
from typing import Any

from ..client import Client
from .accessors import instant, pick
from .sentences import Sentences
from .steps import NOTHING, Divergence, Step, Symbols

__all__ = ["Driver"]


class Driver:
    """One sequence: the clients of both users, the steps so far and the symbols bound."""

    def __init__(self, clients: dict[str, Client], sentences: Sentences, failures: list | None = None) -> None:
        self.clients = clients
        self.sentences = sentences
        self.steps: list[Step] = []
        self.symbols = Symbols()
        self.failures = failures if failures is not None else []  # every divergence seen, with its steps

    def call(self, label: str, user: str, method: str, path: str, *, params: list[tuple[str, str]] | None = None,
             json_body: Any = NOTHING, form: dict[str, str] | None = None,
             files: dict[str, tuple[str, bytes, str]] | None = None, headers: dict[str, str] | None = None,
             token: Any = ...) -> Step:
        step = Step(number=len(self.steps) + 1, label=label, user=user, method=method, path=path,
                    params=list(params or []), json=json_body, form=form, files=files, headers=dict(headers or {}))
        self.steps.append(step)
        kwargs: dict[str, Any] = {"params": step.params, "headers": step.headers}
        if json_body is not NOTHING:
            kwargs["content"] = json.dumps(json_body).encode()
            kwargs["headers"] = {"Content-Type": "application/json", **step.headers}
        elif form is not None:
            kwargs["data"] = form
        elif files is not None:
            kwargs["files"] = files
        response = self.clients[user].request(method, path, token=token, **kwargs)
        step.response, step.status = response.raw, response.status
        return step

    def bind(self, step: Step, prefix: str, selector: tuple) -> str:
        """Bind the server-chosen value `selector` names in `step`'s answer to a new symbol."""
        value = pick(step.response, selector)
        name = self.symbols.bind(prefix, value)
        step.binds.append((name, selector))
        return value

    # -- judging ---------------------------------------------------------------------------
    def fail(self, step: Step, what: str, selector: tuple, expected: Any, received: Any, where: str, phrase: str,
             op: str = "==") -> None:
        sentence, location = self.sentences(where, phrase)
        divergence = Divergence(step=step, what=what, selector=selector, expected=expected, received=received,
                                sentence=sentence, where=location, op=op)
        self.failures.append((divergence, list(self.steps), self.symbols))
        raise divergence

    def status(self, step: Step, expected: int, where: str, phrase: str) -> None:
        step.expected_status = expected
        if step.status != expected:
            self.fail(step, "the status", ("status",), expected, step.status, where, phrase)

    def equal(self, step: Step, what: str, selector: tuple, expected: Any, where: str, phrase: str) -> Any:
        received = pick(step.response, selector)
        if received != expected:
            self.fail(step, what, selector, expected, received, where, phrase)
        return received

    def holds(self, step: Step, what: str, selector: tuple, where: str, phrase: str) -> None:
        """A relation the contract states (a selector that answers True when it holds)."""
        self.equal(step, what, selector, True, where, phrase)

    def not_before(self, step: Step, what: str, selector: tuple, earlier: str | None, where: str, phrase: str) -> None:
        """A time that must not be earlier than one seen before ("timestamps never move backwards")."""
        received = pick(step.response, selector)
        if earlier is None:
            return
        late, early = instant(received), instant(earlier)
        if late is None or early is None or late < early:
            self.fail(step, what, selector, earlier, received, where, phrase, op=">=")
