"""HTTP validators of the public pages (board, notice, print sheet, feed): ETag, 304, who may cache
the answer, and the pages kept rendered. Each page gives a cheap stamp of what it shows (a service
computes it); this module only compares, remembers and answers.

The stamp names the content (a weak ETag: equal content), so a page rendered for one anonymous visitor
serves the next one with the same stamp, as a browser's copy is revalidated with a 304: a storm of QR
scans of a printed notice renders the page once. Kept per process, least recently used first out
(`CUNYI_PAGE_CACHE_ENTRIES`, 0 for none); never a page that printed a form's token or set a cookie,
never for a request carrying a flash message."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from app.services.access import Actor
from routers.templating import FLASH_COOKIE

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


MAX_KEPT_BYTES = 512 * 1024  # a page larger than this is rendered each time


class PageCache:
    """Rendered anonymous pages by (stamp, address): bodies and their content type, at most `entries`."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._pages: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, body: bytes, content_type: str) -> None:
        if len(body) > MAX_KEPT_BYTES:
            return
        with self._lock:
            self._pages[key] = (body, content_type)
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)


def page_cache(request: Request) -> PageCache | None:
    """The app's cache of rendered pages (made on first use), or None when turned off."""
    cache = getattr(request.app.state, "page_cache", None)
    if cache is None:
        entries = request.app.state.settings.page_cache_entries
        if entries <= 0:
            return None
        cache = request.app.state.page_cache = PageCache(entries)
    return cache


def revalidated(request: Request, actor: Actor | None, stamp: Callable[[], str | None],
                page: Callable[[], Response]) -> Response:
    """An anonymous public page: 304 when the browser's copy is current (answered from the validator,
    without rendering); else the page with its ETag and a short public max-age, rendered or, when this
    stamp's page is kept, as kept. A logged-in viewer's page carries personal parts: no validator, not
    kept, and routers/security.py marks it no-store."""
    if actor is not None:
        return page()
    tag = stamp()
    if tag is None:  # not public (the page answers 404 or the like)
        return page()
    etag = f'W/"{tag}"'  # weak: equal content, not promised equal bytes
    headers = {"ETag": etag, "Cache-Control": PUBLIC_CACHE, "Vary": "Cookie"}
    if matches(request, etag):
        return Response(status_code=304, headers=headers)
    cache = page_cache(request) if FLASH_COOKIE not in request.cookies else None
    key = (tag, request.url.scheme, request.headers.get("host", ""), request.url.path, request.url.query)
    kept = cache.get(key) if cache is not None else None
    if kept is not None:
        body, content_type = kept
        return Response(body, headers={**headers, "Content-Type": content_type})
    response = page()
    if response.status_code == 200:
        response.headers.update(headers)
        if "set-cookie" in response.headers:
            response.headers["Cache-Control"] = PRIVATE_CACHE
        elif cache is not None and not getattr(request.state, "csrf_printed", False):
            body = getattr(response, "body", None)
            if isinstance(body, bytes):
                cache.put(key, body, response.headers.get("content-type", "text/html; charset=utf-8"))
    return response
