"""The application: FastAPI's own validation and error bodies, plus the add-ons in addons.py.

Run: `uvicorn chat_backend.main:app --app-dir examples/fastapi_backend`.
"""

from __future__ import annotations

from fastapi import FastAPI

from .addons import BodyLimit, JsonLimits, NoSniff
from .routes import attachments, auth, conversations, messages, providers, replies, shares
from .store import State


def create_app() -> FastAPI:
    app = FastAPI(title="Chat Backend API (FastAPI worked example)", version="1.0.0")
    app.state.store = State()
    for module in (auth, conversations, messages, replies, attachments, providers, shares):
        app.include_router(module.router)
    # The last added runs first: every response gets nosniff, and a body over the limit is
    # refused before JsonLimits reads it.
    app.add_middleware(JsonLimits)
    app.add_middleware(BodyLimit)
    app.add_middleware(NoSniff)
    return app


app = create_app()
