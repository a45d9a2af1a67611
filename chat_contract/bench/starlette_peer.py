"""The bare Starlette peer: the same routes answering the same JSON, with no contract at all.

It sets the ceiling a Python ASGI server reaches on this machine, so the reference server's
ratio to it says what the contract machinery (routing, validation, storage) costs.
"""

from __future__ import annotations

import json
import os
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["build_app"]


def build_app(bodies: dict[str, bytes]) -> Starlette:
    """An app answering each benchmark endpoint with a fixed JSON body."""

    async def list_conversations(request: Request) -> Response:
        return Response(bodies["list"], media_type="application/json")

    async def get_conversation(request: Request) -> Response:
        return Response(bodies["get"], media_type="application/json")

    async def create_message(request: Request) -> Response:
        await request.body()
        return Response(bodies["create"], status_code=201, media_type="application/json")

    return Starlette(
        routes=[
            Route("/api/v1/conversations", list_conversations, methods=["GET"]),
            Route("/api/v1/conversations/{conversation_id}", get_conversation, methods=["GET"]),
            Route("/api/v1/conversations/{conversation_id}/messages", create_message, methods=["POST"]),
        ]
    )


_BODIES_VARIABLE = "CHAT_CONTRACT_BENCH_BODIES"


def app_from_env() -> Starlette:
    """Factory for uvicorn's worker processes: the bodies file is named in the environment."""
    with open(os.environ[_BODIES_VARIABLE], encoding="utf-8") as handle:
        return build_app({k: v.encode() for k, v in json.load(handle).items()})


def main() -> None:
    """`python -m chat_contract.bench.starlette_peer PORT BODIES.json [WORKERS]`, run by the benchmark."""
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.environ[_BODIES_VARIABLE] = sys.argv[2]
    uvicorn.run("chat_contract.bench.starlette_peer:app_from_env", factory=True, host="127.0.0.1",
                port=port, workers=workers, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
