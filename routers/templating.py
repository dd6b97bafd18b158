"""Jinja2 set-up: templates folder, filters (Shanghai time, masked phone), page context, flash."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from app.clock import local_today
from app.config import ROOT
from app.domain.audit_chain import action_label
from app.domain.calendar import format_date, format_local
from app.domain.money import yuan
from app.domain.people import mask_phone
from app.domain.roles import ADMIN_LABEL, MONITOR_LABEL, VILLAGE_ROLES
from app.domain.rulebook import source_of
from app.services.access import village_links
from routers import cookies
from routers.security import CSRF_FIELD, csrf_token_for, masked, secure_cookies, set_anon_cookie

FLASH_COOKIE = "cunyi_flash"


class _LazyToken:
    """The page's CSRF token, computed only if the page prints it: an anonymous page without a form
    then sets no cookie and can be cached publicly. Each print is masked afresh (`security.masked`)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            self.value = csrf_token_for(self.request)
            self.request.state.csrf_printed = True  # this page is its visitor's own (routers/web/caching.py)
        return masked(self.value)

    __html__ = __str__


def page_context(request: Request) -> dict:
    ctx = getattr(request.state, "auth", None)
    return {
        "current_user": ctx.user if ctx else None,
        "actor": ctx.actor if ctx else None,
        "csrf_token": _LazyToken(request),
        "csrf_field": CSRF_FIELD,
        "flash": read_flash(request),
        "role_names": VILLAGE_ROLES,
        "monitor_label": MONITOR_LABEL,
        "admin_label": ADMIN_LABEL,
        "activation_days": request.app.state.settings.activation_days,
    }


templates = Jinja2Templates(directory=str(ROOT / "templates"), context_processors=[page_context])
templates.env.filters["local_time"] = format_local
templates.env.filters["local_date"] = format_date
templates.env.filters["mask_phone"] = mask_phone
templates.env.filters["yuan"] = yuan  # integer fen as "1,500.00"
templates.env.globals["yuan"] = yuan
templates.env.filters["action_label"] = action_label
templates.env.globals["village_links"] = village_links


def law_cite(provision: str) -> str:
    """"依据《…》（edition）第…条" of a provision in the edition in force today (Beijing calendar)."""
    return source_of(provision, local_today()).cite


templates.env.globals["law_cite"] = law_cite


# --- flash messages: a signed, short-lived cookie read by the next page ---------------------

def flash(request: Request, response: Response, message: str, kind: str = "ok") -> None:
    value = cookies.encode(request, "flash", {"m": message, "k": kind})
    response.set_cookie(FLASH_COOKIE, value, max_age=120, httponly=True, samesite="lax", secure=secure_cookies(request),
                        path="/")


def read_flash(request: Request) -> dict | None:
    body = cookies.decode(request, "flash", request.cookies.get(FLASH_COOKIE))
    if body is None:
        return None
    request.state.flash_read = True
    return {"message": str(body.get("m", "")), "kind": str(body.get("k", "ok"))}


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    if getattr(request.state, "flash_read", False):
        response.delete_cookie(FLASH_COOKIE, path="/")
    set_anon_cookie(request, response)
    return response
