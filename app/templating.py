"""Jinja2 set-up: templates folder, filters (Shanghai time, masked phone), page context, flash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from app.config import ROOT
from app.domain.audit_chain import action_label
from app.domain.people import mask_phone
from app.domain.roles import ADMIN_LABEL, MONITOR_LABEL, VILLAGE_ROLES
from app.security import CSRF_FIELD, csrf_token_for, set_anon_cookie
from app.services.access import village_links

SHANGHAI = ZoneInfo("Asia/Shanghai")
FLASH_COOKIE = "cunyi_flash"


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """UTC in the database, Beijing time on the page."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).strftime(fmt)


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, "%Y-%m-%d")
    return value.strftime("%Y-%m-%d")


def page_context(request: Request) -> dict:
    ctx = getattr(request.state, "auth", None)
    return {
        "current_user": ctx.user if ctx else None,
        "actor": ctx.actor if ctx else None,
        "csrf_token": csrf_token_for(request),
        "csrf_field": CSRF_FIELD,
        "flash": read_flash(request),
        "role_names": VILLAGE_ROLES,
        "monitor_label": MONITOR_LABEL,
        "admin_label": ADMIN_LABEL,
        "activation_days": request.app.state.settings.activation_days,
    }


templates = Jinja2Templates(directory=str(ROOT / "templates"), context_processors=[page_context])
templates.env.filters["local_time"] = local_time
templates.env.filters["local_date"] = local_date
templates.env.filters["mask_phone"] = mask_phone
templates.env.filters["action_label"] = action_label
templates.env.globals["village_links"] = village_links


# --- flash messages: a signed, short-lived cookie read by the next page ---------------------

def _sign(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()[:32]


def flash(request: Request, response: Response, message: str, kind: str = "ok") -> None:
    data = base64.urlsafe_b64encode(json.dumps({"m": message, "k": kind}, ensure_ascii=False).encode())
    secret = request.app.state.settings.resolved_secret_key()
    value = f"{data.decode()}.{_sign(secret, data)}"
    response.set_cookie(FLASH_COOKIE, value, max_age=120, httponly=True, samesite="lax", path="/")


def read_flash(request: Request) -> dict | None:
    value = request.cookies.get(FLASH_COOKIE)
    if not value or "." not in value:
        return None
    data, _, sig = value.rpartition(".")
    secret = request.app.state.settings.resolved_secret_key()
    if not hmac.compare_digest(sig, _sign(secret, data.encode())):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(data.encode()))
    except ValueError:
        return None
    request.state.flash_read = True
    return {"message": str(body.get("m", "")), "kind": str(body.get("k", "ok"))}


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context or {}, status_code=status_code)
    if getattr(request.state, "flash_read", False):
        response.delete_cookie(FLASH_COOKIE, path="/")
    set_anon_cookie(request, response)
    return response
