"""Small helpers every page router uses."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from routers.templating import flash


def redirect(request: Request, url: str, message: str | None = None, kind: str = "ok") -> RedirectResponse:
    """Post/redirect/get, with a flash message shown by the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(request, response, message, kind)
    return response


def safe_next(url: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/"


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(request, f"/login?next={quote(target)}", "请先登录", "info")


def absolute(request: Request, path: str) -> str:
    """An absolute URL for QR codes and feeds: from CUNYI_BASE_URL when it is set (then the Host
    header is never trusted), else from the request."""
    base = request.app.state.settings.base_url or str(request.base_url)
    return base.rstrip("/") + path
