"""Ballots: casting one (in person or for a principal whose written proxy the caller holds), the
voter's own ballot, turnout while open, and after close the public ballot box and receipt lookup.

How one ballot per voter, ballots racing the close and a secret ballot's secrecy are kept: see the
docstring of services/votes.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.clock import utcnow
from app.domain import votes as V
from app.models import Ballot, BallotBox, BallotRegister, Elector, PaperAttendance, Proxy, User, VoteSession
from app.services import audit
from app.services.access import Actor, require_login
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.votes import get_session, get_session_public, online_voters, read_session


@dataclass
class Cast:
    receipt: str
    changed: bool = False
    principal: str | None = None  # the name of the villager voted for, when cast for someone else


def cast(session: Session, actor: Actor | None, sid: int, choice: int, on_behalf_of: int | None = None) -> Cast:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require_login(actor)
    if not actor.is_member(village.id):
        raise Forbidden("只有本村村民可以投票")
    now = utcnow()
    if vs.state == "draft" or now < vs.opens_at:
        raise Conflict("表决还没有开始")
    if vs.state != "open" or now >= vs.closes_at:
        raise Conflict("表决已经结束")
    if not 0 <= choice < len(vs.options):
        raise Invalid("请选择一个选项", field="choice")
    voter = on_behalf_of or actor.id
    if on_behalf_of and on_behalf_of != actor.id:
        authorised = session.execute(select(Proxy.id).where(
            Proxy.vote_session_id == vs.id, Proxy.voter_id == voter, Proxy.proxy_id == actor.id)).first()
        if authorised is None:
            raise Forbidden("你没有这位村民的书面委托")
    elector = session.execute(select(Elector.user_id).where(
        Elector.vote_session_id == vs.id, Elector.user_id == voter)).first()
    if elector is None:
        raise Forbidden("不在本次表决的名单中（名单在表决开始时确定）")
    at_meeting = session.execute(select(PaperAttendance.user_id).where(
        PaperAttendance.vote_session_id == vs.id, PaperAttendance.user_id == voter)).first()
    if at_meeting is not None:
        raise Conflict("已在现场会议签到投票，以现场选票为准")
    receipt = V.new_receipt()
    changed = False
    if vs.secret:
        session.add(BallotRegister(vote_session_id=vs.id, voter_id=voter, cast_by=actor.id))
        session.add(BallotBox(id=V.new_box_id(), vote_session_id=vs.id, choice=choice, receipt=receipt))
        try:
            session.flush()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("已经投过票了，无记名投票不能改票") from exc
    else:
        existing = session.execute(select(Ballot).where(Ballot.vote_session_id == vs.id, Ballot.voter_id == voter)
                                   ).scalar_one_or_none()
        if existing is not None:
            if not vs.allow_change:
                raise Conflict("已经投过票了，这次表决不能改票")
            session.execute(update(Ballot).where(Ballot.id == existing.id).values(
                choice=choice, cast_by=actor.id, changed_at=now))
            receipt, changed = existing.receipt, True
        else:
            session.add(Ballot(vote_session_id=vs.id, voter_id=voter, cast_by=actor.id, choice=choice,
                               receipt=receipt, cast_at=now))
            try:
                session.flush()
            except IntegrityError as exc:
                session.rollback()
                if vs.allow_change:
                    return cast(session, actor, sid, choice, on_behalf_of)
                raise Conflict("已经投过票了，这次表决不能改票") from exc
    # Re-read the state under the row's lock after writing: a close in flight waits for us, or we see it.
    state, closes_at = session.execute(
        select(VoteSession.state, VoteSession.closes_at).where(VoteSession.id == vs.id)
        .with_for_update(key_share=True)
    ).one()
    if state != "open" or utcnow() >= closes_at:
        session.rollback()
        raise Conflict("表决已经结束")
    data = {"on_behalf": on_behalf_of is not None and on_behalf_of != actor.id}
    if not vs.secret:
        data.update(voter_id=voter, choice=choice, changed=changed)
    audit.record(session, village_id=village.id, actor_id=None if vs.secret else actor.id,
                 action="vote.ballot_changed" if changed else "vote.ballot", entity="vote", entity_id=vs.id,
                 data=data)
    session.commit()
    principal = None
    if on_behalf_of and on_behalf_of != actor.id:
        principal = session.execute(select(User.name).where(User.id == on_behalf_of)).scalar_one_or_none()
    return Cast(receipt, changed, principal)


def my_ballot(session: Session, actor: Actor | None, sid: int) -> dict:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require_login(actor)
    if vs.secret:
        row = session.execute(select(BallotRegister.cast_by).where(
            BallotRegister.vote_session_id == vs.id, BallotRegister.voter_id == actor.id)).first()
        return {"voted": row is not None, "secret": True, "choice": None, "receipt": None,
                "cast_by_proxy": bool(row and row[0] != actor.id)}
    ballot = session.execute(select(Ballot).where(Ballot.vote_session_id == vs.id, Ballot.voter_id == actor.id)
                             ).scalar_one_or_none()
    if ballot is None:
        return {"voted": False, "secret": False, "choice": None, "receipt": None, "cast_by_proxy": False}
    return {"voted": True, "secret": False, "choice": vs.options[ballot.choice], "receipt": ballot.receipt,
            "cast_by_proxy": ballot.cast_by != actor.id}


def ballot_box(session: Session, actor: Actor | None, sid: int) -> list[dict]:
    """After close: every ballot as (receipt, choice) so anyone can recount; roll-call ballots also
    name the voter for the village's members."""
    vs, village, insider = read_session(session, actor, sid)
    if vs.state != "closed":
        raise Conflict("表决结束后才公开票箱")
    if vs.secret:
        rows = session.execute(select(BallotBox.receipt, BallotBox.choice).where(
            BallotBox.vote_session_id == vs.id).order_by(BallotBox.receipt)).all()
        return [{"receipt": r, "choice": vs.options[c]} for r, c in rows]
    names = insider
    rows = session.execute(select(Ballot.receipt, Ballot.choice, User.name).join(User, User.id == Ballot.voter_id)
                           .where(Ballot.vote_session_id == vs.id).order_by(Ballot.receipt)).all()
    return [{"receipt": r, "choice": vs.options[c], **({"voter": n} if names else {})} for r, c, n in rows]


def find_receipt(session: Session, sid: int, receipt: str) -> str | None:
    """The choice recorded under a receipt, once the vote is closed (public)."""
    try:
        vs, _ = get_session_public(session, sid)
    except NotFound:
        return None
    code = (receipt or "").strip().upper().replace("-", "")
    box = BallotBox if vs.secret else Ballot
    choice = session.execute(select(box.choice).where(box.vote_session_id == vs.id, box.receipt == code)
                             ).scalar_one_or_none()
    return vs.options[choice] if choice is not None else None


def turnout(session: Session, vs: VoteSession) -> int:
    return session.execute(select(func.count()).select_from(online_voters(vs).subquery())).scalar_one()


def voted_among(session: Session, vs: VoteSession, user_ids: list[int]) -> set[int]:
    """Which of these people have a ballot (who, never what)."""
    if not user_ids:
        return set()
    table = BallotRegister if vs.secret else Ballot
    return set(session.execute(select(table.voter_id).where(table.vote_session_id == vs.id,
                                                            table.voter_id.in_(user_ids))).scalars())
