"""Ballots: casting one (in person or for a principal whose written proxy the caller holds), the
voter's own ballot, turnout while open, and after close the public ballot box and receipt lookup.

How one ballot per voter, ballots racing the close and a secret ballot's secrecy are kept: see the
docstring of services/votes.py.

Receipt-freeness: after close the receipts (sorted) and the choices (in the box's random order) are
published as two separate lists, and a receipt look-up answers only whether the receipt is in the box.
Nothing here pairs a receipt with a choice, so a receipt proves that one's ballot was counted, never
what it said (a voter cannot sell or be forced to show their vote). Only the answer to the cast itself
names the choice just made.
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
from app.services.pagination import Page, paginate
from app.services.votes import get_session, get_session_public, online_voters, read_session


@dataclass
class Cast:
    receipt: str
    changed: bool = False
    principal: str | None = None  # the name of the villager voted for, when cast for someone else
    choice: int = 0  # the option just chosen: shown once, on the confirmation, never again
    choice_label: str = ""


def choice_index(options: list[str], choice: int | str) -> int:
    """An option named by its index (0 = the first) or by its label ("反对"); 422 otherwise."""
    if isinstance(choice, bool):
        raise Invalid("请选择一个选项", field="choice")
    if isinstance(choice, int):
        if 0 <= choice < len(options):
            return choice
        raise Invalid("请选择一个选项", field="choice")
    label = choice.strip()
    if label in options:
        return options.index(label)
    raise Invalid("没有这个选项，请按选项的序号或原文选择", field="choice")


def cast(session: Session, actor: Actor | None, sid: int, choice: int | str,
         on_behalf_of: int | None = None) -> Cast:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require_login(actor)
    if not actor.is_member(village.id):
        raise Forbidden("只有本村村民可以投票")
    now = utcnow()
    if vs.state == "draft" or now < vs.opens_at:
        raise Conflict("表决还没有开始")
    if vs.state != "open" or now >= vs.closes_at:
        raise Conflict("表决已经结束")
    choice = choice_index(list(vs.options), choice)
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
    return Cast(receipt, changed, principal, choice, vs.options[choice])


def my_ballot(session: Session, actor: Actor | None, sid: int) -> dict:
    """Whether the caller has voted (and, roll-call, their receipt): never what they chose."""
    vs, proposal, village = get_session(session, actor, sid)
    actor = require_login(actor)
    if vs.secret:
        row = session.execute(select(BallotRegister.cast_by).where(
            BallotRegister.vote_session_id == vs.id, BallotRegister.voter_id == actor.id)).first()
        return {"voted": row is not None, "secret": True, "receipt": None,
                "cast_by_proxy": bool(row and row[0] != actor.id)}
    ballot = session.execute(select(Ballot.receipt, Ballot.cast_by).where(
        Ballot.vote_session_id == vs.id, Ballot.voter_id == actor.id)).first()
    if ballot is None:
        return {"voted": False, "secret": False, "receipt": None, "cast_by_proxy": False}
    return {"voted": True, "secret": False, "receipt": ballot.receipt, "cast_by_proxy": ballot.cast_by != actor.id}


def _closed(session: Session, actor: Actor | None, sid: int) -> tuple[VoteSession, bool]:
    vs, village, insider = read_session(session, actor, sid)
    if vs.state != "closed":
        raise Conflict("表决结束后才公开票箱")
    return vs, insider


def ballot_box(session: Session, actor: Actor | None, sid: int, page: int = 1, per_page: int = 100) -> Page:
    """After close, the choices of the online ballots, without receipts, so anyone can recount: a
    secret vote's in the box's random order (rewritten at close); a roll-call vote's by choice, naming
    each voter for the village's members (roll-call ballots are public to them by nature). Items are
    dicts {choice, choice_label[, voter]}."""
    vs, insider = _closed(session, actor, sid)
    if vs.secret:
        stmt = select(BallotBox.choice).where(BallotBox.vote_session_id == vs.id).order_by(BallotBox.id)
        result = paginate(session, stmt, page, per_page)
        result.items = [{"choice": c, "choice_label": vs.options[c]} for c in result.items]
        return result
    stmt = (select(Ballot.choice, User.name).join(User, User.id == Ballot.voter_id)
            .where(Ballot.vote_session_id == vs.id).order_by(Ballot.choice, User.name, Ballot.id))
    result = paginate(session, stmt, page, per_page, scalars=False)
    result.items = [{"choice": c, "choice_label": vs.options[c], **({"voter": n} if insider else {})}
                    for c, n in result.items]
    return result


def receipts(session: Session, actor: Actor | None, sid: int, page: int = 1, per_page: int = 100) -> Page:
    """After close, every online ballot's receipt, sorted, with nothing else: each voter finds theirs."""
    vs, _ = _closed(session, actor, sid)
    box = BallotBox if vs.secret else Ballot
    stmt = select(box.receipt).where(box.vote_session_id == vs.id).order_by(box.receipt)
    return paginate(session, stmt, page, per_page)


def online_counts(session: Session, vs: VoteSession) -> list[tuple[str, int]]:
    """The online ballots counted per option (for the page's recount beside the receipts)."""
    box = BallotBox if vs.secret else Ballot
    counts = [0] * len(vs.options)
    for choice, n in session.execute(select(box.choice, func.count()).where(box.vote_session_id == vs.id)
                                     .group_by(box.choice)).all():
        counts[choice] += n
    return list(zip(vs.options, counts, strict=True))


def find_receipt(session: Session, sid: int, receipt: str) -> bool:
    """Whether a receipt is in the box of a closed vote (public). Inclusion only: never the choice."""
    try:
        vs, _ = get_session_public(session, sid)
    except NotFound:
        return False
    code = (receipt or "").strip().upper().replace("-", "")
    box = BallotBox if vs.secret else Ballot
    return session.execute(select(box.receipt).where(box.vote_session_id == vs.id, box.receipt == code)
                           ).first() is not None


def turnout(session: Session, vs: VoteSession) -> int:
    return session.execute(select(func.count()).select_from(online_voters(vs).subquery())).scalar_one()


def voted_among(session: Session, vs: VoteSession, user_ids: list[int]) -> set[int]:
    """Which of these people have a ballot (who, never what)."""
    if not user_ids:
        return set()
    table = BallotRegister if vs.secret else Ballot
    return set(session.execute(select(table.voter_id).where(table.vote_session_id == vs.id,
                                                            table.voter_id.in_(user_ids))).scalars())
