"""Councils (议事机构): the bodies a village votes in, who may vote in each on a given day, and the
rule (quorum, passing, citation) each applies; setting one up and retiring it; the council pages.

A council's members are not stored but derived on the day (roles, age, villager group), except for a
custom body (村民理事会 and the like), whose members the committee names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from sqlalchemy import func, literal, select, union_all
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.domain import rulebook as R
from app.domain import text as text_rules
from app.domain.people import adult_born_on_or_before
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, PARTY_MEMBER, REPRESENTATIVE, VILLAGER
from app.models import (
    Council,
    CouncilMember,
    Household,
    MemberRole,
    Membership,
    User,
    Village,
    VillagerGroup,
    VoteSession,
)
from app.services import audit, places
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, NotFound, invalid_fields

# Who sets up and retires councils.
FOUNDERS = (COMMITTEE,)


def council_rule(council: Council, day: date) -> R.CouncilRule:
    """The council's rule under the law in force on `day` (the decision's date, Beijing calendar)."""
    if council.kind == R.CUSTOM:
        return R.custom_rule(council.name, Fraction(council.quorum_num or 1, council.quorum_den or 2),
                             council.quorum_inclusive, Fraction(council.pass_num or 1, council.pass_den or 2),
                             council.pass_inclusive)
    return R.rule_for(council.kind, day)


@dataclass(frozen=True)
class RuleText:
    """A rule as the pages word it."""

    quorum: str
    passing: str
    citation: str
    summary: str


def rule_text(rule: R.CouncilRule) -> RuleText:
    return RuleText(quorum=rule.quorum_text, passing=f"{rule.passing_text}同意", citation=rule.citation,
                    summary=f"{rule.citation}：{rule.passing_text}同意")


def eligible(council: Council, on: date):
    """SELECT (user_id, household_id) of those who may vote in `council` on day `on`."""
    adult = User.birth_date <= adult_born_on_or_before(on)
    base = (
        select(Membership.user_id, Membership.household_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.village_id == council.village_id, User.status != "disabled")
    )

    def with_role(*roles: str):
        return base.where(
            select(MemberRole.membership_id)
            .where(MemberRole.membership_id == Membership.id, MemberRole.role.in_(roles))
            .exists()
        )

    if council.kind == R.ASSEMBLY:
        return with_role(VILLAGER).where(adult)
    if council.kind == R.GROUP:
        return with_role(VILLAGER).where(adult, Membership.group_id == council.group_id)
    if council.kind == R.REPRESENTATIVES:
        return with_role(REPRESENTATIVE).where(adult)
    if council.kind == R.PARTY:
        return with_role(PARTY_MEMBER).where(adult)
    if council.kind == R.JOINT:
        return with_role(COMMITTEE, PARTY_COMMITTEE).where(adult)
    return base.where(adult, Membership.user_id.in_(
        select(CouncilMember.user_id).where(CouncilMember.council_id == council.id)))


@dataclass
class CouncilView:
    council: Council
    members: int
    # the rule shown is the one in force on this day (today, by the Beijing calendar)
    day: date = field(default_factory=lambda: clock.local_today())

    @property
    def kind_name(self) -> str:
        return R.COUNCIL_KINDS[self.council.kind]

    @property
    def rule(self) -> R.CouncilRule:
        return council_rule(self.council, self.day)

    @property
    def rule_text(self) -> RuleText:
        return rule_text(self.rule)


@dataclass(frozen=True)
class CouncilCaps:
    """What a viewer may do with a village's councils (the service checks again when they act)."""

    create: bool
    archive: bool


def capabilities(actor: Actor, village: Village, council: Council | None = None) -> CouncilCaps:
    founder = actor.has(village.id, *FOUNDERS)
    return CouncilCaps(create=founder, archive=founder and council is not None and council.archived_at is None)


def list_councils(session: Session, actor: Actor | None, village: Village) -> list[CouncilView]:
    require(actor, village, monitor=True)
    councils = list(session.execute(
        select(Council).where(Council.village_id == village.id, Council.archived_at.is_(None)).order_by(Council.id)
    ).scalars())
    if not councils:
        return []
    # Each body's members are a different query; their counts come back in one round trip.
    today = clock.local_today()
    counts = union_all(*(
        select(literal(c.id).label("council_id"), func.count().label("members"))
        .select_from(eligible(c, today).subquery()) for c in councils
    ))
    members = dict(session.execute(counts).all())
    return [CouncilView(c, members.get(c.id, 0)) for c in councils]


def get_council(session: Session, actor: Actor | None, council_id: int) -> tuple[Council, Village]:
    council = session.get(Council, council_id)
    if council is None:
        raise NotFound("找不到这个议事机构")
    village = places.get_village(session, council.village_id)
    require(actor, village, monitor=True)
    return council, village


def find_council(session: Session, actor: Actor | None, slug: str, council_id: int) -> tuple[Council, Village]:
    """A council found under its own village only (404 under any other)."""
    council, village = get_council(session, actor, council_id)
    if village.slug != slug:
        raise NotFound("找不到这个议事机构")
    return council, village


def founding_in(session: Session, actor: Actor | None, slug: str) -> Village:
    """The village whose committee is setting up a council (403 to anyone else)."""
    village = places.get_village_by_slug(session, slug)
    require(actor, village, *FOUNDERS)
    return village


def council_members(session: Session, council: Council, on: date | None = None) -> list[tuple[int, str]]:
    rows = session.execute(
        select(User.id, User.name).where(User.id.in_(
            select(eligible(council, on or clock.local_today()).subquery().c.user_id))).order_by(User.name)
    ).all()
    return [(r[0], r[1]) for r in rows]


def view_of(session: Session, council: Council) -> CouncilView:
    """A council with how many may vote in it today."""
    return CouncilView(council, len(council_members(session, council)))


@dataclass
class CouncilDetail:
    view: CouncilView
    people: list[tuple[int, str]]  # who may vote in it today


def council_detail(session: Session, actor: Actor | None, council_id: int) -> CouncilDetail:
    """A council and who may vote in it today (village members, monitors and admins only)."""
    council, _ = get_council(session, actor, council_id)
    people = council_members(session, council)
    return CouncilDetail(CouncilView(council, len(people)), people)


def create_council(
    session: Session, actor: Actor | None, village: Village, *, kind: str, name: str,
    group_id: int | None = None, member_ids: list[int] | None = None,
    quorum: tuple[int, int, bool] | None = None, passing: tuple[int, int, bool] | None = None,
) -> Council:
    actor = require(actor, village, *FOUNDERS)
    errors: dict[str, str] = {}
    if kind not in R.COUNCIL_KINDS:
        errors["kind"] = "请选择议事机构的类别"
    name = (name or "").strip() or R.COUNCIL_KINDS.get(kind, "")
    if len(name) > 50:
        errors["name"] = "名称最多 50 个字"
    elif reason := text_rules.problem(name, multiline=False, required=True):
        errors["name"] = "名称" + reason
    if kind == R.GROUP:
        group = session.get(VillagerGroup, group_id) if group_id else None
        if group is None or group.village_id != village.id:
            errors["group_id"] = "请选择本村的村民小组"
    if kind == R.CUSTOM:
        for label, value in (("quorum", quorum), ("passing", passing)):
            if value is None or not (0 < value[0] <= value[1] <= 100):
                errors[label] = "请填写有效的比例，如 2/3"
        if not member_ids:
            errors["member_ids"] = "请选择组成人员"
    if errors:
        raise invalid_fields(errors)
    council = Council(village_id=village.id, kind=kind, name=name, group_id=group_id if kind == R.GROUP else None)
    if kind == R.CUSTOM:
        council.quorum_num, council.quorum_den, council.quorum_inclusive = quorum
        council.pass_num, council.pass_den, council.pass_inclusive = passing
    session.add(council)
    session.flush()
    if kind == R.CUSTOM:
        valid = set(session.execute(select(Membership.user_id).where(
            Membership.village_id == village.id, Membership.user_id.in_(member_ids))).scalars())
        if valid != set(member_ids):
            session.rollback()
            raise Invalid("组成人员必须是本村村民", field="member_ids")
        session.add_all([CouncilMember(council_id=council.id, user_id=u) for u in sorted(valid)])
    audit.record(session, village_id=village.id, actor_id=actor.id, action="council.create", entity="council",
                 entity_id=council.id, data={"kind": kind, "name": name, "members": sorted(member_ids or [])})
    session.commit()
    return council


def archive_council(session: Session, actor: Actor | None, council_id: int) -> Council:
    """Retire a body (e.g. a 理事会 whose term ended). Its past votes stay as they were; a body
    with a vote not yet closed cannot be retired."""
    council, village = get_council(session, actor, council_id)
    actor = require(actor, village, *FOUNDERS)
    if council.archived_at is not None:
        raise Conflict("这个议事机构已经撤销了")
    pending = session.execute(select(VoteSession.id).where(
        VoteSession.council_id == council.id, VoteSession.state != "closed").limit(1)).first()
    if pending is not None:
        raise Conflict("这个议事机构还有未结束的表决，不能撤销")
    council.archived_at = utcnow()
    session.add(council)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="council.archive", entity="council",
                 entity_id=council.id, data={"name": council.name})
    session.commit()
    return council


# --- the council pages ------------------------------------------------------------------------

@dataclass
class Person:
    id: int
    name: str
    household: str | None = None


@dataclass
class CouncilsPage:
    village: Village
    councils: list[CouncilView]
    kinds: dict[str, str]
    kind_rules: dict[str, RuleText]
    can_create: bool
    groups: list[VillagerGroup]  # for a villager group meeting (only for those who may create)
    people: list[Person]  # for a custom body's members (only for those who may create)


def _village_people(session: Session, village: Village) -> list[Person]:
    """Everyone registered in the village, for picking a custom council's members."""
    rows = session.execute(
        select(User.id, User.name, Household.number)
        .join(Membership, Membership.user_id == User.id)
        .join(Household, Household.id == Membership.household_id, isouter=True)
        .where(Membership.village_id == village.id, User.status != "disabled")
        .order_by(Household.number, User.name, User.id)
    ).all()
    return [Person(*row) for row in rows]


def _groups(session: Session, village: Village) -> list[VillagerGroup]:
    return list(session.execute(select(VillagerGroup).where(VillagerGroup.village_id == village.id)
                                .order_by(VillagerGroup.name)).scalars())


def councils_page(session: Session, actor: Actor, village: Village | str) -> CouncilsPage:
    """The village's councils and, for the committee, what the form to set one up offers."""
    if isinstance(village, str):
        village = places.get_village_by_slug(session, village)
    require(actor, village, monitor=True)
    can_create = capabilities(actor, village).create
    return CouncilsPage(
        village=village,
        councils=list_councils(session, actor, village),
        kinds=R.COUNCIL_KINDS,
        kind_rules={k: rule_text(r) for k, r in R.rules_on(clock.local_today()).items()},
        can_create=can_create,
        groups=_groups(session, village) if can_create else [],
        people=_village_people(session, village) if can_create else [],
    )


@dataclass
class CouncilPage:
    village: Village
    council: Council
    kind_name: str
    group: VillagerGroup | None
    rule: RuleText
    members: list[tuple[int, str]]
    can_archive: bool


def council_page(session: Session, actor: Actor, slug: str, council_id: int) -> CouncilPage:
    council, village = find_council(session, actor, slug, council_id)
    return CouncilPage(
        village=village,
        council=council,
        kind_name=R.COUNCIL_KINDS.get(council.kind, council.kind),
        group=session.get(VillagerGroup, council.group_id) if council.group_id else None,
        rule=rule_text(council_rule(council, clock.local_today())),
        members=council_members(session, council),
        can_archive=capabilities(actor, village, council).archive,
    )
