"""Ballots: casting one, whether the caller voted, and after close the public ballot box (the choices)
and the receipts, as two separate lists: a receipt proves that a ballot was counted, never what it said."""

from __future__ import annotations

from fastapi import APIRouter, Path

from app.services import ballots
from app.services.errors import NotFound
from routers.deps import CurrentActor, DbSession, EngineDep, PageNo, PerPage
from schemas.ballots import BallotIn, BoxEntryOut, CastOut, MyBallotOut, ReceiptEntryOut, ReceiptOut
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["表决"], responses=PROBLEMS)


@router.get("/votes/{sid}/ballot-box", response_model=PageOut[BoxEntryOut])
def ballot_box(sid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 100):
    """Once closed, every online ballot's choice, for anyone to recount — without receipts. A secret
    vote's choices come in the box's random order; a roll-call vote's name each voter for the village's
    members."""
    return page_out(BoxEntryOut, ballots.ballot_box(db, actor, sid, page, per_page))


@router.get("/votes/{sid}/receipts", response_model=PageOut[ReceiptEntryOut])
def receipts(sid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 100):
    """Once closed, every online ballot's receipt, sorted, and nothing else: each voter finds theirs."""
    return page_out(ReceiptEntryOut, ballots.receipts(db, actor, sid, page, per_page),
                    lambda r: ReceiptEntryOut(receipt=r))


@router.get("/votes/{sid}/receipts/{code}", response_model=ReceiptOut)
def find_receipt(sid: int, db: DbSession, actor: CurrentActor, code: str = Path(max_length=40)):
    """Is this receipt in the box of the closed vote (public)? 200 if so, 404 if not; 409 to those who
    see a vote not yet closed (its members). The answer proves that the ballot was counted, not what
    it said."""
    if not ballots.find_receipt(db, sid, code, actor):
        raise NotFound("找不到这个回执码，或表决还没有结束")
    return ReceiptOut(receipt=code.strip().upper().replace("-", ""))


@router.post("/votes/{sid}/ballots", response_model=CastOut, status_code=201)
async def cast(sid: int, body: BallotIn, engine: EngineDep, actor: CurrentActor):
    """Cast (or, in a roll-call vote that allows it, change) a ballot: `choice` is the option's index or
    its label. Keep the receipt; this answer is the only one that names the choice."""
    done = await ballots.cast_soon(engine, actor, sid, body.choice, body.on_behalf_of)
    return CastOut(receipt=done.receipt, changed=done.changed, choice=done.choice, choice_label=done.choice_label)


@router.get("/votes/{sid}/my-ballot", response_model=MyBallotOut)
def my_ballot(sid: int, db: DbSession, actor: CurrentActor):
    """Whether the caller has voted (roll-call: with the receipt); never the choice."""
    return MyBallotOut(**ballots.my_ballot(db, actor, sid))
