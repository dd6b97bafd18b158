"""Who is acting, and the one permission rule every use case applies.

Rule: an admin may do anything; a member acts in their own village with the roles they hold;
a township monitor reads (and audits) the villages of their township. Outside that scope an
object does not exist for the actor (404), so villages cannot probe each other; inside it, a
missing role is a 403 that names the role needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import String, cast, func, literal_column, select
from sqlmodel import Session

from app.domain.roles import ACCOUNTANT, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, VILLAGE_ROLES
from app.models import MemberRole, Membership, TownshipMonitor, User, Village
from app.services.errors import Forbidden, NotFound, Unauthorized


@dataclass(slots=True)
class Me:
    """A logged-in person as a request sees them, read with their session (`auth.caller`): the account's
    columns that pages and services read, not its password hash. Not an ORM object: a change to the
    account goes through a service, which loads or updates the row itself."""

    id: int
    name: str
    phone: str
    status: str
    is_admin: bool
    large_type: bool
    birth_date: date | None
    gender: str | None


ME_COLUMNS = (User.id, User.name, User.phone, User.status, User.is_admin, User.large_type, User.birth_date,
              User.gender)


@dataclass(frozen=True)
class Actor:
    user: User | Me
    village_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    monitor_of: frozenset[int] = field(default_factory=frozenset)
    village_slug: str | None = None
    village_name: str | None = None

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    def has(self, village_id: int, *roles: str) -> bool:
        if self.is_admin:
            return True
        return self.village_id == village_id and bool(self.roles.intersection(roles))

    def is_member(self, village_id: int) -> bool:
        return self.village_id == village_id

    def monitors(self, village: Village) -> bool:
        return village.township_id in self.monitor_of


# The lists' separator written into the SQL: given as a string, SQLAlchemy renders it into the statement
# afresh at every execution (a "literal execute" parameter), which cost the caller's lookup a fifth of
# its time.
COMMA = literal_column("','")


def actor_columns(user_id):
    """The columns that make a user an `Actor`, for a query that has the user's id as a column: village,
    its slug and name (a person belongs to at most one village), the roles held there and the townships
    monitored, each list as one comma-joined string (None when empty)."""
    roles = (select(func.aggregate_strings(MemberRole.role, COMMA))
             .where(MemberRole.membership_id == Membership.id).scalar_subquery())
    monitors = (select(func.aggregate_strings(cast(TownshipMonitor.township_id, String), COMMA))
                .where(TownshipMonitor.user_id == user_id).scalar_subquery())
    return Membership.village_id, Village.slug, Village.name, roles, monitors


def with_actor(stmt, user_id):
    """`stmt` (selecting from the user's table or a table holding user_id) with the actor's columns
    added and their tables left-joined."""
    return (stmt.add_columns(*actor_columns(user_id))
            .outerjoin(Membership, Membership.user_id == user_id)
            .outerjoin(Village, Village.id == Membership.village_id))


def actor_of(user: User | Me, village_id, slug, name, roles, monitors) -> Actor:
    """An `Actor` from the columns of `actor_columns`."""
    return Actor(user=user, village_id=village_id, village_slug=slug, village_name=name,
                 roles=frozenset(roles.split(",")) if roles else frozenset(),
                 monitor_of=frozenset(int(t) for t in monitors.split(",")) if monitors else frozenset())


def load_actor(session: Session, user: User) -> Actor:
    """The user as services know them: one query for village, roles and monitored townships."""
    row = session.execute(with_actor(select(User.id), User.id).where(User.id == user.id)).one()
    return actor_of(user, *row[1:])


def require_login(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthorized("请先登录")
    return actor


def insider(actor: Actor | None, village: Village) -> bool:
    """The village's members, its township's monitors and admins: they see what the village keeps to
    itself (every vote, not only closed ones; sub-accounts; receipt images unless made public)."""
    return actor is not None and (actor.is_admin or actor.is_member(village.id) or actor.monitors(village))


def require(
    actor: Actor | None,
    village: Village,
    *roles: str,
    monitor: bool = False,
) -> Actor:
    """Allow the actor to act on `village` with one of `roles` (any member when none named).

    `monitor=True` also lets the township's monitors in (for reading and auditing); without it
    they get a 403, since they can see the village anyway.
    """
    actor = require_login(actor)
    if actor.is_admin:
        return actor
    if actor.is_member(village.id):
        if not roles or actor.roles.intersection(roles):
            return actor
        if monitor and actor.monitors(village):
            return actor
        raise Forbidden(_needed(roles))
    if actor.monitors(village):
        if monitor:
            return actor
        # The village is visible to its township's monitors: refuse the act, do not hide the village.
        raise Forbidden(_needed(roles) if roles else "这项操作只有本村村民可以做")
    raise NotFound("找不到这个村")


def _needed(roles: tuple[str, ...]) -> str:
    return f"这项操作需要{'或'.join(VILLAGE_ROLES[r] for r in roles)}身份"


def require_admin(actor: Actor | None) -> Actor:
    actor = require_login(actor)
    if not actor.is_admin:
        raise Forbidden("这项操作需要系统管理员身份")
    return actor


# The pages of a village and who is shown a link to them (the pages check again on the server).
_ANY_MEMBER = "member"
_VILLAGE_PAGES: list[tuple[str, str, tuple[str, ...], bool]] = [
    # (path under /v/{slug}/, label, roles that see it — _ANY_MEMBER for every member —, monitors too)
    ("proposals", "议事", (_ANY_MEMBER,), True),
    ("councils", "表决机构", (_ANY_MEMBER,), True),
    ("meetings", "会议", (_ANY_MEMBER,), True),
    ("petitions", "提议召开会议", (_ANY_MEMBER,), True),
    ("queue", "待办", (COMMITTEE, PARTY_COMMITTEE), False),
    ("settings", "设置", (COMMITTEE,), False),
    ("members", "村民名册", (COMMITTEE, SUPERVISOR), True),
    ("roster", "导入名册", (COMMITTEE,), False),
    ("audit", "审计记录", (_ANY_MEMBER,), True),
    ("notices/manage", "公开管理", (COMMITTEE, PARTY_COMMITTEE, ACCOUNTANT, SUPERVISOR), False),
    ("accounts", "账务", (_ANY_MEMBER,), True),
    ("objections", "质询", (COMMITTEE, PARTY_COMMITTEE, SUPERVISOR), True),
    ("assisted", "代录", (COMMITTEE, SUPERVISOR), True),  # for villagers without a phone (代办)
]


def opens_page(actor: Actor | None, village: Village, path: str) -> bool:
    """Whether this person is shown links to the village page at `path` (under /v/{slug}/: a page of the
    menu's list, or a page under one, "members/7" under the roll). Pages not under the list are for
    whoever the page itself lets in."""
    section = path.split("/", 1)[0]
    for page, _label, roles, monitors in _VILLAGE_PAGES:
        if page in (path, section):
            if actor is None:
                return False
            member_ok = actor.is_member(village.id) and (_ANY_MEMBER in roles or actor.roles.intersection(roles))
            return actor.is_admin or bool(member_ok) or (monitors and actor.monitors(village))
    return True


def village_links(actor: Actor | None, village: Village) -> list[tuple[str, str]]:
    """(href, label) of the village pages this person may open, in menu order."""
    links = [(f"/v/{village.slug}/", "公开栏"), (f"/v/{village.slug}/charter", "村规民约")]
    if actor is None:
        return links
    for path, label, _roles, _monitors in _VILLAGE_PAGES:
        if opens_page(actor, village, path):
            links.append((f"/v/{village.slug}/{path}", label))
    if actor.is_admin or actor.monitors(village):
        links.append((f"/townships/{village.township_id}/dashboard", "乡镇公开监督"))
    return links
