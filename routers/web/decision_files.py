"""Pages of the decision files (一事一档): the file of one matter (phone first: the verdict, then the
steps), its A4 sheet, and its evidence bundle. For whoever may see the matter."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.clock import utcnow
from app.domain import decision as D
from app.services import decision_files, seals
from routers.deps import DbSession, PageActor, SettingsDep
from routers.templating import render
from routers.web.attachments import content_disposition
from routers.web.common import absolute
from routers.web.notices import qr_svg

router = APIRouter()

ZIP = "application/zip"


def zip_response(name: str, data) -> StreamingResponse:
    """The bundle (page and API alike), streamed from its spooled file, closed once sent."""
    def chunks():
        with data:
            while block := data.read(1 << 16):
                yield block
    return StreamingResponse(chunks(), media_type=ZIP, headers={
        "Content-Disposition": content_disposition(name), "Cache-Control": "private, no-store"})


def file_url(slug: str, pid: int) -> str:
    return f"/v/{slug}/proposals/{pid}/file"


def _context(view: decision_files.DecisionFile) -> dict:
    return {"view": view, "village": view.village, "proposal": view.proposal, "file": view.file,
            "verdicts": D.VERDICTS, "badge": BADGES}


# the verdict badges, in the stylesheet's colours: green, red, grey, amber
BADGES = {D.MET: "state-closed", D.NOT_MET: "state-rejected", D.NOT_YET: "state-draft", D.WAIVED: "state-submitted"}


@router.get("/v/{slug}/proposals/{pid}/file")
def file_page(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    view = decision_files.file_in(db, actor, slug, pid)
    return render(request, "decision_files/file.html", _context(view))


@router.get("/v/{slug}/proposals/{pid}/file/print")
def file_print(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    view = decision_files.file_in(db, actor, slug, pid)
    url = absolute(request, file_url(slug, pid))
    return render(request, "decision_files/print.html", {
        **_context(view), "url": url, "qr": qr_svg(url), "seal": seals.latest_for(db, view.village),
        "printed_at": utcnow()})


@router.get("/v/{slug}/proposals/{pid}/file.zip")
def file_bundle(slug: str, pid: int, db: DbSession, settings: SettingsDep, actor: PageActor):
    name, data = decision_files.bundle_in(db, settings, actor, slug, pid)
    return zip_response(name, data)
