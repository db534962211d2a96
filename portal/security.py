"""What keeps the forms safe: body size limits, CSRF tokens, a limit on wrong links, headers.

- Size: a request body over the limit is refused with 413 before it is read into memory
  (Content-Length, and a count of what actually arrives for a chunked body).
- CSRF: every form carries a token that is an HMAC of (the link's hash, a random form id) under a
  key derived from the link secret; a post without the right one is refused. The key survives a
  restart, so a form that was open when the server restarted still posts. A post whose Origin
  (or Sec-Fetch-Site) says it came from another site is refused as well.
- Replays: the form id is stored with the submission; the same form posted again stores nothing
  and shows the receipt of the first post.
- Wrong links: each client gets a limited number of unknown links per minute, then 429. A link
  is looked up by the SHA-256 of the whole token (an index lookup), so no prefix is compared and
  a near miss takes as long as a wild guess.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import secrets
import threading
import time

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

# A statement of 20,000 characters with a PDF of 5 MB in a multipart body, with room to spare.
MAX_BODY_BYTES = 6 * 1024 * 1024
# Posts without a file (every form but the statement's and the data team's) are small.
MAX_FORM_BYTES = 256 * 1024

SECURITY_HEADERS = [
    # No scripts at all; styles and images from the portal only; forms post only to the portal.
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    # The token is in the path: never send it to another site as a Referer ("no-referrer" would
    # make browsers send "Origin: null" with the portal's own posts).
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class BodyLimit:
    """ASGI middleware: refuse bodies over `limit` bytes (413) and add the security headers."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, limited_receive, with_headers)
        except BodyTooLarge:
            await _too_large(scope, receive, send)


class BodyTooLarge(Exception):
    pass


async def _too_large(scope, receive, send) -> None:
    response = PlainTextResponse("Det sendte er for stort. Udtalelser må højst fylde 20.000 tegn og en PDF 5 MB.",
                                 status_code=413, headers={"Connection": "close"})
    await response(scope, receive, send)


class Csrf:
    """Form tokens bound to one link and one rendering of its form."""

    def __init__(self, link_secret: str):
        self.key = hmac.new(link_secret.encode(), b"kvalitetsloop-portal-csrf", hashlib.sha256).digest()

    @staticmethod
    def new_form_id() -> str:
        return secrets.token_urlsafe(16)

    def token(self, scope_id: str, form_id: str) -> str:
        return hmac.new(self.key, f"{scope_id}|{form_id}".encode(), hashlib.sha256).hexdigest()

    def valid(self, scope_id: str, form_id: object, token: object) -> bool:
        if not isinstance(form_id, str) or not isinstance(token, str) or not 16 <= len(form_id) <= 64:
            return False
        return hmac.compare_digest(self.token(scope_id, form_id), token)


def cross_site(headers, base_url: str) -> bool:
    """A post that says it comes from another site (Sec-Fetch-Site, or an Origin that is neither
    the portal's base URL nor the host the request was sent to)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return origin == "null"
    host = headers.get("host", "")
    allowed = {base_url.rstrip("/"), f"http://{host}", f"https://{host}"}
    return origin.rstrip("/") not in allowed


class WrongLinkLimit:
    """At most `per_minute` unknown links per client per minute; then 429 until the minute is over."""

    def __init__(self, per_minute: int = 20, clock=time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self.failures: dict[str, collections.deque] = {}
        self.lock = threading.Lock()

    def _recent(self, client: str) -> collections.deque:
        q = self.failures.setdefault(client, collections.deque())
        cutoff = self.clock() - 60
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def blocked(self, client: str) -> bool:
        with self.lock:
            return len(self._recent(client)) >= self.per_minute

    def failed(self, client: str) -> None:
        with self.lock:
            self._recent(client).append(self.clock())
            if len(self.failures) > 10_000:  # forget idle clients
                for key in [k for k, q in self.failures.items() if not q][:5_000]:
                    del self.failures[key]
