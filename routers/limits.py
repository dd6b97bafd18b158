"""Bounded requests: a body over its limit is refused before anything parses or spools it.

Pure ASGI middleware on every request, pages and API alike. A multipart body (file uploads) may be
as large as `CUNYI_UPLOAD_MAX_BYTES`; any other body (JSON, forms) `CUNYI_BODY_MAX_BYTES`. When the
Content-Length already says too much, the first read of the body fails; otherwise the count of the
streamed bytes does, as soon as it passes the limit. The failure is an HTTP 413 with a Chinese
detail, answered like every error (problem+json under /api/, the error page elsewhere).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"


def too_large(limit: int, upload: bool) -> HTTPException:
    what = "上传的文件太大" if upload else "提交的内容太大"
    # Starlette's HTTPException passes through FastAPI's body parsing unchanged
    return HTTPException(413, detail=f"{what}，最多 {_megabytes(limit)}")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, body_max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.body_max_bytes = body_max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        limit = self.upload_max_bytes if upload else self.body_max_bytes
        declared = headers.get(b"content-length", b"")
        over = declared.isdigit() and int(declared) > limit
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            if over:
                raise too_large(limit, upload)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large(limit, upload)
            return message

        await self.app(scope, counted, send)
