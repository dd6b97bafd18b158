"""The village's audit chain for members and township monitors, with a live verification."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session

from app.services import audit, places
from app.services.access import Actor, require
from routers.deps import get_db, page_actor
from routers.templating import render

router = APIRouter()


@router.get("/v/{slug}/audit")
def audit_page(slug: str, request: Request, page: int = Query(default=1, ge=1), db: Session = Depends(get_db),
               actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    require(actor, village, monitor=True)
    result = audit.verify_chain(db, village.id)
    total, _ = audit.head(db, village.id)
    # newest first: page 1 shows the latest events
    per_page = 50
    after = max(0, total - page * per_page)
    events = audit.events(db, village.id, after=after, page=1, per_page=per_page)
    rows = [e for e in events.items if e.seq <= total - (page - 1) * per_page]
    rows.reverse()
    pages = max(1, -(-total // per_page))
    return render(request, "audit/chain.html", {"village": village, "result": result, "events": rows,
                                                 "page": page, "pages": pages})
