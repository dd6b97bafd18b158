"""The three publications (三公开): notices, their review and publication, corrections and the
publication calendar. Objections: routers/api/objections.py; the township's dashboard:
routers/api/townships.py.

Published notices are public (no login); drafts and notices under review exist only for the people
who handle their category. Objections are shown to the village's members and monitors, never to the
public.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.domain import notices as N
from app.services import board, notice_views, notices, places
from app.services.pagination import page_list
from routers.api.attachments import attachment_out
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, one_of, page_out
from schemas.notices import (
    ComplianceOut,
    CorrectionIn,
    NoticeEdit,
    NoticeIn,
    NoticeOut,
    NoticeSummary,
    ReviewIn,
)

router = APIRouter(tags=["三公开"], responses=PROBLEMS)


def _notice(db: DbSession, actor: CurrentActor, notice_id: int) -> NoticeOut:
    """The notice as its page shows it (the one view, services/notice_views.py)."""
    return NoticeOut.of(notice_views.view_of(db, actor, notice_id), attachment_out)


# --- notices ----------------------------------------------------------------------------------

@router.get("/villages/{vid}/notices", response_model=PageOut[NoticeSummary])
def list_notices(
    vid: int,
    db: DbSession,
    actor: CurrentActor,
    category: str | None = Query(default=None, max_length=20, **one_of(N.CATEGORIES, "只看这一类")),
    state: str | None = Query(default=None, max_length=20, **one_of(N.STATE_NAMES, "只看这一状态")),
    page: PageNo = 1,
    per_page: PerPage = 20,
):
    """Published and closed notices, newest first: public, no login. With `state=draft|submitted|approved`:
    the working lists of the people handling the category (drafters, reviewers, publishers), the
    township's monitors and admins."""
    village = places.get_village(db, vid)
    result = board.list_notices(db, actor, village, category=category, state=state, page=page, per_page=per_page)
    return PageOut[NoticeSummary](items=[NoticeSummary.of(n) for n in result.items], total=result.total,
                                  page=result.page, per_page=result.per_page)


@router.post("/villages/{vid}/notices", response_model=NoticeOut, status_code=201)
def create_notice(vid: int, body: NoticeIn, db: DbSession, actor: CurrentActor):
    """Draft a notice: the party committee drafts party notices, the committee village ones, the
    committee or the accountant finance ones."""
    village = places.get_village(db, vid)
    notice = notices.create(db, actor, village, category=body.category, title=body.title, body=body.body,
                            days=body.days, proposal_id=body.proposal_id, vote_session_id=body.vote_session_id,
                            period=body.period)
    return _notice(db, actor, notice.id)


@router.get("/notices/{nid}", response_model=NoticeOut)
def get_notice(nid: int, db: DbSession, actor: CurrentActor):
    """A notice with its versions, the difference from the version it corrects, its attachments and
    (for the village's members and monitors) its objections."""
    return _notice(db, actor, nid)


@router.put("/notices/{nid}", response_model=NoticeOut)
def edit_notice(nid: int, body: NoticeEdit, db: DbSession, actor: CurrentActor):
    """Edit a draft. A notice under review or published answers 409 (publish a correction instead)."""
    notices.edit(db, actor, nid, title=body.title, body=body.body, days=body.days)
    return _notice(db, actor, nid)


@router.post("/notices/{nid}/submit", response_model=NoticeOut)
def submit_notice(nid: int, db: DbSession, actor: CurrentActor):
    """Hand a village or finance draft to the supervisory committee for review."""
    notices.submit(db, actor, nid)
    return _notice(db, actor, nid)


@router.post("/notices/{nid}/review", response_model=NoticeOut)
def review_notice(nid: int, body: ReviewIn, db: DbSession, actor: CurrentActor):
    """The supervisory committee approves, or returns the draft to its author with a note (required)."""
    notices.review(db, actor, nid, approve=body.approve, note=body.note)
    return _notice(db, actor, nid)


@router.post("/notices/{nid}/publish", response_model=NoticeOut)
def publish_notice(nid: int, db: DbSession, actor: CurrentActor):
    """Publish: the window starts and the content hash is fixed; from then on the notice never changes."""
    notices.publish(db, actor, nid)
    return _notice(db, actor, nid)


@router.post("/notices/{nid}/revise", response_model=NoticeOut, status_code=201)
def revise_notice(nid: int, body: CorrectionIn, db: DbSession, actor: CurrentActor):
    """A correction (更正): a new draft that supersedes the published notice once it is published."""
    notice = notices.correct(db, actor, nid, title=body.title, body=body.body, days=body.days)
    return _notice(db, actor, notice.id)


@router.post("/notices/{nid}/close", response_model=NoticeOut)
def close_notice(nid: int, db: DbSession, actor: CurrentActor):
    """Mark a notice final: its window has ended and every objection has its reply."""
    notices.close(db, actor, nid)
    return _notice(db, actor, nid)


# --- the publication calendar ---------------------------------------------------------------------

@router.get("/villages/{vid}/notice-calendar", response_model=PageOut[ComplianceOut])
def notice_calendar(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """Village affairs at least quarterly, finance at least monthly: the last publication of each and
    whether the village is behind (the committee, the supervisory committee, the township's monitors)."""
    village = places.get_village(db, vid)
    return page_out(ComplianceOut, page_list(board.village_calendar(db, actor, village), page, per_page),
                    lambda c: ComplianceOut.model_validate(c, from_attributes=True))
