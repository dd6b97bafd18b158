"""The HTTP side of security: CSRF tokens, the session and anonymous cookies, security headers.

Passwords, sessions and throttling live in services/auth.py; permission checks in
services/access.py; who is calling is resolved in routers/deps.py. This module only reads and
writes HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from app.config import Settings
from app.services.errors import Forbidden

SESSION_COOKIE = "cunyi_session"
ANON_COOKIE = "cunyi_anon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class CsrfError(Forbidden):
    def __init__(self) -> None:
        super().__init__("页面已过期或来源不明，请返回上一页刷新后再提交")


# --- CSRF -----------------------------------------------------------------------------------

def anon_csrf(settings: Settings, anon_id: str) -> str:
    key = settings.resolved_secret_key().encode()
    return hmac.new(key, f"anon:{anon_id}".encode(), hashlib.sha256).hexdigest()


def masked(token: str) -> str:
    """The token as a page prints it: a fresh random pad and the token XOR the pad, in hex, so no two
    pages carry the same bytes. Pages are sent compressed, and a secret repeated in every compressed
    page next to text an attacker chooses (a search word) can be guessed from the sizes (BREACH)."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return pad.hex() + bytes(a ^ b for a, b in zip(raw, pad, strict=True)).hex()


def token_matches(sent: str, expected: str) -> bool:
    """Whether the token a request sent is the expected one, as a page printed it (`masked`) or as
    issued (an API client's copy from /api/v1/me), in constant time. Compared as bytes: a token of any
    text (a form field, a header read as Latin-1) is a mismatch, never an error."""
    raw = expected.encode()
    if len(sent) == 4 * len(raw):
        try:
            both = bytes.fromhex(sent)
        except ValueError:
            return False
        pad, body = both[:len(raw)], both[len(raw):]
        return hmac.compare_digest(bytes(a ^ b for a, b in zip(body, pad, strict=True)), raw)
    return bool(sent) and hmac.compare_digest(sent.encode(), raw)


def csrf_token_for(request: Request) -> str:
    """The token forms of this page must send back: the session's, or one tied to the anon cookie."""
    ctx = getattr(request.state, "auth", None)
    if ctx is not None and ctx.via == "cookie":
        return ctx.row.csrf_token
    anon = request.cookies.get(ANON_COOKIE)
    if not anon:
        anon = getattr(request.state, "new_anon", None) or secrets.token_urlsafe(16)
        request.state.new_anon = anon
    return anon_csrf(request.app.state.settings, anon)


# --- cookies --------------------------------------------------------------------------------

def secure_cookies(request: Request) -> bool:
    """Whether cookies carry the Secure flag: CUNYI_COOKIE_SECURE, or `auto` by the request scheme."""
    mode = request.app.state.settings.cookie_secure.lower()
    if mode in ("true", "1", "yes"):
        return True
    if mode in ("false", "0", "no"):
        return False
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def set_anon_cookie(request: Request, response: Response) -> None:
    anon = getattr(request.state, "new_anon", None)
    if anon and not request.cookies.get(ANON_COOKIE):
        response.set_cookie(ANON_COOKIE, anon, httponly=True, samesite="lax", secure=secure_cookies(request), path="/")


# --- headers --------------------------------------------------------------------------------

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# /docs serves Swagger UI's files from this site (routers/docs.py) and starts it from a file: its page
# needs no CDN, no inline script and no inline style, so it gets the pages' own policy.
DOCS_CSP = CSP
DOCS_PATHS = ("/docs",)


def with_security_headers(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The response's headers plus the security headers it does not set itself."""
    docs = any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)  # not "/docs-anything"
    csp = DOCS_CSP if docs else CSP
    headers = list(headers)
    names = {name.lower() for name, _ in headers}
    extra = {
        b"content-security-policy": csp.encode(),
        b"x-content-type-options": b"nosniff",
        b"x-frame-options": b"DENY",
        b"referrer-policy": b"same-origin",
        b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
        b"cross-origin-opener-policy": b"same-origin",
    }
    headers += [(k, v) for k, v in extra.items() if k not in names]
    if not path.startswith("/static/") and b"cache-control" not in names:
        headers.append((b"cache-control", b"no-store"))
    return headers


class SecurityHeaders:
    """Pure ASGI middleware: security headers on every response. (Unhandled errors are answered
    outside all middleware, by Starlette's ServerErrorMiddleware: main.py adds them there.)"""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(path, message.get("headers", []))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TrustedHosts:
    """With CUNYI_BASE_URL set, only its host (and the loopback names) may be named in the Host
    header; anything else is refused with 400 before the app sees it, as Starlette's
    TrustedHostMiddleware does, but in Chinese and inside the security headers."""

    def __init__(self, app, *, allowed: list[str]) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed if h}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name in self.allowed:
            await self.app(scope, receive, send)
            return
        body = "请求的网址不对，请从正式网址访问".encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
