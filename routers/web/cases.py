"""The township's cases and confidential reports on the web (乡镇督办、举报).

The monitor's page (`/townships/{tid}/cases`, phone-first): the objections escalated to the township,
oldest first, each answered or directed to the village with a deadline, and the members' reports
waiting for a reply. A member writes a report from `/v/{slug}/reports/new` (the village's committee
never sees it) and reads the replies under `/me/reports`.
"""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from app.clock import local_today
from app.domain import cases as C
from app.services import cases, places, townships
from app.services.access import Actor
from app.services.errors import Invalid, ServiceError
from routers.deps import DbSession, PageActor, PageNo
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import refused

router = APIRouter()

PER_PAGE = 20
REPORTS_SHOWN = 50


def _cases_url(tid: int, anchor: str = "") -> str:
    return f"/townships/{tid}/cases{anchor}"


def cases_page(request: Request, db: DbSession, actor: Actor, tid: int, *, show_all: bool = False, page: int = 1,
               error: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    township = townships.overseen_township(db, actor, tid)
    today = local_today()
    return render(request, "cases/township.html", {
        "township": township,
        "cases": cases.township_cases(db, actor, tid, open_only=not show_all, page=page, per_page=PER_PAGE),
        "reports": cases.township_reports(db, actor, tid, open_only=not show_all, page=1, per_page=REPORTS_SHOWN),
        "show_all": show_all,
        "query": "all=1&" if show_all else "",
        "min_due": (today + timedelta(days=1)).isoformat(),
        "max_due": (today + timedelta(days=C.DIRECT_MAX_DAYS)).isoformat(),
        "error": error,
        "values": values or {},
    }, status_code=status)


@router.get("/townships/{tid}/cases")
def township_cases(tid: int, request: Request, db: DbSession, actor: PageActor,
                   show_all: bool = Query(default=False, alias="all"), page: PageNo = 1):
    return cases_page(request, db, actor, tid, show_all=show_all, page=page)


@router.post("/townships/{tid}/cases/{case_id}/answer")
def answer_case(tid: int, case_id: int, request: Request, db: DbSession, actor: PageActor,
                answer: str = Form(default="", max_length=6000)):
    values = {"form": "answer", "target": case_id, "answer": answer}
    try:
        cases.answer(db, actor, case_id, answer, township_id=tid)
    except ServiceError as exc:
        return refused(request, exc, back=_cases_url(tid, f"#c{case_id}"), reshow=lambda e=exc: cases_page(
            request, db, actor, tid, error=e.detail, values=values, status=422))
    return redirect(request, _cases_url(tid), "答复已发出，质询人和村里都能看到")


def _due(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid("日期格式不对，应为 2026-01-31 这样", field="due_date") from None


@router.post("/townships/{tid}/cases/{case_id}/direct")
def direct_case(tid: int, case_id: int, request: Request, db: DbSession, actor: PageActor,
                note: str = Form(default="", max_length=3000), due_date: str = Form(default="", max_length=20)):
    values = {"form": "direct", "target": case_id, "note": note, "due_date": due_date}
    try:
        view = cases.direct(db, actor, case_id, note, _due(due_date), township_id=tid)
    except ServiceError as exc:
        return refused(request, exc, back=_cases_url(tid, f"#c{case_id}"), reshow=lambda e=exc: cases_page(
            request, db, actor, tid, error=e.detail, values=values, status=422))
    return redirect(request, _cases_url(tid),
                    f"已督促{view.village_name}村委会在 {due_date.strip()} 前答复，村委会会收到消息")


# --- reports (举报) ------------------------------------------------------------------------------

def report_page(request: Request, db: DbSession, actor: Actor, tid: int, report_id: int, *,
                error: str | None = None, body: str = "", status: int = 200) -> Response:
    view = cases.township_report(db, actor, tid, report_id)
    return render(request, "cases/report.html", {
        "township": townships.overseen_township(db, actor, tid), "row": view, "error": error, "body": body,
    }, status_code=status)


@router.get("/townships/{tid}/reports/{report_id}")
def township_report(tid: int, report_id: int, request: Request, db: DbSession, actor: PageActor):
    return report_page(request, db, actor, tid, report_id)


@router.post("/townships/{tid}/reports/{report_id}/replies")
def reply_report(tid: int, report_id: int, request: Request, db: DbSession, actor: PageActor,
                 body: str = Form(default="", max_length=6000)):
    back = f"/townships/{tid}/reports/{report_id}"
    try:
        cases.reply_report(db, actor, report_id, body, township_id=tid)
    except ServiceError as exc:
        return refused(request, exc, back=back, reshow=lambda e=exc: report_page(
            request, db, actor, tid, report_id, error=e.detail, body=body, status=422))
    return redirect(request, back, "答复已发出，反映人会收到消息")


def new_report_page(request: Request, village, *, error: str | None = None, body: str = "",
                    status: int = 200) -> Response:
    return render(request, "cases/report_new.html", {"village": village, "error": error, "body": body,
                                                     "limit": C.REPORT_MAX}, status_code=status)


@router.get("/v/{slug}/reports/new")
def new_report(slug: str, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    cases.report_author(actor, village)
    return new_report_page(request, village)


@router.post("/v/{slug}/reports")
def create_report(slug: str, request: Request, db: DbSession, actor: PageActor,
                  body: str = Form(default="", max_length=6000)):
    village = places.get_village_by_slug(db, slug)
    try:
        report = cases.create_report(db, actor, village, body)
    except ServiceError as exc:
        return refused(request, exc, back=f"/v/{slug}/reports/new", reshow=lambda e=exc: new_report_page(
            request, village, error=e.detail, body=body, status=422))
    return redirect(request, f"/me/reports#r{report.id}", "已送到乡镇监督员，答复后会通知你")


@router.get("/me/reports")
def my_reports(request: Request, db: DbSession, actor: PageActor, page: PageNo = 1):
    return render(request, "cases/my_reports.html", {
        "page": cases.my_reports(db, actor, page=page, per_page=PER_PAGE), "query": "",
        "village_slug": actor.village_slug,
    })
