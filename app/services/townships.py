"""The township's view over its villages (乡镇监督): which villages keep their publication calendar,
which leave objections unanswered past their deadline, and whose books are late, below zero in cash
or short of receipts. For the township's monitors and admins; to
anyone else the township does not exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlmodel import Session

from app.clock import utcnow
from app.config import Settings
from app.domain import notices as N
from app.domain.people import is_valid_phone, normalize_phone
from app.domain.village_settings import validate_province
from app.models import (
    PLATFORM_CHAIN,
    Notice,
    Objection,
    Proposal,
    Seal,
    Township,
    TownshipMonitor,
    User,
    Village,
    VoteSession,
)
from app.services import audit, auth, board, books, cases, places, supervision
from app.services.access import Actor, require_admin, require_login
from app.services.books import BookHealth
from app.services.errors import Conflict, Invalid, NotFound


def _overseen(actor: Actor | None, township_id: int) -> Actor:
    actor = require_login(actor)
    if not actor.is_admin and township_id not in actor.monitor_of:
        raise NotFound("找不到这个乡镇")
    return actor


def township_calendar(session: Session, actor: Actor | None, township_id: int) -> list[tuple[Village, list]]:
    """Every village of a township with its calendar compliance: two queries, however many villages."""
    _overseen(actor, township_id)
    if session.get(Township, township_id) is None:
        raise NotFound("找不到这个乡镇")
    villages = list(session.execute(select(Village).where(Village.township_id == township_id)
                                    .order_by(Village.name)).scalars())
    last: dict[int, dict[str, datetime | None]] = {v.id: {} for v in villages}
    for village_id, category, when in session.execute(
        select(Notice.village_id, Notice.category, func.max(Notice.published_at))
        .join(Village, Village.id == Notice.village_id)
        .where(Village.township_id == township_id, Notice.state.in_(board.VISIBLE), board.counts_toward_calendar())
        .group_by(Notice.village_id, Notice.category)
    ).all():
        last[village_id][category] = when
    return [(v, board.compliance_of(v, last[v.id])) for v in villages]


def overdue_objections(session: Session, actor: Actor | None, township_id: int) -> list[tuple[Village, int]]:
    """Per village of a township: objections unanswered past their deadline (for the monitor)."""
    _overseen(actor, township_id)
    rows = session.execute(
        select(Village, func.count(Objection.id))
        .join(Objection, and_(Objection.village_id == Village.id, Objection.replied_at.is_(None),
                              Objection.due_at < utcnow()), isouter=True)
        .where(Village.township_id == township_id).group_by(Village.id).order_by(Village.name)
    ).all()
    return [(v, n) for v, n in rows]


@dataclass
class VillageRow:
    village: Village
    calendar: list[N.Compliance]
    overdue_objections: int  # unanswered past their deadline
    supervision_overlaps: int = 0  # supervisors on the committee, or in a committee member's household
    books: BookHealth | None = None  # how its books are kept (None: not looked at)
    open_cases: int = 0  # escalated objections waiting on the township or on the directed village
    open_reports: int = 0  # its members' reports (举报) waiting for the township's reply
    stuck: int = 0  # matters in one stage longer than STUCK_DAYS
    failed_quorum: int = 0  # votes of the last year that closed without their quorum
    last_seal: datetime | None = None  # when its audit chain was last sealed

    @property
    def overdue(self) -> bool:
        """Some category is behind its calendar."""
        return any(c.overdue for c in self.calendar)

    @property
    def late(self) -> bool:
        """Behind its calendar, late with a reply, or its supervisory body not independent of the
        committee: the township should remind it."""
        return (self.overdue or self.overdue_objections > 0 or self.supervision_overlaps > 0 or self.open_cases > 0
                or self.stuck > 0 or (self.books is not None and self.books.flagged))


@dataclass
class Dashboard:
    township: Township
    villages: list[VillageRow]

    @property
    def late(self) -> int:
        return sum(1 for v in self.villages if v.late)

    @property
    def open_cases(self) -> int:
        return sum(v.open_cases for v in self.villages)

    @property
    def open_reports(self) -> int:
        return sum(v.open_reports for v in self.villages)


def dashboard(session: Session, actor: Actor | None, township_id: int) -> Dashboard:
    """The monitors' dashboard: every village's calendar, its overdue objections, its supervisors who
    overlap the committee, how its books are kept, its open cases and the township's open reports, its
    matters stuck in a stage, its votes that failed quorum and its last seal (fifteen queries, however
    many villages)."""
    rows = township_calendar(session, actor, township_id)
    overdue = {v.id: n for v, n in overdue_objections(session, actor, township_id)}
    township = places.get_township(session, township_id)
    overlaps = supervision.counts_by_village(session, [v.id for v, _ in rows])
    kept = books.health(session, [v.id for v, _ in rows])
    open_cases, open_reports = cases.open_counts(session, township_id), cases.open_reports(session, township_id)
    ids = [v.id for v, _ in rows]
    stuck, failed, sealed = _stuck(session, ids), _failed_quorum(session, ids), _last_seals(session, ids)
    return Dashboard(township, [VillageRow(v, cal, overdue.get(v.id, 0), overlaps.get(v.id, 0), kept.get(v.id),
                                           open_cases.get(v.id, 0), open_reports.get(v.id, 0), stuck.get(v.id, 0),
                                           failed.get(v.id, 0), sealed.get(v.id)) for v, cal in rows])


STUCK_DAYS = 60
TERMINAL = ("draft", "rejected", "withdrawn", "closed")


def _stuck(session: Session, village_ids: list[int]) -> dict[int, int]:
    """Matters that have sat in one stage longer than STUCK_DAYS, per village (one query)."""
    if not village_ids:
        return {}
    since = utcnow() - timedelta(days=STUCK_DAYS)
    return dict(session.execute(select(Proposal.village_id, func.count()).where(
        Proposal.village_id.in_(village_ids), Proposal.state.not_in(TERMINAL),
        Proposal.stage_entered_at < since).group_by(Proposal.village_id)).all())


def _failed_quorum(session: Session, village_ids: list[int]) -> dict[int, int]:
    """Votes of the last year that closed without their quorum, per village (one query; the result's
    quorum is read from each closed vote's stored result)."""
    if not village_ids:
        return {}
    out: dict[int, int] = {}
    for village_id, result in session.execute(select(VoteSession.village_id, VoteSession.result).where(
            VoteSession.village_id.in_(village_ids), VoteSession.state == "closed",
            VoteSession.closed_at >= utcnow() - timedelta(days=365))).all():
        if result and not (result.get("quorum") or {}).get("met", True):
            out[village_id] = out.get(village_id, 0) + 1
    return out


def _last_seals(session: Session, village_ids: list[int]) -> dict[int, datetime]:
    if not village_ids:
        return {}
    return dict(session.execute(select(Seal.chain, func.max(Seal.sealed_at)).where(Seal.chain.in_(village_ids))
                                .group_by(Seal.chain)).all())


# --- the township's monitors and the rules it sets for its villages ----------------------------

def overseen_township(session: Session, actor: Actor | None, township_id: int) -> Township:
    """A township as its own monitors and admins see it; for anyone else it does not exist."""
    _overseen(actor, township_id)
    return places.get_township(session, township_id)


def township_settings(session: Session, actor: Actor | None, township_id: int) -> dict:
    """The rules the township applies to all its villages (its monitors, admins)."""
    return dict(overseen_township(session, actor, township_id).settings or {})


def update_township_settings(session: Session, actor: Actor | None, township_id: int, values: dict) -> dict:
    """The township sets the province's rules for all its villages (一事一议 caps, proxy cap): its
    monitors or an admin. A value of None hands that setting back to each village."""
    actor = require_login(actor)
    township = overseen_township(session, actor, township_id)
    checked, errors = validate_province(values)
    if errors:
        raise Invalid("设置有误：" + "；".join(errors.values()),
                      errors=[{"field": k, "message": v} for k, v in errors.items()])
    before = dict(township.settings or {})
    after = {k: v for k, v in {**before, **checked}.items() if values.get(k, v) is not None}
    township.settings = after
    session.add(township)
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor.id, action="township.settings",
                 entity="township", entity_id=township.id, data={"before": before, "after": after})
    session.commit()
    return after


def list_monitors(session: Session, actor: Actor | None, township_id: int) -> list[User]:
    """A township's monitors: shown to the admin and to the monitors themselves."""
    overseen_township(session, actor, township_id)
    return list(
        session.execute(
            select(User)
            .join(TownshipMonitor, TownshipMonitor.user_id == User.id)
            .where(TownshipMonitor.township_id == township_id)
            .order_by(User.name)
        ).scalars()
    )


def add_monitor(
    session: Session, settings: Settings, actor: Actor | None, township_id: int, name: str, phone: str
) -> tuple[User, str | None, datetime | None]:
    """Make a person a monitor of a township (admin). A new account gets a one-time code."""
    require_admin(actor)
    places.get_township(session, township_id)
    phone = normalize_phone(phone)
    if not is_valid_phone(phone):
        raise Invalid("手机号应为 11 位数字，以 1 开头", field="phone")
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    if user is None:
        user = User(name=places.person_name(name).strip(), phone=phone, status="pending")
        session.add(user)
        session.flush()
    exists = session.execute(
        select(TownshipMonitor.id).where(TownshipMonitor.township_id == township_id,
                                         TownshipMonitor.user_id == user.id)
    ).first()
    if exists:
        raise Conflict("这个人已经是本乡镇的监督员")
    session.add(TownshipMonitor(township_id=township_id, user_id=user.id))
    code = expires = None
    if user.password_hash is None:
        code, row = auth.issue_code(session, settings, user, None, actor.id)
        expires = row.expires_at
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor.id, action="monitor.grant", entity="user",
                 entity_id=user.id, data={"township_id": township_id, "name": user.name})
    session.commit()
    return user, code, expires


def remove_monitor(session: Session, actor: Actor | None, township_id: int, user_id: int) -> None:
    require_admin(actor)
    row = session.execute(
        select(TownshipMonitor).where(TownshipMonitor.township_id == township_id, TownshipMonitor.user_id == user_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("这个人不是本乡镇的监督员")
    session.delete(row)
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor.id, action="monitor.revoke", entity="user",
                 entity_id=user_id, data={"township_id": township_id})
    session.commit()
