"""Decoding a JSON request body into values the store can always hold and give back.

Python's `json` accepts things that later break a server far from the request: lone
surrogates (`"\\ud800"`; their UTF-8 bytes are refused before, as bytes that are not UTF-8,
the contract's 400) that SQLite cannot encode, so the row is stored
and every read of it fails; integers of thousands of digits (int() refuses them past 4,300);
`NaN`/`Infinity`, which are not JSON; nesting deep enough to exhaust the recursion limit. Each
becomes a FastAPI-shaped error whose `loc` names the field, before anything is stored. The
limits are the contract's (info.description, "Limits"): strings are Unicode scalar values,
nesting at most MAX_DEPTH levels, integers within 64 bits, numbers finite.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import field_error

__all__ = ["decode_json", "inspect", "MAX_DEPTH", "MAX_ERRORS"]

MAX_DEPTH = 32        # containers inside containers; a 422 `loc` has at most 32 parts too
MAX_ERRORS = 100      # the contract's bound on a 422's `detail` list
_INT_DIGITS = 19      # 2**63 has 19 digits: anything longer is beyond 64 bits
_SURROGATE = re.compile("[\ud800-\udfff]")
_BIG = re.compile(r"[0-9]{19}|[eE][+-]?[0-9]{3}")


class _Bad:
    """A number the parser met that the contract does not allow; reported where it sits."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Parser:
    """json.loads hooks that put a `_Bad` where a number is out of range, and say if they did."""

    def __init__(self) -> None:
        self.bad = False

    def bad_number(self, text: str) -> _Bad:
        self.bad = True
        return _Bad(text)

    def int(self, text: str) -> Any:
        if len(text.lstrip("-")) > _INT_DIGITS:
            return self.bad_number(text)
        value = int(text)
        return value if -2 ** 63 <= value < 2 ** 63 else self.bad_number(text)

    def float(self, text: str) -> Any:
        value = float(text)
        return value if value not in (float("inf"), float("-inf")) else self.bad_number(text)


def decode_json(body: bytes) -> tuple[Any, list[dict[str, Any]], bool]:
    """The body's value or the error that stopped the parser, and whether to `inspect` it.

    Inspection is needed only when the text could hold what it looks for: a `\\u` escape
    (the only way in for a surrogate once the bytes are strict UTF-8), a number out of
    range, or more brackets than the depth limit. UnicodeDecodeError propagates: bytes that
    are not UTF-8 are the caller's to answer.
    """
    text = body.decode("utf-8")  # strict: encoded surrogates (ED A0 80) are not UTF-8
    parser = _Parser()
    # The number hooks are Python calls, one per number (0.3 s for 300,000 of them): used only
    # when the text has a run of digits long enough, or an exponent big enough, to need them.
    hooks = {"parse_int": parser.int, "parse_float": parser.float} if _BIG.search(text) else {}
    try:
        value = json.loads(text, parse_constant=parser.bad_number, **hooks)
    except json.JSONDecodeError as exc:
        return None, [field_error(["body", exc.pos], f"JSON decode error: {exc.msg}",
                                  "json_invalid")], False
    except RecursionError:
        # Past the parser's own limit the nesting is still what is wrong: the contract's type
        # for it is `too_deep` (it admits a 400 here too; this server names the cause).
        return None, [field_error(["body"], f"JSON nested deeper than {MAX_DEPTH} levels",
                                  "too_deep")], False
    suspect = (parser.bad or "\\u" in text
               or text.count("[") + text.count("{") > MAX_DEPTH)
    return value, [], suspect


def inspect(value: Any) -> list[dict[str, Any]]:
    """Errors for lone surrogates, out-of-range numbers and depth, in document order.

    Only containers go on the stack, and a `loc` is built only for an error: a list of
    200,000 strings costs one pass, not 200,000 allocations.
    """
    errors: list[dict[str, Any]] = []
    stack: list[tuple[Any, list, int]] = [([value], [], -1)]  # a wrapper: value's loc is body
    while stack and len(errors) < MAX_ERRORS:
        item, loc, depth = stack.pop()
        if depth >= MAX_DEPTH:
            errors.append(field_error(loc, f"Input nests deeper than {MAX_DEPTH} levels",
                                      "too_deep"))
            continue
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        nested = []
        for key, child in pairs:
            if len(errors) >= MAX_ERRORS:
                break
            where = loc or ["body"]  # the wrapper's one child is the body itself
            if isinstance(key, str) and _SURROGATE.search(key):
                errors.append(field_error(where + [key.encode("utf-8", "replace").decode()],
                                          "Keys should be strings of Unicode scalar values "
                                          "(no lone surrogates)", "string_unicode"))
            elif isinstance(child, str):
                if _SURROGATE.search(child):
                    errors.append(field_error(where + [key] if loc else where,
                                              "Input should be a string of Unicode scalar "
                                              "values (no lone surrogates)", "string_unicode"))
            elif isinstance(child, _Bad):
                errors.append(field_error(where + [key] if loc else where,
                                          "Input should be a finite number within 64-bit "
                                          "integer range", "number_out_of_range"))
            elif isinstance(child, (dict, list)):
                nested.append((child, where + [key] if loc else where, depth + 1))
        stack.extend(reversed(nested))  # last in, first out: document order
    return errors
