"""The ASGI application: Connexion routes the 3.0 view, our middleware guards the 3.1 contract.

    Edge (nosniff, access log) -> HostGuard (400 for a Host not allowed) -> CORS
         -> MockLayer (/__mock/ admin, Prefer, X-Mock-Session, journal: see mock/)
         -> JsonErrors -> MethodGuard (405 by contract path precedence)
         -> Connexion [ServerError, Exception, SwaggerUI (/docs), Routing,
                       ContractMiddleware (auth + validation), PreferResponder, Lifespan, Context]
         -> handlers/<tag>.py -> services/ -> store

Connexion's own security and validation middlewares are left out: they implement 3.0 and
problem+json, while ContractMiddleware implements the contract's 401 and FastAPI-shaped 422.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, AsyncIterator

import connexion
from connexion.middleware import MiddlewarePosition
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.spec import OpenAPISpecification
from connexion.utils import get_function_from_name
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat_contract.resources import fixtures_dir

from . import auth, seed
from .body import read_body
from .bridge import to_openapi30
from .contract import load_contract
from .edge import Edge
from .hosts import LOCAL_HOSTS, HostGuard
from .swagger import ServedSwaggerUI
from .errors import (ApiError, JsonErrorsMiddleware, UndecodableBody,
                     Unauthorized, send_error)
from .mock.admin import NotReady, admin_app
from .mock.presets import Presets
from .mock.canned import Catalogue
from .mock.conformity import ResponseChecker
from .mock.guard import TOKEN_VARIABLE, AdminGuard, admin_token
from .mock.journal import Journal
from .mock.layer import MockLayer
from .mock.responder import PreferResponder
from .mock.sessions import MAX_SESSIONS, SessionPool
from .offload import HELPER_DEADLINE, HELPER_PER_CLIENT, HELPER_QUEUE, HELPER_SHARE, Offload
from .recovery import Recovery
from .routing import ConnexionRoutes, MethodGuard, PathTable
from .store import Store, is_postgres_url, open_store
from .streaming import ReplyRunner
from .throttle import SignInThrottle
from .validation import ContractValidator, OperationSpec

__all__ = ["Settings", "State", "create_app", "DOCS_PATH", "CORS_ORIGINS"]

DOCS_PATH = "/docs"
# Local development servers on any port, by name or loopback address.
CORS_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?$"


@dataclass
class Settings:
    db_path: str | None = None  # a SQLite file, a postgresql:// URL, or None (in memory)
    fixtures: Path | None = None
    data_dir: Path | None = None
    token_delay: float = 0.005  # seconds between reply.delta events
    keep_alive: float = 10.0    # longest silence on an SSE stream before a comment line
    max_sessions: int = MAX_SESSIONS  # X-Mock-Session copies kept (least recently used evicted)
    check_rate: float = 0.0     # share of responses checked against the contract for the journal
    mock_token: str | None = None  # X-Mock-Token for /__mock/ (None: from the environment or new)
    cors_origins: tuple[str, ...] = ()  # exact origins allowed besides CORS_ORIGINS (--cors-origin)
    access_log: bool = False    # a line per response on stdout (edge.py; serve: on)
    # The Host names answered (hosts.py; None: any); serve adds --host, --cors-origin and
    # --allowed-host.
    allowed_hosts: tuple[str, ...] | None = LOCAL_HOSTS
    # Large JSON bodies (offload.py): seconds from a body's arrival to its answer (and that the
    # helper may go without finishing one before it is replaced), and how many may be there at
    # once, before a 503.
    helper_deadline: float = HELPER_DEADLINE
    helper_queue: int = HELPER_QUEUE
    helper_per_client: int = HELPER_PER_CLIENT  # of those, one client's (user or peer) at once
    helper_share: float = HELPER_SHARE  # of the helper's time, one client's over a few seconds


@dataclass
class State:
    """Everything a handler needs, shared by all requests of one application."""

    store: Store
    runner: ReplyRunner
    settings: Settings
    fixture_users: list[dict[str, str]] = field(default_factory=list)
    sessions: SessionPool | None = None   # X-Mock-Session state copies, and their snapshots
    journal: Journal | None = None        # the last requests of each session
    throttle: SignInThrottle | None = None  # sign-in attempts, counted in `store` by default

    def __post_init__(self) -> None:
        if self.throttle is None:
            self.throttle = SignInThrottle(self.store)


class TagResolver(Resolver):
    """`createConversation` tagged `conversations` -> handlers/conversations.py:create_conversation."""

    def __init__(self, tags: dict[str, str]) -> None:
        super().__init__()
        self.tags = tags  # operationId -> its first tag, read from the contract

    def resolve_operation_id(self, operation: Any) -> str:
        return handler_name(self.tags[operation.operation_id], operation.operation_id)


def handler_name(tag: str, operation_id: str) -> str:
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
    return f"reference_impl.handlers.{tag.replace('-', '_')}.{name}"


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _replay(body: bytes, original: Receive) -> Receive:
    """Hand the already-read body on; afterwards wait on the client (disconnect detection)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()
    return receive


class ContractMiddleware:
    """Per routed operation: authenticate, read the body within its limit, validate it."""

    def __init__(self, app: ASGIApp, *, state: State, validator: ContractValidator,
                 offload: Offload) -> None:
        self.app = app
        self.state = state
        self.validator = validator
        self.offload = offload  # large JSON bodies are validated in a helper process
        self.by_handler = {handler_name(op.tag, op_id): op
                           for op_id, op in validator.operations.items()}
        # The same functions Connexion's resolver found (it fails start-up if one is missing).
        self.handlers = {name: get_function_from_name(name) for name in self.by_handler}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        # Connexion records the resolved handler name as the routed operation id.
        op = self.by_handler.get(routing.get("operation_id") or "")
        if scope["type"] != "http" or op is None:
            await self.app(scope, receive, send)
            return
        # An X-Mock-Session request runs against that session's own store (mock/layer.py);
        # before its first authenticated write, against the fixtures, read-only (no copy).
        session = scope.get("mock.session")
        pool = self.state.sessions
        state = self.state if session is None else pool.state_for_read(session)
        try:
            call, receive = await self._check(scope, receive, op, state)
            if session is not None and op.secured and scope["method"] in _WRITES:
                # Authenticated and valid: the session gets its own copy now (or a 503).
                call["state"] = pool.state_for_write(session, scope["method"])
            elif session is not None and not op.secured and scope["method"] in _WRITES:
                # createToken: the copy is made by the handler once the password matched.
                call["writable_state"] = lambda: pool.state_for_write(session, scope["method"])
        except ApiError as exc:
            await send_error(send, exc)
            return
        context = scope.setdefault("extensions", {}).setdefault("connexion_context", {})
        context.update(call)
        # Handlers read validated parameters from the context; with no path params left in
        # the scope, Connexion does not pass them again as keyword arguments.
        scope["path_params"] = {}
        if call["call"].media_type == "multipart/form-data":
            # The form is parsed once, here; hide it from Connexion, which would parse it
            # again into temporary files nobody closes.
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            receive = _replay(b"", receive)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)
        try:
            prefs = scope.get("mock.prefer")
            if prefs is not None and prefs.wants_response:
                await self.app(scope, receive, tracking_send)  # PreferResponder answers
            else:
                # The handler is called here rather than through the rest of Connexion's
                # stack, whose parameter and response decorators would redo what this
                # middleware has done (and cost about 40% of a request, measured).
                response = await self.handlers[routing["operation_id"]](context)
                await response(scope, receive, tracking_send)
        except ApiError as exc:  # raised by a service: the contract's error vocabulary
            if started:
                raise
            await send_error(send, exc)
        finally:
            body = call["call"].body
            if call["call"].media_type == "multipart/form-data" and isinstance(body, dict):
                for value in body.values():
                    if isinstance(value, UploadFile):
                        await value.close()  # spooled temporary files

    async def _check(self, scope: Scope, receive: Receive, op: OperationSpec, state: State
                     ) -> tuple[dict[str, Any], Receive]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        user = None
        ticket = auth.query_ticket(op.operation_id, scope, headers)
        if ticket is not None:  # EventSource: a stream ticket in the URL, no header
            user = auth.user_for_ticket(state.store, ticket,
                                         scope.get("path_params", {}).get("message_id"))
        elif op.secured:
            try:
                user = auth.user_for_header(state.store, headers.get("authorization"))
            except Unauthorized:
                if state is self.state:
                    raise
                # A mock session accepts the shared state's tokens too (the fixture users are
                # the same everywhere), so a test run can log in once and use many sessions.
                user = auth.user_for_header(self.state.store, headers.get("authorization"))
        body = b""
        if scope["method"] in ("POST", "PUT", "PATCH") and op.body_validators:
            body = await read_body(receive, headers, op.body_limit)
            receive = _replay(body, receive)
        media_type = headers.get("content-type", "").split(";")[0].strip().lower() or None
        form = None
        if media_type == "multipart/form-data" and body and media_type in op.body_validators:
            form = await _parse_multipart(scope, body)
        cookies = {}
        if "cookie" in headers:
            cookies = {k: m.value for k, m in SimpleCookie(headers["cookie"]).items()}
        try:
            # One client's share of the large-body helper (offload.py): the user, or the peer.
            client = user["id"] if user else (scope.get("client") or ("?",))[0]
            parsed = await self.offload.validate(op, scope.get("path_params", {}),
                                                 scope.get("query_string", b""), headers,
                                                 cookies, media_type, body, form, client=client)
        except ApiError:
            for value in (form or {}).values():
                if isinstance(value, UploadFile):
                    await value.close()
            raise
        return {"call": parsed, "user": user, "state": state,
                "writable_state": lambda: state}, receive


async def _parse_multipart(scope: Scope, body: bytes) -> dict[str, Any]:
    """The parts of an already-read multipart body; a body that does not parse is a 400.

    Starlette's parser is driven directly (not through `Request.form()`) so the error goes
    through the server's own vocabulary.
    """
    async def chunks() -> AsyncIterator[bytes]:
        yield body
    parser = MultiPartParser(Headers(scope=scope), chunks(), max_files=4, max_fields=16)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise UndecodableBody("Invalid multipart data.") from exc
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key not in out:
            out[key] = value
        elif isinstance(value, UploadFile):
            await value.close()  # a repeated part is ignored; its spooled file is not kept
    return out


def create_app(settings: Settings | None = None) -> tuple[ASGIApp, State]:
    """The ASGI app and its state (store, reply runner); fixtures loaded idempotently."""
    settings = settings or Settings()
    chosen = settings.mock_token or os.environ.get(TOKEN_VARIABLE)  # given, not made here
    settings.mock_token = admin_token(settings.mock_token)
    contract = load_contract()
    view = to_openapi30(contract)
    data_dir = settings.data_dir
    if data_dir is None:
        if settings.db_path and not is_postgres_url(settings.db_path):
            data_dir = Path(settings.db_path + ".files")
        else:
            data_dir = Path(tempfile.mkdtemp(prefix="chat-contract-"))
    store = open_store(settings.db_path, data_dir)
    if store.shared and not chosen:
        # Hosts sharing a database answer the admin API with one token: the first one's.
        settings.mock_token = store.accounts.setting("mock_token", settings.mock_token)
    # A file database may be shared by several workers: a dead one's replies get ended.
    leases = Recovery(store.for_background()) if settings.db_path else None
    if leases is not None:
        store.writer = leases.worker  # its work in slices is finished by others if it stops
    state = State(store, ReplyRunner(store, settings.token_delay, settings.keep_alive, leases),
                  settings)
    fixtures = settings.fixtures or fixtures_dir()
    state.fixture_users = seed.load(store, fixtures)
    validator = ContractValidator(contract)
    offload = Offload(validator, deadline=settings.helper_deadline, queue=settings.helper_queue,
                      per_client=settings.helper_per_client, share=settings.helper_share)
    paths = PathTable(contract["paths"])
    presets = _presets(contract, paths, store)
    state.journal, state.sessions = _mock_state(state, store, fixtures, presets)

    def clean_up() -> None:
        offload.close()
        state.journal.close()
        state.sessions.close()
        presets.close()
        if settings.data_dir is None and not (settings.db_path
                                              and not is_postgres_url(settings.db_path)):
            shutil.rmtree(data_dir, ignore_errors=True)

    @contextlib.asynccontextmanager
    async def lifespan(app: Any):
        # A server starts its helper for large bodies at once, in the background, so the
        # first hostile bodies do not find it still starting (offload.py).
        helper = asyncio.get_running_loop().create_task(offload.start())
        # uvicorn runs the rest on a graceful stop, in every worker: atexit does not run when
        # uvicorn re-raises SIGTERM, so temporary state would otherwise be left behind.
        yield
        helper.cancel()
        clean_up()

    cx = connexion.AsyncApp(
        __name__,
        lifespan=lifespan,
        middlewares=[ServerErrorMiddleware, ExceptionMiddleware, ServedSwaggerUI,
                     RoutingMiddleware, LifespanMiddleware, ContextMiddleware],
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path=DOCS_PATH,
                                            spec_path="/openapi.json"),
    )
    cx.add_middleware(ContractMiddleware, position=MiddlewarePosition.BEFORE_CONTEXT,
                      state=state, validator=validator, offload=offload)
    cx.add_middleware(PreferResponder, position=MiddlewarePosition.BEFORE_CONTEXT,
                      catalogue=_once(lambda: Catalogue(contract)),
                      operation_for={handler_name(op.tag, op_id): op_id
                                     for op_id, op in validator.operations.items()})
    with _view_checked_by_tests():
        cx.add_api(view, resolver=TagResolver(
            {op_id: op.tag for op_id, op in validator.operations.items()}))
    # Build the middleware stack now rather than on the first request, so that a handler the
    # resolver cannot find fails start-up loudly (same two lines as Connexion's __call__).
    mw = cx.middleware
    mw.app, mw.middleware_stack = mw._build_middleware_stack()
    _enter_routes_directly(mw.middleware_stack)
    mock = MockLayer(JsonErrorsMiddleware(MethodGuard(cx, paths), paths.allow),
                     admin=AdminGuard(JsonErrorsMiddleware(admin_app(
                         state.journal, state.sessions, ready=lambda: _ready(state.store),
                         presets=presets)), settings.mock_token),
                     pool=state.sessions, journal=state.journal,
                     checker=_once(lambda: ResponseChecker(contract)),
                     check_rate=settings.check_rate, presets=presets)
    asgi = CORSMiddleware(
        mock, allow_origin_regex=CORS_ORIGINS, allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["*"], allow_headers=["*"],
        expose_headers=["Content-Language", "WWW-Authenticate", "Retry-After", "Allow",
                        "Preference-Applied"],
    )
    atexit.register(clean_up)  # an app used without a server (tests) cleans up at exit
    return Edge(HostGuard(asgi, settings.allowed_hosts),
                log=sys.stdout if settings.access_log else None), state


@contextlib.contextmanager
def _view_checked_by_tests():
    """Connexion without its check of the 3.0 view against the OpenAPI 3.0 meta-schema.

    That check took 0.27 s of every start-up, a quarter of it. The view is derived from the
    contract by bridge.py, always the same for the same contract, and the same check runs in
    the tests (tests/reference_impl/test_app.py::test_the_30_view_passes_connexions_own_check).
    """
    OpenAPISpecification._validate_spec = classmethod(lambda cls, spec: None)
    try:
        yield
    finally:
        del OpenAPISpecification._validate_spec  # Specification's own check again


def _enter_routes_directly(stack: list[Any]) -> None:
    """Put ConnexionRoutes in front of the router of Connexion's RoutingMiddleware."""
    routing = [layer for layer in stack if isinstance(layer, RoutingMiddleware)]
    if len(routing) != 1:
        raise RuntimeError("expected one RoutingMiddleware in Connexion's middleware stack")
    for mount in routing[0].router.routes:  # one Mount per API; the contract is one API
        mount.app = ConnexionRoutes(mount.app)


def _presets(contract: dict[str, Any], paths: PathTable, store: Any) -> Presets:
    """Prefer presets per session, keyed by the operation a request's method and path mean;
    on a shared database, in it (every host applies them)."""
    ids = {(template, method.upper()): op["operationId"]
           for template, item in contract["paths"].items() for method, op in item.items()
           if isinstance(op, dict) and "operationId" in op}

    def operation_of(method: str, path: str) -> str | None:
        found = paths.match(path)
        return ids.get((found.template, method)) if found is not None else None
    if store.shared:
        from .mock.shared_presets import SharedPresets
        from .store.mock_presets import PresetTable
        return SharedPresets(list(ids.values()), operation_of, PresetTable(store))
    return Presets(list(ids.values()), operation_of)


def _mock_state(state: State, store: Any, fixtures: Path, presets: Presets
                ) -> tuple[Journal, SessionPool]:
    """The journal and the named sessions: in this process's memory, or on a shared database
    in it, so every host serves the same ones (mock/shared_sessions.py, shared_journal.py)."""
    settings = state.settings
    options = dict(
        seed=lambda s: seed.load(s, fixtures), max_sessions=settings.max_sessions,
        make_state=lambda s: State(s, ReplyRunner(s, settings.token_delay, settings.keep_alive),
                                   settings, state.fixture_users,
                                   throttle=state.throttle),  # one count, every session
        on_evict=lambda name: (journal.forget(name), presets.forget(name)))
    if not store.shared:
        journal = Journal()
        return journal, SessionPool(state, **options)
    from .mock.shared_journal import SharedJournal
    from .mock.shared_sessions import SharedSessionPool
    from .store.mock_journal import JournalTable
    from .store.mock_sessions import SessionRegistry
    journal = SharedJournal(JournalTable(store))
    return journal, SharedSessionPool(state, registry=SessionRegistry(store),
                                      fixtures_key=seed.fingerprint(fixtures), **options)


def _ready(store: Store) -> dict[str, str]:
    if not store.answers():
        raise NotReady("the database does not answer")
    return {"store": "ok"}


def _once(build):
    """`build()` on the first call, the same object afterwards (start-up pays nothing)."""
    made: list[Any] = []

    def get():
        if not made:
            made.append(build())
        return made[0]
    return get


def upload_parts(value: Any) -> tuple[UploadFile | None, dict[str, Any]]:
    """The uploaded file of a multipart body (validation has checked there is one)."""
    file = value.get("file") if isinstance(value, dict) else None
    return (file if isinstance(file, UploadFile) else None), value
