"""The one HTTP client of the hand-written checks; the only place httpx errors are translated."""

from __future__ import annotations

import time
from typing import Any

import httpx

from .errors import ConnectionProblem, CredentialsProblem, RequirementFailure
from .exchange import Exchange

__all__ = ["Client", "Response"]

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class Response:
    """A finished response plus the redacted exchange that reports show."""

    def __init__(self, raw: httpx.Response, exchange: Exchange) -> None:
        self.raw = raw
        self.status = raw.status_code
        self.headers = raw.headers
        self.content = raw.content
        self.exchange = exchange

    def json(self) -> Any:
        try:
            return self.raw.json()
        except ValueError as exc:
            raise RequirementFailure(
                summary="The response body is not JSON",
                received=self.raw.text[:200] or "(empty body)",
                documented="application/json",
                exchange=self.exchange,
            ) from exc

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def record(raw: httpx.Response, body: bytes | None = None) -> Exchange:
    request = raw.request
    try:
        request_body = request.content
    except httpx.RequestNotRead:
        request_body = b"(streamed body)"
    return Exchange.build(
        method=request.method,
        url=str(request.url),
        request_headers=dict(request.headers),
        request_body=request_body,
        status=raw.status_code,
        response_headers=dict(raw.headers),
        response_body=raw.content if body is None else body,
    )


class Client:
    """Requests to one deployment, authenticated as one user unless told otherwise."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT, follow_redirects=False)
        # The latest answer, so that a check that breaks on a malformed value can show the data.
        self.last: Response | None = None
        self.last_at = 0.0

    def close(self) -> None:
        self.http.close()

    def auth_headers(self, token: str | None = ...) -> dict[str, str]:  # type: ignore[assignment]
        token = self.token if token is ... else token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def request(self, method: str, path: str, *, token: str | None = ..., headers: dict[str, str] | None = None,  # type: ignore[assignment]
                **kwargs: Any) -> Response:
        all_headers = {**self.auth_headers(token), **(headers or {})}
        try:
            raw = self.http.request(method, path, headers=all_headers, **kwargs)
        except httpx.TransportError as exc:
            raise ConnectionProblem(
                f"{method} {self.base_url}{path} failed: {exc.__class__.__name__}: {exc}",
                "Check that --base-url points at a running deployment."
            ) from exc
        self.last, self.last_at = Response(raw, record(raw)), time.monotonic()
        return self.last

    def stream(self, method: str, path: str, *, token: str | None = ..., headers: dict[str, str] | None = None,  # type: ignore[assignment]
               **kwargs: Any):
        """An httpx streaming context; transport errors are translated by the SSE reader."""
        all_headers = {**self.auth_headers(token), **(headers or {})}
        return self.http.stream(method, path, headers=all_headers, **kwargs)

    # Convenience verbs used by the checks.
    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Response:
        return self.request("PATCH", path, **kw)

    def put(self, path: str, **kw: Any) -> Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Response:
        return self.request("DELETE", path, **kw)


def sign_in(base_url: str, username: str, password: str, n: str = "") -> str:
    """Trade credentials for a token; failures are configuration problems, not requirement failures.

    `n` is "" for the first test user and "_2" for the second, so that a message names its flags."""
    client = Client(base_url)
    try:
        response = client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
        )
    finally:
        client.close()
    if response.status == 401:
        raise CredentialsProblem(
            f"user {username!r} could not sign in (401): check --username{n.replace('_', '-')}/"
            f"--password{n.replace('_', '-')} or CHAT_API_USERNAME{n}/CHAT_API_PASSWORD{n}"
        )
    try:
        token = response.raw.json()["access_token"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CredentialsProblem(
            f"POST {base_url}/api/v1/auth/token for {username!r} answered {response.status} without an "
            f"access_token: {response.raw.text[:200]!r}. --base-url is the server root, without /api/v1"
        ) from exc
    return str(token)


