"""Proxies and paper tallies: the written authorizations (委托) the committee records, and the
in-person meeting's sign-in sheet and paper count, recorded by one committee member and counted once a
second one confirms it. Someone who voted online gets no paper ballot; someone who signed in at the
meeting cannot vote online; anyone in both is counted once (votes.duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.clock import utcnow
from app.domain import votes as V
from app.models import (
    Attachment,
    Ballot,
    BallotRegister,
    Elector,
    Membership,
    PaperAttendance,
    PaperTally,
    Proposal,
    Proxy,
    User,
    Village,
    VoteSession,
)
from app.services import audit, village_settings
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, NotFound
from app.services.votes import CLERKS, find, get_session, online_voters


def find_for_clerk(session: Session, actor: Actor | None, slug: str,
                   sid: int) -> tuple[VoteSession, Proposal, Village]:
    """A vote whose proxies or paper count the committee is recording (403 to anyone else)."""
    vs, proposal, village = find(session, actor, slug, sid)
    require(actor, village, *CLERKS)
    return vs, proposal, village


# --- proxies ----------------------------------------------------------------------------------

def record_proxy(session: Session, actor: Actor | None, sid: int, voter_id: int, proxy_id: int,
                 attachment_id: int | None = None) -> Proxy:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, *CLERKS)
    if vs.state == "closed":
        raise Conflict("表决已经结束")
    if voter_id == proxy_id:
        raise Invalid("不能委托给自己", field="proxy_id")
    _check_paper_file(session, vs, attachment_id, "attachment_id")
    members = set(session.execute(select(Membership.user_id).where(
        Membership.village_id == village.id, Membership.user_id.in_([voter_id, proxy_id]))).scalars())
    if members != {voter_id, proxy_id}:
        raise Invalid("委托人和受托人都必须是本村村民", field="voter_id")
    cap = village_settings.settings_of(session, village).proxy_cap
    # Count-then-insert holds under parallel registrations only if they take turns: lock the vote's row
    # first (PostgreSQL: its row lock, which ballots' KEY SHARE does not wait for; SQLite: the write
    # lock), so each count sees every proxy committed before it. A close that got there first is seen.
    locked = session.execute(update(VoteSession).where(VoteSession.id == vs.id, VoteSession.state != "closed")
                             .values(state=VoteSession.state))
    if locked.rowcount != 1:
        session.rollback()
        raise Conflict("表决已经结束")
    held = session.execute(select(func.count()).select_from(Proxy).where(
        Proxy.vote_session_id == vs.id, Proxy.proxy_id == proxy_id)).scalar_one()
    if held >= cap:
        session.rollback()  # let the next registration in
        raise Conflict(f"每人最多接受 {cap} 份委托")
    already = session.execute(online_voters(vs).where(
        (BallotRegister.voter_id if vs.secret else Ballot.voter_id) == voter_id)).first()
    if already:
        session.rollback()
        raise Conflict("这位村民已经投过票了")
    proxy = Proxy(vote_session_id=vs.id, voter_id=voter_id, proxy_id=proxy_id, attachment_id=attachment_id,
                  recorded_by=actor.id)
    session.add(proxy)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("这位村民已经委托过了") from exc
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.proxy", entity="vote",
                 entity_id=vs.id, data={"voter_id": voter_id, "proxy_id": proxy_id, "attachment_id": attachment_id})
    session.commit()
    return proxy


def _check_paper_file(session: Session, vs: VoteSession, attachment_id: int | None, field: str) -> None:
    """A scan or photo must be one uploaded to this vote (attachments owner "vote")."""
    if attachment_id is None:
        return
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.owner_type != "vote" or attachment.owner_id != vs.id:
        raise Invalid("请先把扫描件或照片上传到本次表决", field=field)


def proxies(session: Session, vs: VoteSession) -> list[dict]:
    voter, proxy = User.__table__.alias("voter_user"), User.__table__.alias("proxy_user")  # not "proxy": a table
    rows = session.execute(
        select(Proxy.voter_id, voter.c.name, Proxy.proxy_id, proxy.c.name, Proxy.attachment_id)
        .join(voter, voter.c.id == Proxy.voter_id).join(proxy, proxy.c.id == Proxy.proxy_id)
        .where(Proxy.vote_session_id == vs.id).order_by(voter.c.name)
    ).all()
    return [{"voter_id": a, "voter": b, "proxy_id": c, "proxy": d, "attachment_id": e} for a, b, c, d, e in rows]



# --- the paper tally ------------------------------------------------------------------------

def record_paper(session: Session, actor: Actor | None, sid: int, *, present_user_ids: list[int],
                 counts: list[int], invalid: int, minutes: str | None = None,
                 photo_id: int | None = None) -> PaperTally:
    """The clerk enters the sign-in sheet and the paper count; it counts once a second member confirms."""
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, *CLERKS)
    if vs.state != "open":
        raise Conflict("只有进行中的表决才能录入纸质计票")
    _check_paper_file(session, vs, photo_id, "photo_id")
    present = sorted(set(present_user_ids))
    electors = set(session.execute(select(Elector.user_id).where(
        Elector.vote_session_id == vs.id, Elector.user_id.in_(present))).scalars())
    outsiders = [u for u in present if u not in electors]
    if outsiders:
        raise Invalid(f"有 {len(outsiders)} 人不在本次表决的名单中", field="present_user_ids")
    # Someone who already voted online gets no paper ballot: paper ballots come only from the others.
    online = online_voters(vs).subquery()
    voted_online = set(session.execute(select(online.c.user_id).where(online.c.user_id.in_(present))).scalars())
    problem = V.check_paper(counts, invalid, len(present) - len(voted_online), len(vs.options))
    if problem:
        if voted_online:
            problem += f"（签到 {len(present)} 人中有 {len(voted_online)} 人已在网上投票，不发纸质票）"
        raise Invalid(problem, field="counts")
    existing = session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()
    if existing is not None and existing.confirmed_at is not None:
        raise Conflict("纸质计票已经确认，不能再改")
    if existing is None:
        existing = PaperTally(vote_session_id=vs.id, recorded_by=actor.id)
    existing.counts, existing.invalid, existing.minutes, existing.photo_id = counts, invalid, minutes, photo_id
    existing.recorded_by, existing.recorded_at = actor.id, utcnow()
    session.add(existing)
    session.execute(PaperAttendance.__table__.delete().where(PaperAttendance.vote_session_id == vs.id))
    session.add_all([PaperAttendance(vote_session_id=vs.id, user_id=u) for u in present])
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.paper_tally", entity="vote",
                 entity_id=vs.id, data={"present": len(present), "counts": counts, "invalid": invalid})
    session.commit()
    return existing


def confirm_paper(session: Session, actor: Actor | None, sid: int) -> PaperTally:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, *CLERKS)
    tally = session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()
    if tally is None:
        raise Conflict("还没有录入纸质计票")
    if tally.confirmed_at is not None:
        raise Conflict("纸质计票已经确认过了")
    if tally.recorded_by == actor.id:
        raise Conflict("须由另一名村委会成员确认")
    if vs.state != "open":
        raise Conflict("表决已经结束")
    tally.confirmed_by, tally.confirmed_at = actor.id, utcnow()
    session.add(tally)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.paper_confirm", entity="vote",
                 entity_id=vs.id, data={"recorded_by": tally.recorded_by})
    session.commit()
    return tally


def paper_attendance(session: Session, vs: VoteSession) -> list[tuple[int, str]]:
    """The sign-in sheet of the in-person meeting."""
    return [(r[0], r[1]) for r in session.execute(
        select(User.id, User.name).join(PaperAttendance, PaperAttendance.user_id == User.id)
        .where(PaperAttendance.vote_session_id == vs.id).order_by(User.name)).all()]


def paper_tally(session: Session, vs: VoteSession) -> PaperTally | None:
    return session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()



@dataclass
class PaperRecord:
    """A vote's paper tally with its sign-in sheet, as the API answers it."""

    vs: VoteSession
    tally: PaperTally
    present: list[tuple[int, str]]


def paper_record(session: Session, actor: Actor | None, sid: int) -> PaperRecord:
    """A vote's paper tally (404 before one is recorded)."""
    vs, _, _ = get_session(session, actor, sid)
    tally = paper_tally(session, vs)
    if tally is None:
        raise NotFound("还没有录入纸质计票")
    return PaperRecord(vs, tally, paper_attendance(session, vs))


def proxies_of(session: Session, actor: Actor | None, sid: int) -> list[dict]:
    vs, _, _ = get_session(session, actor, sid)
    return proxies(session, vs)


@dataclass
class PaperView:
    """The paper tally as the vote page and the print sheet show it."""

    tally: PaperTally
    recorded_by: str  # names
    confirmed_by: str
    present: list[int]  # the sign-in sheet's user ids
    counts: list[tuple[str, int]]  # (option, paper ballots)


def paper_view(session: Session, vs: VoteSession) -> PaperView | None:
    tally = paper_tally(session, vs)
    if tally is None:
        return None
    wanted = [i for i in (tally.recorded_by, tally.confirmed_by) if i]
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all()) if wanted else {}
    present = list(session.execute(select(PaperAttendance.user_id).where(
        PaperAttendance.vote_session_id == vs.id)).scalars())
    return PaperView(tally=tally, recorded_by=names.get(tally.recorded_by, ""),
                     confirmed_by=names.get(tally.confirmed_by, "") if tally.confirmed_by else "",
                     present=present, counts=list(zip(vs.options, tally.counts, strict=False)))
