"""Proxies and paper tallies: the committee records written authorizations (委托) and the meeting's
sign-in sheet and paper count; the count is taken once a second committee member confirms it."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import paper_tallies
from app.services.pagination import page_list
from app.services.paper_tallies import PaperRecord
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.councils import PersonOut
from schemas.paper_tallies import PaperIn, PaperOut, ProxyIn, ProxyOut
from schemas.votes import CountOut

router = APIRouter(tags=["表决"], responses=PROBLEMS)


def _paper_out(record: PaperRecord) -> PaperOut:
    vs, tally = record.vs, record.tally
    return PaperOut(
        present=[PersonOut(id=i, name=n) for i, n in record.present],
        counts=[CountOut(option=o, count=c) for o, c in zip(vs.options, tally.counts, strict=True)],
        invalid=tally.invalid, minutes=tally.minutes, photo_id=tally.photo_id, recorded_by=tally.recorded_by,
        recorded_at=tally.recorded_at, confirmed_by=tally.confirmed_by, confirmed_at=tally.confirmed_at,
        confirmed=tally.confirmed_at is not None,
    )


@router.post("/votes/{sid}/proxies", response_model=ProxyOut, status_code=201)
def record_proxy(sid: int, body: ProxyIn, db: DbSession, actor: CurrentActor):
    """The committee records a written authorization (委托); a proxy holds a capped number."""
    proxy = paper_tallies.record_proxy(db, actor, sid, body.voter_id, body.proxy_id, body.attachment_id)
    row = next(p for p in paper_tallies.proxies_of(db, actor, sid) if p["voter_id"] == proxy.voter_id)
    return ProxyOut(**row)


@router.get("/votes/{sid}/proxies", response_model=PageOut[ProxyOut])
def list_proxies(sid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 100):
    """The written authorizations recorded for the vote (the committee, supervisors, monitors)."""
    return page_out(ProxyOut, page_list(paper_tallies.proxies_of(db, actor, sid), page, per_page),
                    lambda p: ProxyOut(**p))


@router.post("/votes/{sid}/paper-tally", response_model=PaperOut, status_code=201)
def record_paper(sid: int, body: PaperIn, db: DbSession, actor: CurrentActor):
    """The clerk records the sign-in sheet and the paper count; it counts once a second committee
    member confirms it."""
    paper_tallies.record_paper(db, actor, sid, present_user_ids=body.present_user_ids, counts=body.counts,
                               invalid=body.invalid, minutes=body.minutes, photo_id=body.photo_id)
    return _paper_out(paper_tallies.paper_record(db, actor, sid))


@router.post("/votes/{sid}/paper-tally/confirm", response_model=PaperOut)
def confirm_paper(sid: int, db: DbSession, actor: CurrentActor):
    paper_tallies.confirm_paper(db, actor, sid)
    return _paper_out(paper_tallies.paper_record(db, actor, sid))


@router.get("/votes/{sid}/paper-tally", response_model=PaperOut)
def get_paper(sid: int, db: DbSession, actor: CurrentActor):
    return _paper_out(paper_tallies.paper_record(db, actor, sid))
