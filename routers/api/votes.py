"""Vote sessions (民主决事): a vote on a proposal's stage, its frozen electorate, and its result.

After close the result, the ballot box and the receipts are public (no login), so anyone can
recount; before close only turnout is shown, to everyone, the committee included.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.domain import rulebook as R
from app.services import places, vote_views, votes
from app.services.pagination import page_list
from app.services.vote_views import VoteView
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.ballots import MyBallotOut
from schemas.common import PROBLEMS, PageOut, one_of, page_out
from schemas.councils import PersonOut
from schemas.votes import CouncilBrief, ResultOut, VoteIn, VoteOut, VotePatch

router = APIRouter(tags=["表决"], responses=PROBLEMS)


def _vote_out(view: VoteView) -> VoteOut:
    vs, council, rule = view.vs, view.council, view.rule
    return VoteOut(
        id=vs.id, village_id=vs.village_id, proposal_id=vs.proposal_id, stage=vs.stage,
        council=CouncilBrief(id=council.id, kind=council.kind, kind_name=R.COUNCIL_KINDS[council.kind],
                             name=council.name),
        question=vs.question, options=list(vs.options), secret=vs.secret, allow_change=vs.allow_change,
        special_rule=vs.special_rule, opens_at=vs.opens_at, closes_at=vs.closes_at, opened_at=vs.opened_at,
        closed_at=vs.closed_at, state=vs.state, fingerprint=vs.fingerprint, electorate_size=vs.electorate_size,
        quorum_rule=rule.quorum_text, passing_rule=rule.passing_text, citation=rule.citation,
        turnout=view.turnout, result=ResultOut(**view.result) if view.result else None,
        my_ballot=MyBallotOut(**view.my_ballot) if view.my_ballot is not None else None,
    )


@router.post("/proposals/{pid}/votes", response_model=VoteOut, status_code=201)
def create_vote(pid: int, body: VoteIn, db: DbSession, actor: CurrentActor):
    """The committee prepares a vote on a proposal in its vote stage (a draft until opened)."""
    vs = votes.create_session(db, actor, pid, **body.model_dump())
    return _vote_out(vote_views.vote_view(db, actor, vs, True))


@router.get("/villages/{vid}/votes", response_model=PageOut[VoteOut])
def village_votes(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20,
                  state: str | None = Query(default=None, max_length=10,
                                            **one_of(vote_views.STATE_NAMES, "只看这一状态（open：正在投票）"))):
    """The village's votes, newest first: its members, the township's monitors and admins see every
    vote; anyone else (no login needed) the closed ones."""
    village = places.get_village(db, vid)
    return page_out(VoteOut, vote_views.village_votes(db, actor, village, page, per_page, state=state), _vote_out)


@router.get("/proposals/{pid}/votes", response_model=PageOut[VoteOut])
def proposal_votes(pid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20):
    """A proposal's votes, oldest first, for those who may see the proposal (its village's members
    and the township's monitors)."""
    return page_out(VoteOut, vote_views.proposal_votes(db, actor, pid, page, per_page), _vote_out)


@router.get("/votes/{sid}", response_model=VoteOut)
def get_vote(sid: int, db: DbSession, actor: CurrentActor):
    """A vote: turnout always; the result once closed. Closed votes are public."""
    return _vote_out(vote_views.read_vote(db, actor, sid))


@router.patch("/votes/{sid}", response_model=VoteOut)
def edit_vote(sid: int, body: VotePatch, db: DbSession, actor: CurrentActor):
    """Change the question, options or times before opening; after opening: 409 (and audited)."""
    vs = votes.edit_session(db, actor, sid, **body.model_dump(exclude_none=True))
    return _vote_out(vote_views.vote_view(db, actor, vs, True))


@router.post("/votes/{sid}/open", response_model=VoteOut)
def open_vote(sid: int, db: DbSession, actor: CurrentActor):
    """Freeze the electorate and the question, and publish the fingerprint."""
    vs = votes.open_session(db, actor, sid)
    return _vote_out(vote_views.vote_view(db, actor, vs, True))


@router.post("/votes/{sid}/close", response_model=VoteOut)
def close_vote(sid: int, db: DbSession, actor: CurrentActor):
    vs = votes.close_session(db, actor, sid)
    return _vote_out(vote_views.vote_view(db, actor, vs, True))


@router.get("/votes/{sid}/electorate", response_model=PageOut[PersonOut])
def electorate(sid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 200):
    """The electorate frozen at opening (its ids and the question make the fingerprint)."""
    return page_out(PersonOut, page_list(votes.electorate_of(db, actor, sid), page, per_page),
                    lambda p: PersonOut(id=p[0], name=p[1]))


@router.get("/votes/{sid}/result", response_model=ResultOut)
def result(sid: int, db: DbSession, actor: CurrentActor):
    """Quorum, counts, passed or not, the rule and its citation: public once closed, 409 before."""
    return ResultOut(**votes.published_result(db, actor, sid))
