"""`chat-contract msw`: MSW request handlers that answer like the reference server's mock.

One ES module for MSW 2 (the browser's `setupWorker` and Node's `setupServer`): a handler per
operation of the contract, answering its documented statuses with its examples, streams
included, chosen as `Prefer: code= / example=` choose them on the reference server. The
answers are read from the contract here, with the same catalogue the server's `Prefer`
responses use; a response the contract gives no example for gets the value the server's
`dynamic=true` would generate (a fixed seed), so every answer validates against the contract.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..contract import load_contract
from . import dynamic
from .canned import SSE, Catalogue, render_body, render_events
from .prefer import Preferences

__all__ = ["handlers_module", "operations", "main"]

_METHODS = ("get", "put", "post", "delete", "patch")
SEED = 0  # what fills a response the contract gives no example for, the same every time


def _example_text(value: Any, media_type: str) -> Any:
    """An example as the module holds it: JSON values as they are, other bodies as text."""
    if media_type == SSE:
        return render_events([value]).decode()
    if "json" in media_type:
        return value
    return render_body(value, media_type).decode("utf-8", errors="replace")


def _media(catalogue: Catalogue, media_type: str, media: dict[str, Any]) -> dict[str, Any]:
    examples = media["examples"]
    if not examples:
        schema = media.get("x-item-schema") or media["schema"] or {}
        generated = dynamic.generate(catalogue.contract, schema, SEED, as_stream=media_type == SSE)
        examples = {"generated": generated} if media_type != SSE else \
            {f"generated-{n}": event for n, event in enumerate(generated)}
    return {name: _example_text(value, media_type) for name, value in examples.items()}


def _stream_flag(catalogue: Catalogue, op: dict[str, Any]) -> str | None:
    """The request body's boolean that asks for a stream (`ReplyRequest.stream`), if any."""
    body = catalogue.deref(op.get("requestBody") or {})
    schema = catalogue.deref((body.get("content") or {}).get("application/json", {}).get("schema") or {})
    for name, prop in (schema.get("properties") or {}).items():
        if name == "stream" and catalogue.deref(prop).get("type") == "boolean":
            return name
    return None


def _query_credentials(contract: dict[str, Any], op: dict[str, Any]) -> list[str]:
    schemes = contract.get("components", {}).get("securitySchemes", {})
    return [schemes[name]["name"] for requirement in op.get("security", contract.get("security", []))
            for name in requirement
            if schemes.get(name, {}).get("type") == "apiKey" and schemes[name].get("in") == "query"]


def _route_order(path: str) -> list[bool]:
    """Concrete segments before templated ones, as the reference server routes."""
    return [segment.startswith("{") for segment in path.split("/")]


def operations(contract: dict[str, Any]) -> list[dict[str, Any]]:
    catalogue = Catalogue(contract)
    out = []
    for path in sorted(contract["paths"], key=_route_order):
        item = contract["paths"][path]
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = {}
            for status, documented in sorted(catalogue.operations[op["operationId"]].items()):
                responses[str(status)] = {
                    "headers": catalogue.headers(documented, Preferences()),
                    "media": {media_type: _media(catalogue, media_type, media)
                              for media_type, media in documented.media.items()},
                }
            out.append({"operationId": op["operationId"], "method": method,
                        "path": re.sub(r"\{(\w+)\}", r":\1", path),
                        "streamFlag": _stream_flag(catalogue, op),
                        "queryCredentials": _query_credentials(contract, op),
                        "responses": responses})
    return out


def handlers_module(contract: dict[str, Any]) -> str:
    template = files("reference_impl.mock").joinpath("msw_handlers.js").read_text(encoding="utf-8")
    table = json.dumps(operations(contract), ensure_ascii=False, indent=1)
    return (template.replace("CONTRACT_VERSION", str(contract["info"]["version"]))
            .replace("/* OPERATIONS */ []", table))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="chat-contract msw",
        description="Write MSW 2 request handlers that answer every operation of the contract "
                    "with its documented statuses and examples, streams included.")
    parser.add_argument("--out", "-o", default="-",
                        help="the ES module to write (e.g. src/mocks/handlers.js); - for standard output")
    args = parser.parse_args(argv)
    contract = load_contract()
    module = handlers_module(contract)
    if args.out == "-":
        sys.stdout.write(module)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(module, encoding="utf-8")
        count = sum(method in _METHODS for item in contract["paths"].values() for method in item)
        print(f"wrote {args.out}: handlers for {count} operations", file=sys.stderr)
    return 0
