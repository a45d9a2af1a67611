"""The admin API under /__mock/ (described in spec/admin-openapi.yaml, outside the contract).

Every route but the health check, the console's static page and this API's own document needs
the start-up token (mock/guard.py). The proxy serves the health check, the console and the
journal routes only.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from chat_contract.resources import spec_dir

from ..errors import ApiError, NotFound, ServiceUnavailable, error_response
from .console import CONSOLE, CONSOLE_PATH
from .journal import Journal
from .presets import Presets
from .sessions import Session, SessionPool

__all__ = ["admin_app", "HEALTH_PATH", "NotReady"]

HEALTH_PATH = "/__mock/health"
MAX_JOURNAL_READ = 1000
MAX_PRESETS_BODY = 64 * 1024


class NotReady(Exception):
    """A part the server needs does not answer (the message says which and why)."""


def _time(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status,
                    media_type="application/json", headers={"Cache-Control": "no-store"})


def _session(session: Session) -> dict[str, Any]:
    return {"name": session.name, "created_at": _time(session.created_at),
            "last_used_at": _time(session.last_used),
            "snapshots": [{"name": n, "taken_at": _time(t)}
                          for n, (_, t) in session.snapshots.items()]}


def _guarded(endpoint):
    """The server's one error vocabulary, here too: `{"detail": ...}`."""
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ApiError as exc:
            status, headers, body = error_response(exc)
            return Response(body, status, headers={k.decode(): v.decode()
                                                   for k, v in headers
                                                   if k != b"content-length"})
    return wrapper


def admin_app(journal: Journal, pool: SessionPool | None,
              ready: Callable[[], dict[str, str]] = dict, presets: Presets | None = None
              ) -> Router:
    """`ready()` names what it checked (`{"store": "ok"}`) or raises NotReady; the proxy
    passes no `pool` (no sessions, snapshots or presets)."""
    async def health(request: Request) -> Response:
        # Polled without credentials by load balancers: a constant cost (one `SELECT 1`), in a
        # worker thread (a PostgreSQL that does not answer makes it wait for the pool's timeout).
        try:
            checks = await run_in_threadpool(ready)
        except NotReady as exc:
            raise ServiceUnavailable(f"Not ready: {exc}", 5) from exc
        return _json({"status": "ok", "checks": checks})

    async def read_journal(request: Request) -> Response:
        q = request.query_params
        limit = q.get("limit", "100")
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        if not re.fullmatch(r"[0-9]{1,4}", limit) or not 1 <= int(limit) <= MAX_JOURNAL_READ:
            raise ApiError(f"limit must be an integer from 1 to {MAX_JOURNAL_READ}", status=400)
        violations = q.get("violations", "false")
        if violations not in ("true", "false"):
            raise ApiError("violations must be true or false", status=400)
        return _json({"items": journal.read(q.get("session"), int(limit),
                                            violations == "true")})

    async def read_entry(request: Request) -> Response:
        seq = request.path_params["seq"]
        # ASCII digits, few of them (Starlette's int convertor would take 5,000 and fail).
        if not re.fullmatch(r"[0-9]{1,18}", seq):
            raise ApiError("seq must be a journal entry's number (digits)", status=400)
        found = journal.entry(int(seq))
        if found is None:
            raise NotFound(f"No journal entry {seq} (gone, or never recorded)")
        return _json(found)

    async def console(request: Request) -> Response:
        return Response(CONSOLE.page, media_type="text/html; charset=utf-8",
                        headers=CONSOLE.headers)

    async def clear_journal(request: Request) -> Response:
        journal.clear(request.query_params.get("session"))
        return Response(status_code=204)

    async def admin_spec(request: Request) -> Response:
        return Response((spec_dir() / "admin-openapi.yaml").read_bytes(),
                        media_type="application/yaml")

    routes = [Route(HEALTH_PATH, _guarded(health), methods=["GET"]),
              Route("/__mock/journal", _guarded(read_journal), methods=["GET"]),
              Route("/__mock/journal/{seq}", _guarded(read_entry), methods=["GET"]),
              Route(CONSOLE_PATH, console, methods=["GET"]),
              Route("/__mock/journal", _guarded(clear_journal), methods=["DELETE"]),
              Route("/__mock/openapi.yaml", admin_spec, methods=["GET"])]
    if pool is not None:
        routes += _session_routes(pool, journal, presets)
    return Router(routes)


def _session_routes(pool: SessionPool, journal: Journal, presets: Presets | None
                    ) -> list[Route]:
    async def list_sessions(request: Request) -> Response:
        return _json({"items": [_session(s) for s in pool.sessions()],
                      "max_sessions": pool.max_sessions})

    async def get_session(request: Request) -> Response:
        return _json(_session(pool.session(request.path_params["session"])))

    async def delete_session(request: Request) -> Response:
        pool.drop(request.path_params["session"])
        return Response(status_code=204)

    async def reset_session(request: Request) -> Response:
        return _json(_session(pool.reset(request.path_params["session"])))

    async def take_snapshot(request: Request) -> Response:
        p = request.path_params
        taken = pool.snapshot(p["session"], p["snapshot"])
        return _json({"name": p["snapshot"], "taken_at": _time(taken)}, 201)

    async def restore_snapshot(request: Request) -> Response:
        p = request.path_params
        pool.restore(p["session"], p["snapshot"])
        return _json(_session(pool.session(p["session"])))

    async def delete_snapshot(request: Request) -> Response:
        p = request.path_params
        pool.delete_snapshot(p["session"], p["snapshot"])
        return Response(status_code=204)

    async def read_presets(request: Request) -> Response:
        pool.require_enabled()
        return _json(_presets(request.path_params["session"]))

    async def put_presets(request: Request) -> Response:
        pool.require_enabled()
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_PRESETS_BODY:
                raise ApiError(f"The body is over {MAX_PRESETS_BODY} bytes", status=413)
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ApiError("The body must be JSON: {\"items\": [{\"operation\": ..., "
                           "\"prefer\": ...}]}", status=400) from exc
        if not isinstance(body, dict) or set(body) != {"items"}:
            raise ApiError("The body must be an object with one key, items", status=400)
        presets.put(request.path_params["session"], body["items"])
        return _json(_presets(request.path_params["session"]))

    def _presets(session: str) -> dict[str, Any]:
        return {"items": presets.get(session), "operations": presets.operations}

    base = "/__mock/sessions/{session}"
    preset_routes = [] if presets is None else [
        Route(base + "/presets", _guarded(read_presets), methods=["GET"]),
        Route(base + "/presets", _guarded(put_presets), methods=["PUT"])]
    return preset_routes + [
        Route("/__mock/sessions", _guarded(list_sessions), methods=["GET"]),
        Route(base, _guarded(get_session), methods=["GET"]),
        Route(base, _guarded(delete_session), methods=["DELETE"]),
        Route(base + "/reset", _guarded(reset_session), methods=["POST"]),
        Route(base + "/snapshots/{snapshot}", _guarded(take_snapshot), methods=["PUT"]),
        Route(base + "/snapshots/{snapshot}", _guarded(delete_snapshot), methods=["DELETE"]),
        Route(base + "/snapshots/{snapshot}/restore", _guarded(restore_snapshot),
              methods=["POST"]),
    ]
