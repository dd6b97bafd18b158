"""Attachment downloads from the pages (/v/<village>/attachments/<id>), for whoever may see the owner.

Images open in the browser; everything else is downloaded. The name is sent both as an ASCII
fallback and in UTF-8 (RFC 6266 / 5987), so Chinese names survive.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from app.services import attachments
from routers.deps import DbSession, PageActor, SettingsDep

router = APIRouter()

INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def content_disposition(filename: str, inline: bool = False) -> str:
    """Both forms: an ASCII fallback for old browsers, and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/v/{slug}/attachments/{aid}")
def download(slug: str, aid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    attachment, path = attachments.get_for_download_in(db, settings, actor, slug, aid)
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": content_disposition(attachment.filename, attachment.content_type in INLINE_TYPES),
        "Cache-Control": "private, no-store",
    })
