"""The township's queue (乡镇审核备案): the matters waiting for its monitors, filing (备案) with a
number, and returning a matter to the village with a reason."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import filings
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.filings import FilingIn, FilingOut, QueueRowOut, ReturnedOut, ReturnIn

router = APIRouter(tags=["乡镇监督"], responses=PROBLEMS)


@router.get("/townships/{tid}/queue", response_model=PageOut[QueueRowOut])
def township_queue(tid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """The matters waiting in a stage the township's monitors act in, oldest first (at most 20 a
    page), each with its decision file's summary, the checks it fails, and its deadline (15 days)."""
    return page_out(QueueRowOut, filings.queue(db, actor, tid, page=page, per_page=per_page), QueueRowOut.of)


@router.post("/proposals/{pid}/filing", response_model=FilingOut, status_code=201)
def file_matter(pid: int, body: FilingIn, db: DbSession, actor: CurrentActor):
    """备案 by a monitor of the matter's township: the next filing number of the year; the matter moves on."""
    return FilingOut.model_validate(filings.file(db, actor, pid, body.note))


@router.post("/proposals/{pid}/filing/return", response_model=ReturnedOut)
def return_matter(pid: int, body: ReturnIn, db: DbSession, actor: CurrentActor):
    """退回 by a monitor of the matter's township: back to the village's deliberation, with a reason."""
    proposal = filings.send_back(db, actor, pid, body.reason)
    return ReturnedOut(proposal_id=proposal.id, state=proposal.state)
