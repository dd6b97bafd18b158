"""The village's audit chain for members and township monitors, with a live verification."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.services import audit, places
from routers.deps import DbSession, PageActor, PageNo
from routers.templating import render

router = APIRouter()


@router.get("/v/{slug}/audit")
def audit_page(
    slug: str,
    request: Request,
    db: DbSession,
    actor: PageActor,
    page: PageNo = 1,
):
    village = places.get_village_by_slug(db, slug)
    view = audit.chain_page(db, actor, village, page)
    return render(request, "audit/chain.html", {"village": village, "result": view.result, "events": view.events,
                                                 "page": view.page, "pages": view.pages})
