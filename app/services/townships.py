"""The township's view over its villages (乡镇监督): which villages keep their publication calendar,
which leave objections unanswered past their deadline, and whose books are late, below zero in cash
or short of receipts. For the township's monitors and admins; to
anyone else the township does not exist (404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.config import Settings
from app.domain import notices as N
from app.domain.calendar import last_months, month_start_utc
from app.domain.people import is_valid_phone, normalize_phone
from app.domain.village_settings import validate_province
from app.models import (
    PLATFORM_CHAIN,
    Notice,
    Objection,
    Proposal,
    ProposalTransition,
    Seal,
    Township,
    TownshipMonitor,
    User,
    Village,
    VoteSession,
)
from app.services import audit, auth, board, books, cases, notices, petitions, places, seals, supervision, village_rules
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
        .where(Village.township_id == township_id, notices.is_visible(Notice.state), board.counts_toward_calendar())
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
    failed_checks: int = 0  # matters whose decision file has a check not met
    failing: list[tuple[int, str]] = field(default_factory=list)  # a few of them: (proposal id, title)
    chain_ok: bool | None = None  # its audit chain's last full check (None: not checked yet)
    rules_awaiting: int = 0  # versions of its 村规民约 adopted and waiting for the township's filing
    unconvened: int = 0  # requests to convene that met their threshold over 30 days ago, not convened

    @property
    def flags(self) -> int:
        """How many things the township should take up with this village."""
        return (sum(1 for c in self.calendar if c.overdue) + (self.overdue_objections > 0)
                + (self.supervision_overlaps > 0) + (self.open_cases > 0) + (self.open_reports > 0)
                + (self.stuck > 0) + (self.failed_quorum > 0) + (self.failed_checks > 0)
                + (self.books is not None and self.books.flagged) + (self.chain_ok is False)
                + (self.rules_awaiting > 0) + (self.unconvened > 0))

    @property
    def oldest_publication(self) -> datetime:
        """The oldest of its categories' last publications (never published: the oldest of all)."""
        return min((c.last_published or datetime.min.replace(tzinfo=UTC) for c in self.calendar),
                   default=datetime.min.replace(tzinfo=UTC))

    @property
    def overdue(self) -> bool:
        """Some category is behind its calendar."""
        return any(c.overdue for c in self.calendar)

    @property
    def late(self) -> bool:
        """Behind its calendar, late with a reply, or its supervisory body not independent of the
        committee: the township should remind it."""
        return (self.overdue or self.overdue_objections > 0 or self.supervision_overlaps > 0 or self.open_cases > 0
                or self.stuck > 0 or self.failed_checks > 0 or self.chain_ok is False
                or (self.books is not None and self.books.flagged))


_EPOCH = datetime.min.replace(tzinfo=UTC)

# How the dashboard's villages can be ordered: key -> (label, sort key). Ties go by name.
SORTS: dict[str, tuple[str, Callable[[VillageRow], tuple]]] = {
    "attention": ("需要督促的在前", lambda r: (-r.flags,)),
    "name": ("按村名", lambda r: ()),
    "publication": ("最久没有公开的在前", lambda r: (r.oldest_publication,)),
    "objections": ("逾期质询多的在前", lambda r: (-(r.overdue_objections + r.open_cases),)),
    "stuck": ("停滞事项多的在前", lambda r: (-r.stuck,)),
    "checks": ("不合规事项多的在前", lambda r: (-r.failed_checks,)),
    "quorum": ("未达法定人数多的在前", lambda r: (-r.failed_quorum,)),
    "books": ("没有结账的月份多的在前", lambda r: (-(r.books.unclosed if r.books and r.books.kept else 0),)),
    "seal": ("最久没有封存的在前", lambda r: (r.last_seal or _EPOCH,)),
}


@dataclass
class Month:
    """One Beijing calendar month of the township's trend."""

    first: date
    published: dict[str, int] = field(default_factory=dict)  # notices by category
    decided: int = 0  # matters that reached a final decision (closed or rejected)
    votes: int = 0  # votes closed
    failed_quorum: int = 0  # of which without their quorum
    objections: int = 0  # objections raised
    late_objections: int = 0  # of which answered after their deadline, or still unanswered past it


@dataclass
class Dashboard:
    township: Township
    villages: list[VillageRow]
    sort: str = "attention"
    trend: list[Month] = field(default_factory=list)

    @property
    def late(self) -> int:
        return sum(1 for v in self.villages if v.late)

    @property
    def open_cases(self) -> int:
        return sum(v.open_cases for v in self.villages)

    @property
    def open_reports(self) -> int:
        return sum(v.open_reports for v in self.villages)


def dashboard(session: Session, actor: Actor | None, township_id: int, sort: str = "attention") -> Dashboard:
    """The monitors' dashboard: every village's calendar, its overdue objections, its supervisors who
    overlap the committee, how its books are kept, its open cases and the township's open reports, its
    matters stuck in a stage, its votes that failed quorum, its decisions with a failed check, its last
    seal and its chain's last full check, ordered by `sort` (a key of SORTS); and the township's
    twelve-month trend. A constant number of queries, however many villages."""
    rows = township_calendar(session, actor, township_id)
    overdue = {v.id: n for v, n in overdue_objections(session, actor, township_id)}
    township = places.get_township(session, township_id)
    overlaps = supervision.counts_by_village(session, [v.id for v, _ in rows])
    kept = books.health(session, [v.id for v, _ in rows])
    open_cases, open_reports = cases.open_counts(session, township_id), cases.open_reports(session, township_id)
    ids = [v.id for v, _ in rows]
    stuck, failed, sealed = _stuck(session, ids), _failed_quorum(session, ids), _last_seals(session, ids)
    failing, checked = _failing(session, ids), seals.last_checks(session, ids)
    awaiting, unconvened = village_rules.awaiting_filing(session, ids), petitions.unconvened(session, ids)
    villages = [VillageRow(v, cal, overdue.get(v.id, 0), overlaps.get(v.id, 0), kept.get(v.id),
                           open_cases.get(v.id, 0), open_reports.get(v.id, 0), stuck.get(v.id, 0),
                           failed.get(v.id, 0), sealed.get(v.id), len(failing.get(v.id, [])),
                           failing.get(v.id, [])[:FAILING_SHOWN],
                           checked[v.id].ok if v.id in checked else None, awaiting.get(v.id, 0),
                           unconvened.get(v.id, 0))
                for v, cal in rows]
    sort = sort if sort in SORTS else "attention"
    villages.sort(key=lambda r: (*SORTS[sort][1](r), r.village.name))
    return Dashboard(township, villages, sort, trend(session, ids))


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


def _quorum_failed():
    """A closed vote's stored result says its quorum was not met (read in SQL from the JSON)."""
    return VoteSession.result["quorum"]["met"].as_boolean().is_(False)


def _failed_quorum(session: Session, village_ids: list[int]) -> dict[int, int]:
    """Votes of the last year that closed without their quorum, per village (one query, counted in
    SQL from each closed vote's stored result)."""
    if not village_ids:
        return {}
    return dict(session.execute(select(VoteSession.village_id, func.count()).where(
        VoteSession.village_id.in_(village_ids), VoteSession.state == "closed",
        VoteSession.closed_at >= utcnow() - timedelta(days=365), _quorum_failed())
        .group_by(VoteSession.village_id)).all())


FAILING_SHOWN = 3  # matters with a failed check named on a village's row


def _failing(session: Session, village_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """Per village, its matters whose kept decision-file verdict has a check not met, latest first
    (one query; the verdicts are kept by the `verdicts` job)."""
    if not village_ids:
        return {}
    out: dict[int, list[tuple[int, str]]] = {}
    for village_id, pid, title in session.execute(select(Proposal.village_id, Proposal.id, Proposal.title).where(
            Proposal.village_id.in_(village_ids), Proposal.failed_checks > 0, Proposal.state != "draft")
            .order_by(Proposal.updated_at.desc(), Proposal.id.desc())).all():
        out.setdefault(village_id, []).append((pid, title))
    return out


TREND_MONTHS = 12


def _bucket(column, months: int):
    """The index of the month a moment falls in (month starts bound as `m0`, oldest, … `m{months-1}`), as SQL."""
    return case(*[(column >= bindparam(f"m{i}"), i) for i in reversed(range(months))], else_=-1)


def _trend_statements(months: int):
    """The trend's four grouped counts, built once (the dashboard is a monitor's first page): bound to
    the villages (`vids`), the first month's start (`since`), each month's start and the time (`now`)."""
    vids, since = bindparam("vids", expanding=True), bindparam("since")
    at = _bucket(Notice.published_at, months)
    published = (select(at, Notice.category, func.count())
                 .where(Notice.village_id.in_(vids), notices.is_visible(Notice.state), Notice.published_at >= since)
                 .group_by(at, Notice.category))
    at = _bucket(ProposalTransition.created_at, months)
    decided = (select(at, func.count())
               .where(ProposalTransition.village_id.in_(vids), ProposalTransition.to_state.in_(DECIDED),
                      ProposalTransition.created_at >= since)
               .group_by(at))
    at = _bucket(VoteSession.closed_at, months)
    votes = (select(at, func.count(), func.coalesce(func.sum(case((_quorum_failed(), 1), else_=0)), 0))
             .where(VoteSession.village_id.in_(vids), VoteSession.state == "closed", VoteSession.closed_at >= since)
             .group_by(at))
    at = _bucket(Objection.created_at, months)
    late = or_(Objection.replied_at > Objection.due_at,
               and_(Objection.replied_at.is_(None), Objection.due_at < bindparam("now")))
    objections = (select(at, func.count(), func.coalesce(func.sum(case((late, 1), else_=0)), 0))
                  .where(Objection.village_id.in_(vids), Objection.created_at >= since)
                  .group_by(at))
    return published, decided, votes, objections


DECIDED = ("closed", "rejected")
_TREND = _trend_statements(TREND_MONTHS)


def trend(session: Session, village_ids: list[int]) -> list[Month]:
    """The township's last TREND_MONTHS Beijing months: publications, decisions, votes (and failed
    quorums), objections (and late ones). Four grouped queries, counted in SQL."""
    firsts = last_months(local_today(), TREND_MONTHS)
    out = [Month(first) for first in firsts]
    if not village_ids:
        return out
    starts = [month_start_utc(first) for first in firsts]
    params = {"vids": village_ids, "since": starts[0], "now": utcnow(),
              **{f"m{i}": start for i, start in enumerate(starts)}}
    published, decided, votes, objections = _TREND
    for i, category, n in session.execute(published, params).all():
        out[i].published[category] = n
    for i, n in session.execute(decided, params).all():
        out[i].decided = n
    for i, n, failed in session.execute(votes, params).all():
        out[i].votes, out[i].failed_quorum = n, failed
    for i, n, overdue in session.execute(objections, params).all():
        out[i].objections, out[i].late_objections = n, overdue
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
