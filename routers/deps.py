"""Who is calling, and the aliases every handler uses.

The HTTP edge's dependencies, as the FastAPI full-stack template keeps them in `api/deps.py`:
a handler reads `def page(slug: str, db: DbSession, actor: PageActor)`.
- `DbSession`: a session for the request (services commit; this only closes it).
- `SettingsDep`: the app's settings.
- `Auth`: the caller's live session (bearer token first, else the session cookie), or None.
- `CurrentActor`: the caller as services know them (`Actor`), or None when anonymous.
- `PageActor`: the logged-in actor of a page or API call; without a login a 401, which pages turn
  into the login form.
CSRF is checked here too, before any handler of an unsafe request runs (`web_csrf`, `api_csrf`).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.config import Settings
from app.db import session_scope
from app.services import auth
from app.services.access import Actor, require_login
from routers.security import (
    ANON_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE,
    CsrfError,
    anon_csrf,
)


@dataclass
class AuthContext:
    """The caller of this request and how they proved it."""

    caller: auth.Caller
    via: str  # "cookie" or "bearer"

    @property
    def user(self):
        return self.caller.user

    @property
    def row(self):
        return self.caller.row

    @property
    def actor(self) -> Actor:
        return self.caller.actor


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.engine)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_auth(
    request: Request,
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> AuthContext | None:
    """The caller's live session: a bearer token first, else the session cookie."""
    if hasattr(request.state, "auth"):
        return request.state.auth
    token, via, kind = _bearer(request), "bearer", "api"
    if token is None:
        token, via, kind = request.cookies.get(SESSION_COOKIE), "cookie", "web"
    found = auth.caller(db, settings, token, kind)
    result = AuthContext(caller=found, via=via) if found else None
    request.state.auth = result
    return result


def current_actor(ctx: AuthContext | None = Depends(current_auth)) -> Actor | None:
    return ctx.actor if ctx else None


# --- CSRF, checked before the handler runs ------------------------------------------------------

# API calls that authenticate by their own body (phone + password or code), never by the cookie.
CREDENTIAL_PATHS = ("/api/v1/auth/token", "/api/v1/auth/activate")


async def web_csrf(request: Request, ctx: AuthContext | None = Depends(current_auth)) -> None:
    """Every unsafe page request must carry the form token (checked before the handler runs)."""
    if request.method not in UNSAFE:
        return
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    if ctx is not None and ctx.via == "cookie":
        expected = ctx.row.csrf_token
    else:
        anon = request.cookies.get(ANON_COOKIE)
        if not anon:
            raise CsrfError()
        expected = anon_csrf(request.app.state.settings, anon)
    if not sent or not hmac.compare_digest(sent, expected):
        raise CsrfError()


async def api_csrf(request: Request, ctx: AuthContext | None = Depends(current_auth)) -> None:
    """Cookie-authenticated unsafe API calls need the X-CSRF-Token header; bearer calls do not."""
    if request.method not in UNSAFE or ctx is None or ctx.via != "cookie":
        return
    if request.url.path in CREDENTIAL_PATHS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, ctx.row.csrf_token):
        raise CsrfError()


def page_actor(actor: Actor | None = Depends(current_actor)) -> Actor:
    """The logged-in actor; without a login the call answers 401 (pages: the login form)."""
    return require_login(actor)


DbSession = Annotated[Session, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
Auth = Annotated[AuthContext | None, Depends(current_auth)]
CurrentActor = Annotated[Actor | None, Depends(current_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]
