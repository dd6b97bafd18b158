"""The one way a page form fails.

Load → call the service → on success redirect with a flash; when the service says no:
- not logged in, no right, out of scope (401/403/404 by default): the Chinese error page (re-raised);
- bad input (422): the same page re-rendered with the message beside its field and what was typed;
- the wrong moment (409 and the rest): a flash on the page the form came from.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from fastapi import Request
from fastapi.responses import Response

from app.services.errors import ServiceError
from routers.web.common import redirect

ERROR_PAGE = (401, 403, 404)


def field_errors(exc: ServiceError, rename: dict[str, str] | None = None) -> dict[str, str]:
    """The service's errors by form field (`rename` maps a service field to the form's name)."""
    rename = rename or {}
    out = {rename.get(e.get("field", ""), e.get("field", "")): e.get("message", "") for e in exc.errors}
    if exc.field:
        out.setdefault(rename.get(exc.field, exc.field), exc.detail)
    return out


def refused(request: Request, exc: ServiceError, *, reshow: Callable[[], Response], back: str,
            error_page: Collection[int] = ERROR_PAGE) -> Response:
    """Answer a form the service refused: error page, the form again (422), or a flash on `back`."""
    if exc.status in error_page:
        raise exc
    if exc.status == 422:
        return reshow()
    return redirect(request, back, exc.detail, "error")
