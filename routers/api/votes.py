"""Councils and votes (民主决事): councils, vote sessions, ballots, proxies, paper tallies, results.

After close the result, the ballot box and the receipts are public (no login), so anyone can
recount; before close only turnout is shown, to everyone, the committee included.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends
from sqlmodel import Session

from app.domain import rulebook as R
from app.models import Council, PaperTally, VoteSession
from app.services import places, votes
from app.services.access import Actor
from app.services.errors import Invalid, NotFound
from routers.deps import current_actor, get_db
from schemas.common import PROBLEMS
from schemas.votes import (
    BallotIn,
    BoxEntryOut,
    CastOut,
    CouncilBrief,
    CouncilDetailOut,
    CouncilIn,
    CouncilOut,
    CountOut,
    MyBallotOut,
    PaperIn,
    PaperOut,
    PersonOut,
    ProxyIn,
    ProxyOut,
    ReceiptOut,
    ResultOut,
    VoteIn,
    VoteOut,
    VotePatch,
)

router = APIRouter(tags=["表决"], responses=PROBLEMS)

_FRACTION = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$")


def _fraction(text: str | None, inclusive: bool, field: str, label: str) -> tuple[int, int, bool] | None:
    """"2/3" → (2, 3, inclusive); the service checks the range."""
    if text is None:
        return None
    match = _FRACTION.match(text)
    if match is None:
        raise Invalid(f"{label}应写成分数，如 2/3", field=field)
    return int(match.group(1)), int(match.group(2)), inclusive


def _council_out(council: Council, members: int) -> CouncilOut:
    rule = votes.council_rule(council)
    return CouncilOut(id=council.id, village_id=council.village_id, kind=council.kind,
                      kind_name=R.COUNCIL_KINDS[council.kind], name=council.name, group_id=council.group_id,
                      members=members, quorum_rule=rule.quorum_text, passing_rule=rule.passing_text,
                      citation=rule.citation)


def _vote_out(db: Session, actor: Actor | None, vs: VoteSession, insider: bool) -> VoteOut:
    council, rule = votes.rule_of(db, vs)
    result = votes.result_for(vs, insider)
    mine = None
    if actor is not None and actor.is_member(vs.village_id):
        mine = MyBallotOut(**votes.my_ballot(db, actor, vs.id))
    return VoteOut(
        id=vs.id, village_id=vs.village_id, proposal_id=vs.proposal_id, stage=vs.stage,
        council=CouncilBrief(id=council.id, kind=council.kind, kind_name=R.COUNCIL_KINDS[council.kind],
                             name=council.name),
        question=vs.question, options=list(vs.options), secret=vs.secret, allow_change=vs.allow_change,
        special_rule=vs.special_rule, opens_at=vs.opens_at, closes_at=vs.closes_at, opened_at=vs.opened_at,
        closed_at=vs.closed_at, state=vs.state, fingerprint=vs.fingerprint, electorate_size=vs.electorate_size,
        quorum_rule=rule.quorum_text, passing_rule=rule.passing_text, citation=rule.citation,
        turnout=votes.turnout(db, vs), result=ResultOut(**result) if result else None, my_ballot=mine,
    )


def _paper_out(db: Session, vs: VoteSession, tally: PaperTally) -> PaperOut:
    return PaperOut(
        present=[PersonOut(id=i, name=n) for i, n in votes.paper_attendance(db, vs)],
        counts=[CountOut(option=o, count=c) for o, c in zip(vs.options, tally.counts, strict=True)],
        invalid=tally.invalid, minutes=tally.minutes, photo_id=tally.photo_id, recorded_by=tally.recorded_by,
        recorded_at=tally.recorded_at, confirmed_by=tally.confirmed_by, confirmed_at=tally.confirmed_at,
        confirmed=tally.confirmed_at is not None,
    )


# --- councils -------------------------------------------------------------------------------

@router.get("/villages/{vid}/councils", response_model=list[CouncilOut])
def list_councils(vid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """The village's councils, with the rule of their kind and how many may vote in them today."""
    village = places.get_village(db, vid)
    return [_council_out(v.council, v.members) for v in votes.list_councils(db, actor, village)]


@router.post("/villages/{vid}/councils", response_model=CouncilOut, status_code=201)
def create_council(vid: int, body: CouncilIn, db: Session = Depends(get_db),
                   actor: Actor | None = Depends(current_actor)):
    """The committee sets up a council. Custom bodies name their members and their thresholds
    ("2/3"; inclusive: "以上" ≥, otherwise "超过/过半数" >)."""
    village = places.get_village(db, vid)
    council = votes.create_council(
        db, actor, village, kind=body.kind, name=body.name or "", group_id=body.group_id, member_ids=body.member_ids,
        quorum=_fraction(body.quorum, body.quorum_inclusive, "quorum", "法定人数比例"),
        passing=_fraction(body.passing, body.passing_inclusive, "passing", "通过比例"),
    )
    return _council_out(council, len(votes.council_members(db, council)))


@router.get("/councils/{cid}", response_model=CouncilDetailOut)
def get_council(cid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """A council and who may vote in it today (village members, monitors and admins only)."""
    council, _ = votes.get_council(db, actor, cid)
    people = votes.council_members(db, council)
    return CouncilDetailOut(**_council_out(council, len(people)).model_dump(),
                            member_list=[PersonOut(id=i, name=n) for i, n in people])


@router.post("/councils/{cid}/archive", response_model=CouncilOut)
def archive_council(cid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """The committee retires a body; it then takes no new votes (409 while one of its votes is open)."""
    council = votes.archive_council(db, actor, cid)
    return _council_out(council, len(votes.council_members(db, council)))


# --- vote sessions --------------------------------------------------------------------------

@router.post("/proposals/{pid}/votes", response_model=VoteOut, status_code=201)
def create_vote(pid: int, body: VoteIn, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """The committee prepares a vote on a proposal in its vote stage (a draft until opened)."""
    vs = votes.create_session(db, actor, pid, **body.model_dump())
    return _vote_out(db, actor, vs, True)


@router.get("/votes/{sid}", response_model=VoteOut)
def get_vote(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """A vote: turnout always; the result once closed. Closed votes are public."""
    vs, _, insider = votes.read_session(db, actor, sid)
    return _vote_out(db, actor, vs, insider)


@router.patch("/votes/{sid}", response_model=VoteOut)
def edit_vote(sid: int, body: VotePatch, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Change the question, options or times before opening; after opening: 409 (and audited)."""
    vs = votes.edit_session(db, actor, sid, **body.model_dump(exclude_none=True))
    return _vote_out(db, actor, vs, True)


@router.post("/votes/{sid}/open", response_model=VoteOut)
def open_vote(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Freeze the electorate and the question, and publish the fingerprint."""
    vs = votes.open_session(db, actor, sid)
    return _vote_out(db, actor, vs, True)


@router.post("/votes/{sid}/close", response_model=VoteOut)
def close_vote(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    vs = votes.close_session(db, actor, sid)
    return _vote_out(db, actor, vs, True)


@router.get("/votes/{sid}/electorate", response_model=list[PersonOut])
def electorate(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """The electorate frozen at opening (its ids and the question make the fingerprint)."""
    vs, _, _ = votes.get_session(db, actor, sid)
    return [PersonOut(id=i, name=n) for i, n in votes.electorate(db, vs)]


@router.get("/votes/{sid}/result", response_model=ResultOut)
def result(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Quorum, counts, passed or not, the rule and its citation: public once closed, 409 before."""
    return ResultOut(**votes.published_result(db, actor, sid))


@router.get("/votes/{sid}/ballot-box", response_model=list[BoxEntryOut])
def ballot_box(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Every ballot as (receipt, choice) once closed, for anyone to recount; roll-call ballots also
    name the voter for the village's members."""
    return [BoxEntryOut(**row) for row in votes.ballot_box(db, actor, sid)]


@router.get("/votes/{sid}/receipts/{code}", response_model=ReceiptOut)
def find_receipt(sid: int, code: str, db: Session = Depends(get_db)):
    """Find a ballot by its receipt code once the vote is closed (public)."""
    choice = votes.find_receipt(db, sid, code[:40])
    if choice is None:
        raise NotFound("找不到这个回执码，或表决还没有结束")
    return ReceiptOut(receipt=code.strip().upper().replace("-", ""), choice=choice)


# --- ballots ----------------------------------------------------------------------------------

@router.post("/votes/{sid}/ballots", response_model=CastOut, status_code=201)
def cast(sid: int, body: BallotIn, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    """Cast (or, in a roll-call vote that allows it, change) a ballot; keep the receipt."""
    done = votes.cast(db, actor, sid, body.choice, body.on_behalf_of)
    return CastOut(receipt=done.receipt, changed=done.changed)


@router.get("/votes/{sid}/my-ballot", response_model=MyBallotOut)
def my_ballot(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    return MyBallotOut(**votes.my_ballot(db, actor, sid))


# --- proxies and paper tallies ----------------------------------------------------------------

@router.post("/votes/{sid}/proxies", response_model=ProxyOut, status_code=201)
def record_proxy(sid: int, body: ProxyIn, db: Session = Depends(get_db),
                 actor: Actor | None = Depends(current_actor)):
    """The committee records a written authorization (委托); a proxy holds a capped number."""
    proxy = votes.record_proxy(db, actor, sid, body.voter_id, body.proxy_id, body.attachment_id)
    vs, _, _ = votes.get_session(db, actor, sid)
    row = next(p for p in votes.proxies(db, vs) if p["voter_id"] == proxy.voter_id)
    return ProxyOut(**row)


@router.get("/votes/{sid}/proxies", response_model=list[ProxyOut])
def list_proxies(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    vs, _, _ = votes.get_session(db, actor, sid)
    return [ProxyOut(**p) for p in votes.proxies(db, vs)]


@router.post("/votes/{sid}/paper-tally", response_model=PaperOut, status_code=201)
def record_paper(sid: int, body: PaperIn, db: Session = Depends(get_db),
                 actor: Actor | None = Depends(current_actor)):
    """The clerk records the sign-in sheet and the paper count; it counts once a second committee
    member confirms it."""
    tally = votes.record_paper(db, actor, sid, present_user_ids=body.present_user_ids, counts=body.counts,
                               invalid=body.invalid, minutes=body.minutes, photo_id=body.photo_id)
    vs, _, _ = votes.get_session(db, actor, sid)
    return _paper_out(db, vs, tally)


@router.post("/votes/{sid}/paper-tally/confirm", response_model=PaperOut)
def confirm_paper(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    tally = votes.confirm_paper(db, actor, sid)
    vs, _, _ = votes.get_session(db, actor, sid)
    return _paper_out(db, vs, tally)


@router.get("/votes/{sid}/paper-tally", response_model=PaperOut)
def get_paper(sid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    vs, _, _ = votes.get_session(db, actor, sid)
    tally = votes.paper_tally(db, vs)
    if tally is None:
        raise NotFound("还没有录入纸质计票")
    return _paper_out(db, vs, tally)
