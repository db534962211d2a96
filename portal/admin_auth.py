"""The administration pages' login: signed session cookies that expire, CSRF tokens bound to the
session, and a limit on failed logins.

- A session is a cookie `kvl_admin` = "name|expires|nonce|signature" (HMAC-SHA256 under a key
  derived from the link secret): nothing is stored server-side, a changed or expired cookie is no
  session. HttpOnly, SameSite=Strict, Secure when the portal's base URL is https.
- CSRF: every form carries a form id and HMAC(session nonce, form id); the login form (no session
  yet) is bound to a pre-login cookie's nonce the same way. Cross-site posts are refused as well
  (portal.security.cross_site).
- Failed logins: at most `per_window` per client address and per user name within `window`
  seconds; then 429 until the window has passed, right password or not.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

COOKIE = "kvl_admin"
PRELOGIN = "kvl_admin_login"
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class AdminSession:
    username: str
    expires: int
    nonce: str


class Sessions:
    def __init__(self, link_secret: str, lifetime: int = SESSION_SECONDS):
        self.key = hmac.new(link_secret.encode(), b"kvalitetsloop-admin-session", hashlib.sha256).digest()
        self.lifetime = lifetime

    def _sign(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def issue(self, username: str, now: float) -> str:
        body = f"{username}|{int(now) + self.lifetime}|{secrets.token_urlsafe(16)}"
        return f"{body}|{self._sign(body)}"

    def read(self, cookie: str | None, now: float) -> AdminSession | None:
        if not cookie or cookie.count("|") != 3:
            return None
        name, expires, nonce, sig = cookie.split("|")
        if not hmac.compare_digest(self._sign(f"{name}|{expires}|{nonce}"), sig):
            return None
        if not expires.isdigit() or int(expires) <= now:
            return None
        return AdminSession(name, int(expires), nonce)

    def csrf(self, nonce: str, form_id: str) -> str:
        return hmac.new(self.key, f"csrf|{nonce}|{form_id}".encode(), hashlib.sha256).hexdigest()

    def seal(self, nonce: str, *parts: str) -> str:
        """A signature of what a preview showed (file hash, choices, the plan's fingerprint), bound
        to the session: its confirmation form carries it, so a confirm starts only what was shown."""
        return hmac.new(self.key, "\x1f".join(("seal", nonce, *parts)).encode(), hashlib.sha256).hexdigest()

    def seal_valid(self, nonce: str, seal: object, *parts: str) -> bool:
        return isinstance(seal, str) and hmac.compare_digest(self.seal(nonce, *parts), seal)

    def csrf_valid(self, nonce: str, form_id: object, token: object) -> bool:
        if not isinstance(form_id, str) or not isinstance(token, str) or not 16 <= len(form_id) <= 64:
            return False
        return hmac.compare_digest(self.csrf(nonce, form_id), token)


class LoginLimit:
    """Failed logins per key (client address, user name) in a sliding window."""

    def __init__(self, per_window: int = 5, window: float = 900, clock=time.monotonic):
        self.per_window, self.window, self.clock = per_window, window, clock
        self.failures: dict[str, collections.deque] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str) -> collections.deque:
        q = self.failures.setdefault(key, collections.deque())
        cutoff = self.clock() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        with self.lock:
            return any(len(self._recent(k)) >= self.per_window for k in keys)

    def failed(self, *keys: str) -> None:
        with self.lock:
            for k in keys:
                self._recent(k).append(self.clock())
            if len(self.failures) > 10_000:
                for key in [k for k, q in self.failures.items() if not q][:5_000]:
                    del self.failures[key]
