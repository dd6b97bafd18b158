"""HTTP validators of the public pages (board, notice, print sheet, feed): ETag, 304, and who may
cache the answer. Each page gives a cheap stamp of what it shows (a service computes it); this
module only compares and answers."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from app.services.access import Actor

PUBLIC_CACHE = "public, max-age=60"
# a page that sets a cookie (a flash being cleared, say) is this visitor's alone: no shared cache
PRIVATE_CACHE = "private, max-age=60"


def matches(request: Request, etag: str) -> bool:
    """If-None-Match (RFC 9110 §13.1.2: weak comparison, `*` matches any)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def revalidated(request: Request, actor: Actor | None, stamp: Callable[[], str | None],
                page: Callable[[], Response]) -> Response:
    """An anonymous public page: 304 when the browser's copy is current (answered from the validator,
    without rendering), else the page with its ETag and a short public max-age. A logged-in viewer's
    page carries personal parts: no validator, and routers/security.py marks it no-store."""
    if actor is not None:
        return page()
    tag = stamp()
    if tag is None:  # not public (the page answers 404 or the like)
        return page()
    etag = f'W/"{tag}"'  # weak: equal content, not promised equal bytes
    headers = {"ETag": etag, "Cache-Control": PUBLIC_CACHE, "Vary": "Cookie"}
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    response = page()
    if response.status_code == 200:
        response.headers.update(headers)
        if "set-cookie" in response.headers:
            response.headers["Cache-Control"] = PRIVATE_CACHE
    return response
