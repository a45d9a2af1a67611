"""The upstream URL of a proxied request: the upstream's scheme, host and port, never the client's.

The URL is built from parts, not by joining strings: the upstream's own URL gives the scheme,
host, port and path prefix; the request gives only its path and its query, after checking that
the path is an origin-form path (RFC 9112 section 3.2.1: it starts with "/"). Joining the raw
request target to the upstream's address let a target such as `*@127.0.0.1:9999/x` turn the
upstream's address into userinfo, and the proxy fetched from another host (issue 18, #1).

Anything else (`*`, `*…`, an authority, an absolute URL that the HTTP parser left whole,
bytes a URL cannot hold) is refused with a 400 before any connection is made; and the built
URL is checked once more to point at the upstream, so no future change here can aim it
elsewhere.
"""

from __future__ import annotations

import re

import httpx

from .errors import ApiError

__all__ = ["BadTarget", "UpstreamBase"]

# An origin-form path as it comes on the wire: "/" then visible ASCII, with no "?" (the query
# is apart) and no "#" (a fragment is never sent).
_PATH = re.compile(rb"/[\x21-\x22\x24-\x3e\x40-\x7e]*")
_QUERY = re.compile(rb"[\x21-\x22\x24-\x7e]*")


class BadTarget(ApiError):
    status = 400


class UpstreamBase:
    """The upstream's address; `url(raw_path, query)` is a request's URL on it, and only on it."""

    def __init__(self, upstream: str) -> None:
        base = httpx.URL(upstream)
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError(f"upstream must be an http(s) URL with a host: {upstream!r}")
        self.base = base.copy_with(query=None, fragment=None)
        self.prefix = base.raw_path.split(b"?")[0].rstrip(b"/")

    def url(self, raw_path: bytes, query: bytes, target: bytes | None = None) -> httpx.URL:
        """`target`: the request target as sent, when the server kept it (an absolute-form
        target's path alone looks like any other)."""
        if target is not None and not target.startswith(b"/"):
            raise BadTarget("Request target must be a path starting with '/' (origin-form)")
        if not _PATH.fullmatch(raw_path):
            raise BadTarget("Request target must be a path starting with '/' (origin-form)")
        if not _QUERY.fullmatch(query):
            raise BadTarget("Request query holds characters a URL cannot carry")
        target = self.prefix + raw_path + (b"?" + query if query else b"")
        try:
            url = self.base.copy_with(raw_path=target)
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise BadTarget(f"Request target is not a valid URL path: {exc}") from None
        if (url.scheme, url.host, url.port) != (self.base.scheme, self.base.host, self.base.port):
            raise BadTarget("Request target does not name a path on the upstream")
        return url
