"""The notice board and the lists around it: the public board (the village home), the Atom feed's
items, the village's notice list and working queue, and the publication calendar (村务至少每季度、
财务至少每月公开一次).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, Select, and_, bindparam, func, or_, select
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.domain import notices as N
from app.domain.calendar import SHANGHAI
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR
from app.models import Notice, Township, Village
from app.services import notices, places
from app.services.access import Actor, require
from app.services.errors import Invalid
from app.services.pagination import Page, clamp, count_cap, counted_page, paginate

WORKING = (N.DRAFT, N.SUBMITTED, N.APPROVED)


# --- the public board ---------------------------------------------------------------------------

ARCHIVE_LOOK_AHEAD = 10  # the archive's pager counts ten pages past the one shown ("200 条以上")
CURRENT_MAX = 50  # notices in their window shown at most (a village publishes a few a month)

# What a board row shows (templates/home/village.html), never the body: read as plain rows. Every row:
# its link, title, category and kind; a notice in its window also its window, one in the archive its day
# of publication. Which rows have a public correction is asked of the shown rows afterwards
# (`superseded_ids`): asked inside the limited statement, PostgreSQL hashes every public notice of the
# village for it.
ROW = (Notice.id, Notice.category, Notice.kind, Notice.title)
CURRENT_ROW = (*ROW, Notice.window_from, Notice.window_until)
ARCHIVE_ROW = (*ROW, Notice.published_at)


@dataclass(frozen=True)
class _BoardStatements:
    current: Select
    counted: Select
    page: Select


def _board_statements(by_category: bool) -> _BoardStatements:
    """The board's three statements, built once for all requests (the village home is the page every
    villager and every QR code opens): bound to the village (`vid`), the time (`now`), the category
    (`category`), and the archive's page (`skip`, `per_page`) and count cap (`cap`)."""
    now = bindparam("now")
    where = [Notice.village_id == bindparam("vid"), notices.is_visible(Notice.state)]
    if by_category:
        where.append(Notice.category == bindparam("category"))
    current = (select(*CURRENT_ROW).where(*where, Notice.state == N.PUBLISHED, Notice.window_until > now)
               .order_by(Notice.published_at.desc()).limit(CURRENT_MAX))
    in_archive = or_(Notice.state == N.CLOSED, Notice.window_until <= now)
    counted = select(func.count()).select_from(
        select(Notice.id).where(*where, in_archive).limit(bindparam("cap")).subquery())
    page = (select(*ARCHIVE_ROW).where(*where, in_archive).order_by(Notice.published_at.desc(), Notice.id.desc())
            .limit(bindparam("per_page")).offset(bindparam("skip")))
    return _BoardStatements(current, counted, page)


_BOARD = {False: _board_statements(False), True: _board_statements(True)}
_SUPERSEDED = select(Notice.supersedes_id).where(Notice.supersedes_id.in_(bindparam("ids", expanding=True)),
                                                 notices.is_visible(Notice.state))


@dataclass
class BoardPage:
    current: list[Row]
    archive: Page[Row]


def board(session: Session, village: Village, category: str | None, page: int = 1, per_page: int = 20
          ) -> BoardPage:
    """The public board: notices in their window first, then the archive, newest first, as rows of
    `ROW`. Three queries, each served by an index, and the archive counted only `ARCHIVE_LOOK_AHEAD`
    pages ahead, so the board costs the same at 50 notices and at 50,000."""
    if category is not None and category not in N.CATEGORIES:
        raise Invalid("没有这个公开类别", field="category")
    page, per_page = clamp(page, per_page)
    stmts = _BOARD[category is not None]
    cap = count_cap(page, per_page, ARCHIVE_LOOK_AHEAD)
    params = {"vid": village.id, "now": utcnow(), "category": category, "cap": cap + 1,
              "per_page": per_page, "skip": (page - 1) * per_page}
    conn = session.connection()
    current = conn.execute(stmts.current, params).all()
    total = conn.execute(stmts.counted, params).scalar_one()
    items = conn.execute(stmts.page, params).all()
    return BoardPage(current, counted_page(items, total, page, per_page, cap))


def superseded_ids(session: Session, ids: list[int]) -> set[int]:
    """Which of these notices have a published correction (one query for a whole list)."""
    if not ids:
        return set()
    return set(session.connection().execute(_SUPERSEDED, {"ids": ids}).scalars())


@dataclass
class BoardView:
    """The village home: its facts, the notices in their window, the archive, which are corrected."""

    village: Village
    township: Township
    facts: places.VillageFacts
    current: list[Row]
    archive: Page[Row]
    superseded: set[int]
    is_member: bool
    my_roles: list[str] = field(default_factory=list)


def board_view(session: Session, actor: Actor | None, village: Village, category: str | None, *, page: int = 1,
               per_page: int = 20) -> BoardView:
    township = places.get_township(session, village.township_id)
    result = board(session, village, category, page=page, per_page=per_page)
    marked = superseded_ids(session, [n.id for n in result.current] + [n.id for n in result.archive.items])
    facts = places.facts(session, village.id)
    is_member = actor is not None and actor.is_member(village.id)
    return BoardView(village, township, facts, result.current, result.archive, marked, is_member,
                     sorted(actor.roles) if is_member and actor else [])


def feed(session: Session, village: Village, limit: int = 50) -> list[Notice]:
    return list(session.execute(select(Notice).where(Notice.village_id == village.id, notices.is_visible(Notice.state))
                                .order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)).scalars())


# --- HTTP validators of the public pages ------------------------------------------------------

def _stamp_statements():
    """The validator's one statement, built once (a revalidation is the hot path of a QR-scan storm),
    without and with a notice's own row: bound to the village (`vid`), the time (`now`) and the notice
    (`nid`)."""
    vid, now = bindparam("vid"), bindparam("now")

    def latest(state: str):
        return (select(func.max(Notice.updated_at))
                .where(Notice.village_id == vid, Notice.state == state).scalar_subquery())

    next_end = (select(func.min(Notice.window_until))
                .where(Notice.village_id == vid, Notice.state == N.PUBLISHED, Notice.window_until > now)
                .scalar_subquery())
    columns = [latest(N.PUBLISHED), latest(N.CLOSED), next_end]
    own = (select(Notice.updated_at).where(Notice.id == bindparam("nid"), Notice.village_id == vid,
                                           notices.is_visible(Notice.state)).scalar_subquery())
    return select(*columns), select(*columns, own)


_STAMP, _STAMP_OF_NOTICE = _stamp_statements()


def publication_stamp(session: Session, village: Village, *parts: object, notice_id: int | None = None
                      ) -> str | None:
    """A validator (ETag value) of the village's public pages, from its latest publication state, in
    one statement that reads indexes only: the last change of a published and of a closed notice
    (every state change sets `updated_at`; the max of each comes from ix_notice_village_state without a
    scan), and the next end of a window (when a notice moves from the current list to the archive).
    With `notice_id`: None unless that notice is public in this village. `parts` are the page's own
    parameters. The hour is in it too, so the head counts and a print sheet's time are at most an hour old."""
    now = utcnow()
    if notice_id is None:
        row = tuple(session.execute(_STAMP, {"vid": village.id, "now": now}).one())
    else:
        row = tuple(session.execute(_STAMP_OF_NOTICE, {"vid": village.id, "now": now, "nid": notice_id}).one())
        if row[-1] is None:
            return None
    key = repr((village.id, village.name, village.slug, now.strftime("%Y%m%d%H"), row, parts))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


# --- the village's lists --------------------------------------------------------------------------

def list_notices(session: Session, actor: Actor | None, village: Village, *, category: str | None = None,
                 state: str | None = None, page: int = 1, per_page: int = 20) -> Page[Notice]:
    """One page of a village's notices (two queries). Published and closed ones are public, newest
    first; drafts and those in review (`state` draft / submitted / approved) only for the people who
    handle their category, the township's monitors and admins, most recently changed first."""
    if category is not None and category not in N.CATEGORIES:
        raise Invalid("没有这个公开类别", field="category")
    if state is not None and state not in N.STATE_NAMES:
        raise Invalid("没有这个状态", field="state")
    stmt = select(Notice).where(Notice.village_id == village.id)
    if category:
        stmt = stmt.where(Notice.category == category)
    if state in WORKING:
        staff = sorted({r for cat in N.CATEGORIES for r in notices.staff_roles(cat)})
        actor = require(actor, village, *staff, monitor=True)
        if not actor.is_admin and not actor.monitors(village):
            mine = [cat for cat in N.CATEGORIES if actor.roles.intersection(notices.staff_roles(cat))]
            stmt = stmt.where(Notice.category.in_(mine))
        stmt = stmt.where(Notice.state == state).order_by(Notice.updated_at.desc(), Notice.id.desc())
    else:
        stmt = stmt.where(Notice.state == state if state else notices.is_visible(Notice.state))
        stmt = stmt.order_by(Notice.published_at.desc(), Notice.id.desc())
    return paginate(session, stmt, page, per_page)


def work_queue(session: Session, actor: Actor | None, village: Village) -> dict[str, list[Notice]]:
    """What waits for this person: drafts to finish, notices to review, approved ones to publish,
    published ones whose window ended and can be closed."""
    actor = require(actor, village, *sorted({r for roles in N.DRAFTERS.values() for r in roles} | {SUPERVISOR}))
    rows = list(session.execute(select(Notice).where(
        Notice.village_id == village.id,
        or_(Notice.state.in_((N.DRAFT, N.SUBMITTED, N.APPROVED)),
            and_(Notice.state == N.PUBLISHED, Notice.window_until <= utcnow())))
        .order_by(Notice.updated_at.desc()).limit(200)).scalars())
    roles = set(actor.roles) if not actor.is_admin else {COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, "accountant"}
    out: dict[str, list[Notice]] = {"drafts": [], "review": [], "publish": [], "close": []}
    for n in rows:
        if n.state == N.DRAFT and roles.intersection(N.DRAFTERS[n.category]):
            out["drafts"].append(n)
        elif n.state == N.SUBMITTED and SUPERVISOR in roles:
            out["review"].append(n)
        elif n.state == N.APPROVED and roles.intersection(N.PUBLISHERS[n.category]):
            out["publish"].append(n)
        elif n.state == N.PUBLISHED and roles.intersection(N.PUBLISHERS[n.category]):
            out["close"].append(n)
    return out


@dataclass
class ManageView:
    """The working page: the queue, whether this person may start a notice, the calendar."""

    queue: dict[str, list[Notice]]
    can_draft: bool
    calendar: list[N.Compliance]


def manage_view(session: Session, actor: Actor | None, village: Village) -> ManageView:
    queue = work_queue(session, actor, village)
    return ManageView(queue, bool(notices.draftable_categories(actor, village)), calendar(session, village))


# --- the publication calendar -------------------------------------------------------------------

def compliance_of(village: Village, last: dict[str, datetime | None]) -> list[N.Compliance]:
    """Each category's calendar for a village, from the last publication of each."""
    limits = {**N.DEFAULT_CALENDAR_MONTHS, **((village.settings or {}).get("notice_calendar") or {})}
    today = clock.local_today()

    def local(moment):  # dates on the Beijing calendar, like `today` (the columns hold UTC)
        return moment.astimezone(SHANGHAI).date() if moment else None

    return [N.compliance(cat, local(last.get(cat)), today, int(months), local(village.created_at))
            for cat, months in limits.items()]


def counts_toward_calendar():
    """A finance notice meets the monthly calendar only if it names the accounting month it publishes
    (as the one drawn from the books does); any published party or village notice meets its own."""
    return or_(Notice.category != N.FINANCE, Notice.period.is_not(None))


def calendar(session: Session, village: Village) -> list[N.Compliance]:
    """Village affairs at least quarterly, finance at least monthly: the last publication of each, in SQL."""
    last = dict(session.execute(
        select(Notice.category, func.max(Notice.published_at))
        .where(Notice.village_id == village.id, notices.is_visible(Notice.state), counts_toward_calendar())
        .group_by(Notice.category)).all())
    return compliance_of(village, last)


def village_calendar(session: Session, actor: Actor | None, village: Village) -> list[N.Compliance]:
    """The calendar for the committee, the supervisory committee and the township's monitors."""
    require(actor, village, COMMITTEE, SUPERVISOR, monitor=True)
    return calendar(session, village)
