"""The township's cases and confidential reports (乡镇督办、举报).

Cases: an objection unanswered past its deadline becomes a case of the township by itself (the
timed job `escalate`); the township's own monitors list them, answer one or direct the village with
a deadline. Reports: a member writes straight to the township's monitors; only the author and the
monitors ever see it (to the village's committee it does not exist: 404).
"""

from __future__ import annotations

from fastapi import APIRouter

from app.services import cases, places
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.cases import AnswerIn, CaseOut, DirectIn, ReplyIn, ReportIn, ReportOut
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["乡镇督办"], responses=PROBLEMS)


@router.get("/townships/{tid}/cases", response_model=PageOut[CaseOut])
def township_cases(
    tid: int,
    db: DbSession,
    actor: CurrentActor,
    open: bool = True,  # noqa: A002 - the API's name for "still waiting" (as the objections' inbox)
    page: PageNo = 1,
    per_page: PerPage = 20,
):
    """The township's escalated objections, oldest first: its own monitors and admins (anyone else:
    404). `open=false` includes the answered ones and those the directed village has answered."""
    result = cases.township_cases(db, actor, tid, open_only=open, page=page, per_page=per_page)
    return page_out(CaseOut, result, CaseOut.of)


@router.post("/cases/{case_id}/answer", response_model=CaseOut)
def answer_case(case_id: int, body: AnswerIn, db: DbSession, actor: CurrentActor):
    """The monitor answers the case (once); the objector and the village read it beside the objection."""
    return CaseOut.of(cases.answer(db, actor, case_id, body.answer))


@router.post("/cases/{case_id}/direct", response_model=CaseOut)
def direct_case(case_id: int, body: DirectIn, db: DbSession, actor: CurrentActor):
    """The monitor directs the village's committee to answer by `due_date`; it is notified."""
    return CaseOut.of(cases.direct(db, actor, case_id, body.note, body.due_date))


@router.get("/objections/{oid}/case", response_model=CaseOut)
def objection_case(oid: int, db: DbSession, actor: CurrentActor):
    """The case an objection became: for the village's members, its township's monitors and admins;
    404 while it has not been escalated."""
    return CaseOut.of(cases.case_of_objection(db, actor, oid))


@router.post("/villages/{vid}/reports", response_model=ReportOut, status_code=201)
def create_report(vid: int, body: ReportIn, db: DbSession, actor: CurrentActor):
    """A member of the village reports a concern to its township's monitors (举报). The village's
    committee never sees it; its audit event (platform chain) names no one and holds no text."""
    village = places.get_village(db, vid)
    report = cases.create_report(db, actor, village, body.body)
    return ReportOut.of(cases.report_view(db, actor, report.id))


@router.get("/me/reports", response_model=PageOut[ReportOut])
def my_reports(db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """The caller's own reports, newest first, with the township's replies."""
    return page_out(ReportOut, cases.my_reports(db, actor, page=page, per_page=per_page), ReportOut.of)


@router.get("/townships/{tid}/reports", response_model=PageOut[ReportOut])
def township_reports(
    tid: int,
    db: DbSession,
    actor: CurrentActor,
    open: bool = True,  # noqa: A002 - "not yet replied to" (oldest first); false: all, newest first
    page: PageNo = 1,
    per_page: PerPage = 20,
):
    """The reports of the township's villages: its own monitors and admins (anyone else: 404)."""
    result = cases.township_reports(db, actor, tid, open_only=open, page=page, per_page=per_page)
    return page_out(ReportOut, result, ReportOut.of)


@router.get("/reports/{report_id}", response_model=ReportOut)
def report(report_id: int, db: DbSession, actor: CurrentActor):
    """One report: its author and the township's monitors (and admins); anyone else, the village's
    committee included, 404."""
    return ReportOut.of(cases.report_view(db, actor, report_id))


@router.post("/reports/{report_id}/replies", response_model=ReportOut, status_code=201)
def reply_report(report_id: int, body: ReplyIn, db: DbSession, actor: CurrentActor):
    """A monitor of the township replies; the author is notified (the author: 403; anyone else: 404)."""
    return ReportOut.of(cases.reply_report(db, actor, report_id, body.body))
