"""Downloads people take away (导出): a closed vote's workbook, the village's notices of a period, the
member list for the committee. Each is a POST (the export is audited) answered with the file."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.services import exports, places
from app.services.errors import Invalid
from routers.deps import CurrentActor, DbSession, PageActor
from routers.web.attachments import content_disposition
from routers.web.common import redirect

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file(name: str, data: bytes) -> Response:
    return Response(data, media_type=XLSX, headers={"Content-Disposition": content_disposition(name, False),
                                                    "Cache-Control": "private, no-store"})


@router.post("/v/{slug}/votes/{sid}/export")
def vote_export(slug: str, sid: int, request: Request, db: DbSession, actor: CurrentActor):
    """A closed vote is public: anyone may take its result, box and receipts; its members also the sign-in."""
    places.get_village_by_slug(db, slug)
    return _file(*exports.vote_workbook(db, actor, sid))


@router.post("/v/{slug}/export/members")
def members_export(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _file(*exports.members_workbook(db, actor, places.get_village_by_slug(db, slug)))


@router.post("/v/{slug}/export/notices")
def notices_export(slug: str, request: Request, db: DbSession, actor: PageActor,
                   start: str = Form(default="", alias="from", max_length=7),
                   end: str = Form(default="", alias="to", max_length=7)):
    """The village's published notices from one month to another, for its members and monitors."""
    village = places.get_village_by_slug(db, slug)
    try:
        first, last = exports.parse_month(start, "from"), exports.parse_month(end or start, "to")
        return _file(*exports.notices_workbook(db, actor, village, first, last))
    except Invalid as exc:  # the form sits on the board: the refusal is a flash there, the board unchanged
        return redirect(request, f"/v/{slug}/#export", exc.detail, "error")
