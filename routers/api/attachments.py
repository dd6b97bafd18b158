"""Attachments (附件): upload to a proposal, list a proposal's files, download one.

Downloads carry the type found in the content (never the client's claim), `nosniff` (global
middleware) and a sandboxing CSP of their own. Images are shown inline (so pages can show them);
PDFs and Office documents are always downloaded (`attachment`). A file over the limit answers 413.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Request, Response, UploadFile
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message

from app.services import attachments
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage, SettingsDep
from schemas.attachments import AttachmentOut
from schemas.common import PROBLEMS, PageOut, page_out

# the file plus the multipart envelope (boundaries, headers, a long filename)
MAX_REQUEST_BYTES = attachments.MAX_BYTES + 64 * 1024
# served files get their own CSP: nothing in them may run or load anything
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


class LimitedBody(APIRoute):
    """Refuse a request body over MAX_REQUEST_BYTES before it is spooled to disk: at once when the
    Content-Length says so, else as soon as the streamed bytes pass the limit."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
                raise attachments.TooLarge(attachments.too_large_message(), field="file")
            receive = request.receive
            seen = 0

            async def counting() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > MAX_REQUEST_BYTES:
                        # an HTTPException passes through FastAPI's body parsing unchanged
                        raise StarletteHTTPException(413, detail=attachments.too_large_message())
                return message

            return await handler(Request(request.scope, counting, request._send))

        return limited


router = APIRouter(tags=["附件"], responses={**PROBLEMS, 413: PROBLEMS[422]}, route_class=LimitedBody)


# The owners files hang on, as they appear in paths: /proposals/{id}/attachments, /notices/{id}/…,
# /votes/{id}/… (a vote's papers: written proxy authorizations and the photo of the paper count),
# /vouchers/{id}/… (a voucher's receipts, 原始凭证).
OWNER_PATHS: dict[str, str] = {"proposals": "proposal", "notices": "notice", "votes": "vote", "vouchers": "voucher"}
Owner = Literal["proposals", "notices", "votes", "vouchers"]


def attachment_out(attachment) -> AttachmentOut:
    """An attachment row as the API shows it (also in a notice's answer)."""
    return AttachmentOut.model_validate(attachment)


@router.post("/{owner}/{oid}/attachments", response_model=AttachmentOut, status_code=201)
def upload(
    owner: Owner,
    oid: int,
    db: DbSession,
    settings: SettingsDep,
    actor: CurrentActor,
    file: UploadFile = File(..., description="图片、PDF 或 Office 文档，最大 10 MB"),
):
    """Add a file. Proposals: the author (while drafting, co-signing or deliberating) or the committee;
    notices: the category's drafters while it is a draft; votes: the committee before close. Wrong
    type → 422; over 10 MB → 413; outside the village → 404."""
    data = file.file.read(attachments.MAX_BYTES + 1)  # one byte over is enough to refuse
    return attachment_out(attachments.add(db, settings, actor, OWNER_PATHS[owner], oid, file.filename, data))


@router.get("/{owner}/{oid}/attachments", response_model=PageOut[AttachmentOut])
def list_attachments(owner: Owner, oid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1,
                     per_page: PerPage = 50):
    """The owner's files, oldest first (at most 30), for whoever may see them."""
    found = attachments.list_visible(db, actor, OWNER_PATHS[owner], oid)
    return page_out(AttachmentOut, page_list(found, page, per_page), attachment_out)


def content_disposition(attachment) -> str:
    """Images inline, everything else downloaded; an ASCII fallback name and the UTF-8 one (RFC 6266)."""
    kind = attachments.type_of(attachment)
    disposition = "inline" if kind is not None and kind.is_image else "attachment"
    name = attachment.filename
    safe_ascii = name.isascii() and name.isprintable() and not any(c in name for c in '"\\;')
    fallback = name if safe_ascii else f"attachment-{attachment.id}{kind.extension if kind else ''}"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get("/attachments/{aid}", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "文件内容"}})
def download(aid: int, db: DbSession, settings: SettingsDep, actor: CurrentActor):
    """The file itself, for those who may see its owner (404 otherwise)."""
    attachment, path = attachments.get_for_download(db, settings, actor, aid)
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": content_disposition(attachment),
        "Content-Security-Policy": FILE_CSP,
        "X-Content-Type-Options": "nosniff",
    })
