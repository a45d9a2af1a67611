"""Reading a request body within a size limit: the server's and the proxy's one way to do it."""

from __future__ import annotations

import re

from starlette.types import Receive

from .errors import PayloadTooLarge

__all__ = ["read_body"]


async def read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    declared = headers.get("content-length", "")
    # ASCII digits only ("²".isdigit() is true, and int() refuses it); a longer one is too big.
    if re.fullmatch(r"[0-9]+", declared) and (len(declared) > 18 or int(declared) > limit):
        raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
