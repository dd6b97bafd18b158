"""The township's queue page (乡镇审核备案): the matters waiting for its monitors, each with its decision
file's summary, to file (备案) or return with a reason."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request

from app.services import filings, places
from app.services.errors import ServiceError
from routers.deps import DbSession, PageActor, PageNo
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import refused

router = APIRouter()


@router.get("/townships/{tid}/queue")
def queue_page(tid: int, request: Request, db: DbSession, actor: PageActor, page: PageNo = 1):
    rows = filings.queue(db, actor, tid, page=page)
    return render(request, "townships/queue.html", {"township": places.get_township(db, tid), "rows": rows.items,
                                                   "page": rows, "review_days": filings.REVIEW_DAYS})


@router.post("/townships/{tid}/queue/{pid}/file")
def file_matter(tid: int, pid: int, request: Request, db: DbSession, actor: PageActor,
                note: str = Form(default="", max_length=1000)):
    back = f"/townships/{tid}/queue"
    try:
        filing = filings.file(db, actor, pid, note)
    except ServiceError as exc:
        return refused(request, exc, back=back, reshow=lambda e=exc: redirect(request, back, e.detail, "error"))
    return redirect(request, back, f"已备案：{filing.number}")


@router.post("/townships/{tid}/queue/{pid}/return")
def return_matter(tid: int, pid: int, request: Request, db: DbSession, actor: PageActor,
                  reason: str = Form(default="", max_length=1000)):
    back = f"/townships/{tid}/queue"
    try:
        filings.send_back(db, actor, pid, reason)
    except ServiceError as exc:
        return refused(request, exc, back=back, reshow=lambda e=exc: redirect(request, back, e.detail, "error"))
    return redirect(request, back, "已退回村里重新商议，理由村里看得到")
