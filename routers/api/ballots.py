"""Ballots: casting one, the caller's own ballot, and after close the public ballot box and receipts."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import ballots
from app.services.errors import NotFound
from routers.deps import CurrentActor, DbSession
from schemas.ballots import BallotIn, BoxEntryOut, CastOut, MyBallotOut, ReceiptOut
from schemas.common import PROBLEMS

router = APIRouter(tags=["表决"], responses=PROBLEMS)


@router.get("/votes/{sid}/ballot-box", response_model=list[BoxEntryOut])
def ballot_box(sid: int, db: DbSession, actor: CurrentActor):
    """Every ballot as (receipt, choice) once closed, for anyone to recount; roll-call ballots also
    name the voter for the village's members."""
    return [BoxEntryOut(**row) for row in ballots.ballot_box(db, actor, sid)]


@router.get("/votes/{sid}/receipts/{code}", response_model=ReceiptOut)
def find_receipt(sid: int, code: str, db: DbSession):
    """Find a ballot by its receipt code once the vote is closed (public)."""
    choice = ballots.find_receipt(db, sid, code[:40])
    if choice is None:
        raise NotFound("找不到这个回执码，或表决还没有结束")
    return ReceiptOut(receipt=code.strip().upper().replace("-", ""), choice=choice)


@router.post("/votes/{sid}/ballots", response_model=CastOut, status_code=201)
def cast(sid: int, body: BallotIn, db: DbSession, actor: CurrentActor):
    """Cast (or, in a roll-call vote that allows it, change) a ballot; keep the receipt."""
    done = ballots.cast(db, actor, sid, body.choice, body.on_behalf_of)
    return CastOut(receipt=done.receipt, changed=done.changed)


@router.get("/votes/{sid}/my-ballot", response_model=MyBallotOut)
def my_ballot(sid: int, db: DbSession, actor: CurrentActor):
    return MyBallotOut(**ballots.my_ballot(db, actor, sid))
