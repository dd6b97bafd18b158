"""A person's home after login (我的待办): what waits for them, in their village and by their roles.

`home(session, actor)` assembles the page in a fixed number of queries whatever the village's size:
open votes the person may still cast, matters gathering co-signs, notices in their window, replies
to the person's comments and objections, and the work their roles bring (reviews for a supervisor,
the committee's queues, the township dashboards for a monitor). It reads only; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import books as B
from app.domain import notices as N
from app.domain import procedures as P
from app.domain.roles import ACCOUNTANT, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR
from app.domain.rulebook import cosign_progress
from app.models import (
    AccountPeriod,
    Ballot,
    BallotRegister,
    Comment,
    Cosignature,
    Elector,
    Ledger,
    Membership,
    Notice,
    Objection,
    PaperAttendance,
    Proposal,
    Township,
    TownshipMonitor,
    User,
    VoteSession,
    Voucher,
)
from app.services import assisted, notifications, places, proposals
from app.services.access import Actor, require_login

REPLIES_SHOWN = 5
NOTICES_SHOWN = 20
MATTERS_SHOWN = 20
VOTES_SHOWN = 20


@dataclass(frozen=True)
class OpenVote:
    id: int
    question: str
    proposal_id: int
    proposal_title: str
    closes_at: datetime
    href: str


@dataclass(frozen=True)
class CosignMatter:
    id: int
    title: str
    villagers: int
    villagers_needed: int
    representatives: int
    representatives_needed: int
    signed_by_me: bool
    href: str

    @property
    def villagers_missing(self) -> int:
        return max(self.villagers_needed - self.villagers, 0)

    @property
    def representatives_missing(self) -> int:
        return max(self.representatives_needed - self.representatives, 0)


@dataclass(frozen=True)
class WindowNotice:
    id: int
    title: str
    category_name: str
    window_until: datetime
    href: str


@dataclass(frozen=True)
class Reply:
    kind: str  # "comment" / "objection"
    about: str  # the matter's or notice's title
    who: str | None  # who replied (comments: the replier; objections: the village)
    at: datetime
    href: str


@dataclass(frozen=True)
class Task:
    label: str
    count: int | None
    href: str


@dataclass
class HomeView:
    name: str
    village_name: str | None
    village_slug: str | None
    votes: list[OpenVote] = field(default_factory=list)
    cosigns: list[CosignMatter] = field(default_factory=list)
    notices: list[WindowNotice] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    unread: int = 0

    @property
    def member(self) -> bool:
        return self.village_slug is not None


# The page's statements are built once, bound to the person (`me`), the village (`vid`) and the time
# (`now`): everyone's first page after logging in then costs its SQL, not the building of its queries.

def _open_votes_statement():
    me, now = bindparam("me"), bindparam("now")
    return (
        select(VoteSession.id, VoteSession.question, VoteSession.closes_at, Proposal.id, Proposal.title)
        .join(Proposal, Proposal.id == VoteSession.proposal_id)
        .join(Elector, and_(Elector.vote_session_id == VoteSession.id, Elector.user_id == me))
        .where(
            VoteSession.village_id == bindparam("vid"), VoteSession.state == "open",
            VoteSession.opens_at <= now, VoteSession.closes_at > now,
            ~exists().where(BallotRegister.vote_session_id == VoteSession.id, BallotRegister.voter_id == me),
            ~exists().where(Ballot.vote_session_id == VoteSession.id, Ballot.voter_id == me),
            ~exists().where(PaperAttendance.vote_session_id == VoteSession.id, PaperAttendance.user_id == me),
        )
        .order_by(VoteSession.closes_at, VoteSession.id)
        .limit(VOTES_SHOWN)
    )


_OPEN_VOTES = _open_votes_statement()


def _open_votes(session: Session, actor: Actor, village_id: int, slug: str, now: datetime) -> list[OpenVote]:
    """Open votes whose frozen electorate holds the actor and who has not voted (online or on paper)."""
    rows = session.execute(_OPEN_VOTES, {"me": actor.id, "vid": village_id, "now": now}).all()
    return [OpenVote(id=sid, question=q, proposal_id=pid, proposal_title=title, closes_at=closes,
                     href=f"/v/{slug}/votes/{sid}#cast") for sid, q, closes, pid, title in rows]


def _cosigns_statement():
    """Matters in a co-sign stage of their procedure, with their signatures (None: no procedure has one)."""
    cosigning = P.states_of_kinds(P.Kind.COSIGN)
    if not cosigning:
        return None
    return (
        select(Proposal.id, Proposal.title,
               func.count(Cosignature.id),
               func.count(Cosignature.id).filter(Cosignature.as_representative),
               func.count(Cosignature.id).filter(Cosignature.user_id == bindparam("me")))
        .outerjoin(Cosignature, Cosignature.proposal_id == Proposal.id)
        .where(Proposal.village_id == bindparam("vid"), proposals.in_states(cosigning))
        .group_by(Proposal.id, Proposal.title)
        .order_by(Proposal.id.desc())
        .limit(MATTERS_SHOWN)
    )


_COSIGNS = _cosigns_statement()


def _cosigns(session: Session, actor: Actor, village_id: int, slug: str) -> list[CosignMatter]:
    """Matters in their co-sign stage, with the support they have and need (two queries more when any)."""
    if _COSIGNS is None:
        return []
    rows = session.execute(_COSIGNS, {"me": actor.id, "vid": village_id}).all()
    if not rows:
        return []
    facts = places.facts(session, village_id)
    today = local_today()
    out = []
    for pid, title, signed, reps, mine in rows:
        c = cosign_progress(signed, reps, facts.adults, facts.representatives, today)
        out.append(CosignMatter(id=pid, title=title, villagers=c.villagers, villagers_needed=c.villagers_needed,
                                representatives=c.representatives, representatives_needed=c.representatives_needed,
                                signed_by_me=bool(mine), href=f"/v/{slug}/proposals/{pid}"))
    return out


_NOTICES = (select(Notice.id, Notice.title, Notice.category, Notice.window_until)
            .where(Notice.village_id == bindparam("vid"), Notice.state == N.PUBLISHED,
                   Notice.window_from <= bindparam("now"), Notice.window_until > bindparam("now"))
            .order_by(Notice.window_until, Notice.id)
            .limit(NOTICES_SHOWN))


def _notices(session: Session, village_id: int, slug: str, now: datetime) -> list[WindowNotice]:
    rows = session.execute(_NOTICES, {"vid": village_id, "now": now}).all()
    return [WindowNotice(id=nid, title=title, category_name=N.CATEGORIES.get(cat, cat), window_until=until,
                         href=f"/v/{slug}/notices/{nid}") for nid, title, cat, until in rows]


def _replies_statements():
    me, vid, mine = bindparam("me"), bindparam("vid"), aliased(Comment)
    comments = (select(Comment.id, Comment.proposal_id, Comment.created_at, Proposal.title, User.name)
                .join(mine, and_(mine.id == Comment.parent_id, mine.author_id == me))
                .join(Proposal, Proposal.id == Comment.proposal_id)
                .join(User, User.id == Comment.author_id)
                .where(Comment.village_id == vid, Comment.author_id != me, Comment.hidden_at.is_(None))
                .order_by(Comment.created_at.desc(), Comment.id.desc())
                .limit(REPLIES_SHOWN))
    objections = (select(Objection.id, Objection.notice_id, Objection.replied_at, Notice.title)
                  .join(Notice, Notice.id == Objection.notice_id)
                  .where(Objection.village_id == vid, Objection.author_id == me, Objection.replied_at.is_not(None))
                  .order_by(Objection.replied_at.desc(), Objection.id.desc())
                  .limit(REPLIES_SHOWN))
    return comments, objections


_REPLY_COMMENTS, _REPLY_OBJECTIONS = _replies_statements()


def _replies(session: Session, actor: Actor, village_id: int, slug: str) -> list[Reply]:
    """The latest replies by others to my comments, and the latest answers to my objections."""
    params = {"me": actor.id, "vid": village_id}
    comment_rows = session.execute(_REPLY_COMMENTS, params).all()
    objection_rows = session.execute(_REPLY_OBJECTIONS, params).all()
    replies = [Reply(kind="comment", about=title, who=name, at=at, href=f"/v/{slug}/proposals/{pid}#c{cid}")
               for cid, pid, at, title, name in comment_rows]
    replies += [Reply(kind="objection", about=title, who=None, at=at, href=f"/v/{slug}/notices/{nid}#o{oid}")
                for oid, nid, at, title in objection_rows]
    replies.sort(key=lambda r: r.at, reverse=True)
    return replies[:REPLIES_SHOWN * 2]


_VOUCHER_COUNTS = (
    select(func.count(Voucher.id).filter(Voucher.state == B.DRAFT, Voucher.prepared_by != bindparam("me")),
           func.count(Voucher.id).filter(Voucher.state == B.REVIEWED),
           func.count(Voucher.id).filter(Voucher.state == B.DRAFT, Voucher.prepared_by == bindparam("me"),
                                         Voucher.review_note.is_not(None)))
    .where(Voucher.village_id == bindparam("vid")))
_BOOKS_CLOSED = (select(Ledger.first_period, func.max(AccountPeriod.period).filter(AccountPeriod.state == B.CLOSED))
                 .join(AccountPeriod, AccountPeriod.village_id == Ledger.village_id, isouter=True)
                 .where(Ledger.village_id == bindparam("vid")).group_by(Ledger.first_period))


def _book_tasks(session: Session, actor: Actor, village_id: int, slug: str) -> list[Task]:
    """The books' work: opening them while there are none; then vouchers to review and post for the
    committee, returned vouchers and months ended but not closed for the accountant (two queries)."""
    committee, accountant = COMMITTEE in actor.roles, ACCOUNTANT in actor.roles
    if not (committee or accountant):
        return []
    books_url = f"/v/{slug}/accounts"
    opened = session.execute(_BOOKS_CLOSED, {"vid": village_id}).one_or_none()
    if opened is None:  # no books yet: opening them is the work, and no voucher list to send anyone to
        return [Task("还没有建账", None, books_url)]
    drafts, reviewed, returned = session.execute(_VOUCHER_COUNTS, {"me": actor.id, "vid": village_id}).one()
    tasks = []
    if committee:
        tasks += [Task("待审核的凭证", drafts, f"{books_url}/vouchers?state=draft"),
                  Task("待记账的凭证", reviewed, f"{books_url}/vouchers?state=reviewed")]
    if returned:
        tasks.append(Task("被退回的凭证", returned, f"{books_url}/vouchers?state=draft"))
    first, last_closed = opened
    unclosed = B.unclosed_months(first, last_closed, B.period_of(local_today())) if first else 0
    if unclosed:
        tasks.append(Task("过完了还没结账的月份", unclosed, books_url))
    return tasks


_NOTICE_COUNTS = (select(func.count(Notice.id).filter(Notice.state == N.SUBMITTED),
                         func.count(Notice.id).filter(Notice.state == N.APPROVED),
                         func.count(Notice.id).filter(Notice.state == N.PUBLISHED,
                                                      Notice.window_until <= bindparam("now")))
                  .where(Notice.village_id == bindparam("vid")))


@lru_cache(maxsize=64)
def _waiting_statement(roles: frozenset[str]):
    """The count of matters at a stage these roles move, built once per set of roles (None: none)."""
    moved = P.states_moved_by(roles)
    if not moved:
        return None
    return select(func.count(Proposal.id)).where(Proposal.village_id == bindparam("vid"), proposals.in_states(moved))


def _village_tasks(session: Session, actor: Actor, village_id: int, slug: str) -> list[Task]:
    tasks: list[Task] = _book_tasks(session, actor, village_id, slug)
    committee = bool(actor.roles.intersection((COMMITTEE, PARTY_COMMITTEE)))
    supervisor = SUPERVISOR in actor.roles
    if not (committee or supervisor):
        return tasks
    submitted, approved, ended = session.execute(_NOTICE_COUNTS, {"vid": village_id, "now": utcnow()}).one()
    if supervisor:
        tasks.append(Task("待审核的公开", submitted, f"/v/{slug}/notices/manage"))
    if committee:
        stmt = _waiting_statement(frozenset(actor.roles))
        waiting = session.execute(stmt, {"vid": village_id}).scalar_one() if stmt is not None else 0
        tasks.append(Task("待村委会处理的事项", waiting, f"/v/{slug}/queue"))
        tasks.append(Task("待发布或可结束的公开", approved + ended, f"/v/{slug}/notices/manage"))
        tasks.append(Task("待确认的代录", assisted.pending_count(session, village_id), f"/v/{slug}/assisted"))
    return tasks


_TOWNSHIPS = (select(Township.id, Township.name).where(Township.id.in_(bindparam("ids", expanding=True)))
              .order_by(Township.name, Township.id))


def home(session: Session, actor: Actor | None) -> HomeView:
    """The logged-in person's home; a fixed number of queries (at most about fifteen)."""
    actor = require_login(actor)
    view = HomeView(name=actor.user.name, village_name=actor.village_name, village_slug=actor.village_slug)
    view.unread = notifications.unread_count(session, actor)
    if actor.village_id is not None and actor.village_slug is not None:
        vid, slug, now = actor.village_id, actor.village_slug, utcnow()
        view.votes = _open_votes(session, actor, vid, slug, now)
        view.cosigns = _cosigns(session, actor, vid, slug)
        view.notices = _notices(session, vid, slug, now)
        view.replies = _replies(session, actor, vid, slug)
        view.tasks = _village_tasks(session, actor, vid, slug)
    if actor.monitor_of:
        townships = session.execute(_TOWNSHIPS, {"ids": sorted(actor.monitor_of)}).all()
        view.tasks += [Task(f"{name} · 乡镇公开监督", None, f"/townships/{tid}/dashboard") for tid, name in townships]
    return view


def landing(session: Session, user: User) -> str:
    """Where a person lands after logging in: a township monitor who belongs to no village goes to
    the township's dashboard (the one, or the first of several); everyone else to 我的待办."""
    member = session.execute(select(Membership.id).where(Membership.user_id == user.id)).first()
    if member is None:
        township = session.execute(select(TownshipMonitor.township_id).where(TownshipMonitor.user_id == user.id)
                                   .order_by(TownshipMonitor.township_id).limit(1)).scalar_one_or_none()
        if township is not None:
            return f"/townships/{township}/dashboard"
    return "/me"
