"""Who is calling, and the aliases every handler uses.

The HTTP edge's dependencies, as the FastAPI full-stack template keeps them in `api/deps.py`:
a handler reads `def page(slug: str, db: DbSession, actor: PageActor)`.
- `DbSession`: a session for the request (services commit; this only closes it).
- `SettingsDep`: the app's settings.
- `Auth`: the caller's live session (bearer token first, else the session cookie), or None.
- `CurrentActor`: the caller as services know them (`Actor`), or None when anonymous.
- `PageActor`: the logged-in actor of a page or API call; without a login a 401, which pages turn
  into the login form.
CSRF is checked here too, before any handler of an unsafe request runs (`web_csrf`, `api_csrf`), and
so is what no handler should ever see (`input_guard`): an id past the database's range (404), a
control character in a path, a query string or a page's form (404 or 422). Each router runs its
guards as one dependency (`api_guard`, `web_guard`).
Bounded types for query parameters (`PageNo`, `PerPage`, `QueryId`) live here too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.dependencies.utils import get_flat_params
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.config import Settings
from app.db import close_session, open_session
from app.domain import bounds, text
from app.services import auth
from app.services.access import Actor, require_login
from app.services.errors import Invalid, NotFound, Unauthorized
from routers.security import (
    ANON_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE,
    CsrfError,
    anon_csrf,
    token_matches,
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


# Dependencies that do no I/O are `async def`, so FastAPI runs them on the event loop instead of sending
# each to the thread pool and back. The request's session is opened there too (no I/O until first use)
# and closed there (`db.close_session`): by then its handler has committed, or a read's end (COMMIT on
# PostgreSQL, so the connection keeps its prepared statements) and the connection's return to the pool
# remain, which are quick. A close queued for the thread pool could wait behind requests that
# hold every thread while they wait for a pooled connection, this one's among them: a deadlock that
# FastAPI avoids for sync dependencies with a limiter of their own. For the same reason the caller's
# lookup (`auth.caller`) reads on a connection of its own, so a request holds none while it waits for a thread.
#
# On SQLite the caller's lookup runs on the event loop too (batches.read_soon): one read by an index, on a
# pooled connection that is always there (the pool holds more than there are threads, config.db_pool_size).
# A hop to the thread pool and back for it cost more than the read: under 32 connections, 10 % fewer
# ballots a second (bench/cast.py, two pairs of runs back to back: 406 and 412 against 446 and 469). On
# PostgreSQL the read is a round trip: it is queued for the database's reader thread, which sends the
# reads of many requests in one round trip. Writes never run on the loop, as they may wait for the writer
# lock or an fsync: the once-a-minute refresh of a session's last-seen time goes to a thread.

async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    """The app's engine, for a service that opens a session only when it needs one (a ballot's cast)."""
    return request.app.state.engine


async def get_db(request: Request) -> AsyncIterator[Session]:
    session = open_session(request.app.state.engine)
    try:
        yield session
    finally:
        close_session(session)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _credentials(request: Request) -> tuple[str | None, str, str]:
    """(token, how it came, its kind): a bearer token first, else the session cookie."""
    token = _bearer(request)
    if token is not None:
        return token, "bearer", "api"
    return request.cookies.get(SESSION_COOKIE), "cookie", "web"


def has_live_login(request: Request) -> bool:
    """Whether the request carries a live login, for an answer decided before the dependencies ran
    (a body that is no JSON is refused before any of them)."""
    if hasattr(request.state, "auth"):
        return request.state.auth is not None
    token, _, kind = _credentials(request)
    if not token:
        return False
    return auth.caller(request.app.state.engine, request.app.state.settings, token, kind) is not None


async def current_auth(request: Request) -> AuthContext | None:
    """The caller's live session: a bearer token first, else the session cookie. Looked up on the event
    loop on SQLite, by the reader thread on PostgreSQL (see above), once per request (kept on
    `request.state`); the once-a-minute refresh of its last-seen time is a write, which goes to the
    thread pool. It takes the request alone, and the guards and `current_actor` call it rather than
    depend on it: FastAPI solves every dependency's whole tree again at each place it is named, even when
    its value is cached, and a ballot spent a tenth of its time there."""
    if hasattr(request.state, "auth"):
        return request.state.auth
    token, via, kind = _credentials(request)
    state = request.app.state
    found = await auth.caller_soon(state.engine, state.settings, token, kind)
    if found is not None and auth.touch_due(found.row):
        await run_in_threadpool(auth.touch, state.engine, found.row)
    result = AuthContext(caller=found, via=via) if found else None
    request.state.auth = result
    return result


async def current_actor(request: Request) -> Actor | None:
    ctx = await current_auth(request)
    return ctx.actor if ctx else None


# --- what no handler should see ----------------------------------------------------------------

_INT = TypeAdapter(int)


def _int_params(route: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The names of a route's integer path and query parameters (its dependencies' included),
    worked out once per route and kept on it."""
    known = getattr(route, "_cunyi_int_params", None)
    if known is None:
        ints: dict[str, set[str]] = {"path": set(), "query": set()}
        dependant = getattr(route, "dependant", None)
        for field in get_flat_params(dependant) if dependant is not None else ():
            annotation = field.field_info.annotation
            where = getattr(getattr(field.field_info, "in_", None), "value", None)
            if (annotation is int or annotation == int | None) and where in ints:
                ints[where].add(field.alias or field.name)
        known = (frozenset(ints["path"]), frozenset(ints["query"]))
        if route is not None:
            route._cunyi_int_params = known
    return known


def _out_of_range(raw: str) -> bool:
    """True when `raw` reads as an integer (as pydantic reads it) that no INTEGER column holds."""
    if len(raw) > 40:
        return raw.strip().lstrip("+-").replace("_", "").isdigit()
    try:
        value = _INT.validate_python(raw)
    except ValidationError:
        return False  # not a number: the handler's validation answers 422
    return not -bounds.MAX_ID <= value <= bounds.MAX_ID


def input_guard(request: Request) -> None:
    """Before any handler (`api_guard`, `web_guard`): an id past the INTEGER range names nothing (404),
    nor does a path with a control character (404); a control character in a query string or a page's
    form, or an integer query parameter past the range, is refused (422). Services check the meaning of
    what remains."""
    int_path, int_query = _int_params(request.scope.get("route"))
    for name, value in request.path_params.items():
        raw = str(value)
        if text.has_control(raw, multiline=False) or (name in int_path and _out_of_range(raw)):
            raise NotFound("要找的内容不存在")
    for name, raw in request.query_params.multi_items():
        if text.has_control(raw, multiline=False) or text.has_control(name, multiline=False):
            raise Invalid(f"查询参数{text.CONTROL_REASON}", field=name)
        if name in int_query and _out_of_range(raw):
            raise Invalid("数字超出允许范围", field=name)


async def form_guard(request: Request) -> None:
    """A page's form with a control character (line breaks and tabs aside) is refused (422)."""
    if request.method not in UNSAFE:
        return
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return
    form = await request.form()
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            continue  # a file's name is cleaned where it is stored (services/attachments.py)
        if text.has_control(name, multiline=False) or text.has_control(value):
            raise Invalid(f"填写的内容{text.CONTROL_REASON}", field=name)


PageNo = Annotated[int, Query(ge=1, le=bounds.MAX_PAGE, description="页码，从 1 开始")]
PerPage = Annotated[int, Query(ge=1, le=200, description="每页条数")]
QueryId = Annotated[int | None, Query(ge=1, le=bounds.MAX_ID)]


# --- CSRF, checked before the handler runs ------------------------------------------------------

# API calls that authenticate by their own body (phone + password or code), never by the cookie.
CREDENTIAL_PATHS = ("/api/v1/auth/token", "/api/v1/auth/activate")


async def web_csrf(request: Request) -> None:
    """Every unsafe page request must carry the form token (checked before the handler runs). Every page
    looks its caller up here, as its header shows who is logged in."""
    ctx = await current_auth(request)
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
    if not token_matches(sent, expected):
        raise CsrfError()


# Unsafe API calls that need no login: logging in, activating, and logging out (which answers alike).
ANONYMOUS_UNSAFE = (*CREDENTIAL_PATHS, "/api/v1/auth/logout")


async def api_csrf(request: Request) -> None:
    """Cookie-authenticated unsafe API calls need the X-CSRF-Token header; bearer calls do not. An
    unsafe call with no live login answers 401 here, before its body is read for errors: whoever is
    not logged in learns that first, not what the body lacks."""
    ctx = await current_auth(request)
    if request.method not in UNSAFE or request.scope["path"] in CREDENTIAL_PATHS:
        return
    if ctx is None:
        if request.scope["path"] not in ANONYMOUS_UNSAFE:
            raise Unauthorized("请先登录")
        return
    if ctx.via != "cookie":
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not token_matches(sent, ctx.row.csrf_token):
        raise CsrfError()


async def page_actor(request: Request) -> Actor:
    """The logged-in actor; without a login the call answers 401 (pages: the login form)."""
    return require_login(await current_actor(request))


# The guards every API call and every page passes before its handler, as one dependency of its router
# (FastAPI solves each dependency named separately; one is the fewest).

async def api_guard(request: Request) -> None:
    input_guard(request)
    await api_csrf(request)


async def web_guard(request: Request) -> None:
    input_guard(request)
    await web_csrf(request)
    await form_guard(request)


DbSession = Annotated[Session, Depends(get_db)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
Auth = Annotated[AuthContext | None, Depends(current_auth)]
CurrentActor = Annotated[Actor | None, Depends(current_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]
