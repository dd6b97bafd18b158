"""Village members: the committee's list, adding and editing members, activation codes.

`upsert_member` is the single place a person enters or changes in a village; the roster import
and the add-member form both go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlmodel import Session

from app import clock
from app.config import Settings
from app.domain import text as text_rules
from app.domain.people import birth_date_problem, is_valid_phone, mask_phone, normalize_phone
from app.domain.roles import COMMITTEE, SUPERVISOR, VILLAGE_ROLES, VILLAGER
from app.models import (
    Household,
    MemberRole,
    Membership,
    TownshipMonitor,
    User,
    Village,
    VillagerGroup,
)
from app.services import audit, auth, supervision
from app.services.access import Actor, require
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, invalid_fields
from app.services.pagination import Page, clamp, paginate

# Who may see full phone numbers and manage members.
MANAGERS = (COMMITTEE,)


# Fields of a member event the chain carries only as salted commitments (services/audit.record).
PERSONAL = ("name", "phone", "household", "group", "birth_date", "gender")


def may_manage(actor: Actor | None, village: Village) -> bool:
    """Whether the member pages show the committee's buttons (add, change roles)."""
    return actor is not None and actor.has(village.id, *MANAGERS)


def require_manager(actor: Actor | None, village: Village) -> Actor:
    """Registering and changing members is the village committee's (before any form is shown)."""
    return require(actor, village, *MANAGERS)


@dataclass
class MemberIn:
    """A person as the committee describes them (roster row or form)."""

    name: str
    phone: str
    birth_date: date | None = None
    gender: str | None = None
    household: str | None = None
    group: str | None = None
    roles: list[str] = field(default_factory=lambda: [VILLAGER])
    household_head: bool = False


@dataclass
class MemberView:
    user_id: int
    name: str
    phone: str
    birth_date: date | None
    gender: str | None
    status: str
    household: str | None
    group: str | None
    roles: list[str]
    joined_at: datetime
    # for the committee: a supervisor who is on the committee or in a committee member's household
    warnings: list[str] = field(default_factory=list)

    @property
    def role_names(self) -> list[str]:
        return [VILLAGE_ROLES[r] for r in self.roles]


@dataclass
class Upserted:
    user: User
    membership: Membership
    created: bool
    code: str | None = None
    code_expires_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)


def _group(session: Session, village_id: int, name: str | None, cache: dict) -> VillagerGroup | None:
    if not name:
        return None
    key = ("group", name)
    if key not in cache:
        group = session.execute(
            select(VillagerGroup).where(VillagerGroup.village_id == village_id, VillagerGroup.name == name)
        ).scalar_one_or_none()
        if group is None:
            group = VillagerGroup(village_id=village_id, name=name)
            session.add(group)
            session.flush()
        cache[key] = group
    return cache[key]


def _household(
    session: Session, village_id: int, number: str | None, group: VillagerGroup | None, cache: dict
) -> Household | None:
    if not number:
        return None
    key = ("household", number)
    if key not in cache:
        household = session.execute(
            select(Household).where(Household.village_id == village_id, Household.number == number)
        ).scalar_one_or_none()
        if household is None:
            household = Household(village_id=village_id, number=number, group_id=group.id if group else None)
            session.add(household)
            session.flush()
        cache[key] = household
    household = cache[key]
    if group is not None and household.group_id is None:
        household.group_id = group.id
    return household


def upsert_member(
    session: Session,
    settings: Settings,
    actor: Actor,
    village: Village,
    data: MemberIn,
    *,
    cache: dict | None = None,
    source: str = "form",
) -> Upserted:
    """Create or update one member of `village`; new people get an activation code. No commit."""
    cache = {} if cache is None else cache
    phone = normalize_phone(data.phone)
    if not is_valid_phone(phone):
        raise Invalid("手机号应为 11 位数字，以 1 开头", field="phone")
    name = (data.name or "").strip()
    if not name:
        raise Invalid("请填写姓名", field="name")
    errors = text_rules.problems({"name": ("姓名", name), "household": ("户号", data.household),
                            "group": ("村民小组", data.group)}, required=frozenset({"name"}))
    if birth := birth_date_problem(data.birth_date, clock.local_today()):
        errors["birth_date"] = birth
    if errors:
        raise invalid_fields(errors)
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    membership = None
    if user is not None:
        membership = session.execute(select(Membership).where(Membership.user_id == user.id)).scalar_one_or_none()
        if membership is not None and membership.village_id != village.id:
            raise Conflict("这个手机号已登记为其他村的村民", field="phone")
        if membership is None and not actor.is_admin and _privileged(session, user):
            # enrolling it would let the committee rename it and reset its password with a code
            raise Conflict("这个手机号是系统管理员或乡镇监督员的账号，村委会不能登记；请联系系统管理员",
                           field="phone")
    created = membership is None
    if user is None:
        user = User(name=name, phone=phone, status="pending")
        session.add(user)
    user.name = name
    if data.birth_date is not None:
        user.birth_date = data.birth_date
    if data.gender is not None:
        user.gender = data.gender
    session.flush()
    group = _group(session, village.id, data.group, cache)
    household = _household(session, village.id, data.household, group, cache)
    if membership is None:
        membership = Membership(village_id=village.id, user_id=user.id)
        session.add(membership)
    membership.household_id = household.id if household else membership.household_id
    membership.group_id = group.id if group else (household.group_id if household else membership.group_id)
    session.flush()
    if household is not None and (data.household_head or household.representative_id is None):
        household.representative_id = user.id
    old_roles = _set_roles(session, membership, data.roles)
    result = Upserted(user=user, membership=membership, created=created)
    if created and user.password_hash is None:
        result.code, row = auth.issue_code(session, settings, user, village.id, actor.id)
        result.code_expires_at = row.expires_at
    audit.record(
        session,
        village_id=village.id,
        actor_id=actor.id,
        action="member.create" if created else "member.update",
        entity="user",
        entity_id=user.id,
        data={
            "roles": sorted(set(data.roles) | {VILLAGER}),
            "previous_roles": old_roles,
            "source": source,
        },
        private={"name": name, "phone": mask_phone(phone), "household": data.household, "group": data.group},
    )
    result.warnings = supervision.check_assignment(session, village, user.id, actor.id, clock.local_today())
    return result


def _privileged(session: Session, user: User) -> bool:
    """An admin or a township monitor: accounts with rights beyond one village."""
    if user.is_admin:
        return True
    monitor = session.execute(select(TownshipMonitor.id).where(TownshipMonitor.user_id == user.id).limit(1)).first()
    return monitor is not None


def _set_roles(session: Session, membership: Membership, roles: list[str]) -> list[str]:
    wanted = set(roles) | {VILLAGER}
    unknown = wanted - set(VILLAGE_ROLES)
    if unknown:
        raise Invalid(f"不认识的身份：{'、'.join(sorted(unknown))}", field="roles")
    current = {
        row.role: row
        for row in session.execute(
            select(MemberRole).where(MemberRole.membership_id == membership.id)
        ).scalars()
    }
    for role in set(current) - wanted:
        session.delete(current[role])
    for role in wanted - set(current):
        session.add(MemberRole(membership_id=membership.id, role=role, village_id=membership.village_id))
    return sorted(current)


def list_members(
    session: Session,
    actor: Actor | None,
    village: Village,
    *,
    q: str | None = None,
    role: str | None = None,
    group_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[MemberView]:
    """Members of a village for the committee, supervisors and monitors. Four queries, any size."""
    actor = require(actor, village, COMMITTEE, SUPERVISOR, monitor=True)
    page, per_page = clamp(page, per_page)
    stmt = (
        select(Membership, User, Household.number, VillagerGroup.name)
        .join(User, User.id == Membership.user_id)
        .join(Household, Household.id == Membership.household_id, isouter=True)
        .join(VillagerGroup, VillagerGroup.id == Membership.group_id, isouter=True)
        .where(Membership.village_id == village.id)
    )
    full_phone = actor.has(village.id, *MANAGERS)
    if q:
        text = q.strip()
        # Only those who see full phones may search by phone: else the search reveals the masked digits.
        by_phone = [User.phone.contains(text, autoescape=True)] if full_phone else []
        stmt = stmt.where(or_(User.name.contains(text, autoescape=True), *by_phone,
                              Household.number.contains(text, autoescape=True)))
    if role:
        if role not in VILLAGE_ROLES:
            raise Invalid("不认识的身份", field="role")
        stmt = stmt.where(
            select(MemberRole.membership_id)
            .where(MemberRole.membership_id == Membership.id, MemberRole.role == role)
            .exists()
        )
    if group_id:
        stmt = stmt.where(Membership.group_id == group_id)
    raw = paginate(session, stmt.order_by(Household.number, User.name, User.id), page, per_page, scalars=False)
    ids = [m.id for m, *_ in raw.items]
    roles: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for mid, r in session.execute(
            select(MemberRole.membership_id, MemberRole.role).where(MemberRole.membership_id.in_(ids))
        ).all():
            roles[mid].append(r)
    items = [
        MemberView(
            user_id=user.id,
            name=user.name,
            phone=user.phone if full_phone else mask_phone(user.phone),
            birth_date=user.birth_date,
            gender=user.gender,
            status=user.status,
            household=number,
            group=group_name,
            roles=[r for r in VILLAGE_ROLES if r in roles[m.id]],
            joined_at=m.created_at,
        )
        for m, user, number, group_name in raw.items
    ]
    return Page(items, raw.total, raw.page, raw.per_page)


def get_member(session: Session, actor: Actor | None, village: Village, user_id: int) -> MemberView:
    actor = require(actor, village, COMMITTEE, SUPERVISOR, monitor=True)
    row = session.execute(
        select(Membership, User, Household.number, VillagerGroup.name)
        .join(User, User.id == Membership.user_id)
        .join(Household, Household.id == Membership.household_id, isouter=True)
        .join(VillagerGroup, VillagerGroup.id == Membership.group_id, isouter=True)
        .where(Membership.village_id == village.id, Membership.user_id == user_id)
    ).first()
    if row is None:
        raise NotFound("这个村没有这位村民")
    m, user, number, group_name = row
    roles = set(session.execute(select(MemberRole.role).where(MemberRole.membership_id == m.id)).scalars())
    full_phone = actor.has(village.id, *MANAGERS)
    return MemberView(
        user_id=user.id,
        name=user.name,
        phone=user.phone if full_phone else mask_phone(user.phone),
        birth_date=user.birth_date,
        gender=user.gender,
        status=user.status,
        household=number,
        group=group_name,
        roles=[r for r in VILLAGE_ROLES if r in roles],
        joined_at=m.created_at,
        warnings=[o.warning(clock.local_today()) for o in supervision.overlaps(session, village.id, user.id)],
    )


def add_member(
    session: Session, settings: Settings, actor: Actor | None, village: Village, data: MemberIn
) -> Upserted:
    actor = require(actor, village, COMMITTEE)
    phone = normalize_phone(data.phone)
    exists = session.execute(
        select(Membership.id).join(User, User.id == Membership.user_id).where(User.phone == phone)
    ).first()
    if exists:
        raise Conflict("这个手机号已经登记过了", field="phone")
    result = upsert_member(session, settings, actor, village, data)
    session.commit()
    return result


def update_member(
    session: Session,
    actor: Actor | None,
    village: Village,
    user_id: int,
    *,
    roles: list[str] | None = None,
    household: str | None = None,
    group: str | None = None,
) -> MemberView:
    """Change a member's roles, household or group (committee)."""
    actor = require(actor, village, COMMITTEE)
    membership = session.execute(
        select(Membership).where(Membership.village_id == village.id, Membership.user_id == user_id)
    ).scalar_one_or_none()
    if membership is None:
        raise NotFound("这个村没有这位村民")
    errors = text_rules.problems({"household": ("户号", household), "group": ("村民小组", group)})
    if errors:
        raise invalid_fields(errors)
    cache: dict = {}
    changes: dict = {}
    if group is not None:
        g = _group(session, village.id, group.strip() or None, cache)
        membership.group_id = g.id if g else None
        changes["group"] = group.strip() or None
    if household is not None:
        g = session.get(VillagerGroup, membership.group_id) if membership.group_id else None
        h = _household(session, village.id, household.strip() or None, g, cache)
        membership.household_id = h.id if h else None
        if h is not None and h.representative_id is None:
            h.representative_id = user_id
        changes["household"] = household.strip() or None
    if roles is not None:
        wanted = set(roles) | {VILLAGER}
        if COMMITTEE not in wanted:
            others = session.execute(
                select(MemberRole.membership_id).where(
                    MemberRole.village_id == village.id,
                    MemberRole.role == COMMITTEE,
                    MemberRole.membership_id != membership.id,
                ).limit(1)
            ).first()
            if others is None:
                raise Conflict("村里至少要留一名村委会成员", field="roles")
        previous = _set_roles(session, membership, sorted(wanted))
        changes["roles"] = sorted(wanted)
        changes["previous_roles"] = previous
    session.add(membership)
    session.flush()
    personal = {key: changes.pop(key) for key in PERSONAL if key in changes}
    audit.record(session, village_id=village.id, actor_id=actor.id, action="member.update",
                 entity="user", entity_id=user_id, data=changes, private=personal or None)
    supervision.check_assignment(session, village, user_id, actor.id, clock.local_today())
    session.commit()
    return get_member(session, actor, village, user_id)  # with the warnings, read again


def reissue_code(
    session: Session, settings: Settings, actor: Actor | None, village: Village, user_id: int
) -> tuple[User, str, datetime]:
    """A new one-time code for a member (first activation, or a forgotten password).

    The committee issues codes to villagers; a member of the supervisory committee (who oversees
    the committee) gets a code only from the township's monitor or an admin, so the committee
    cannot take over a supervisor's account."""
    actor = require(actor, village, COMMITTEE, monitor=True)
    row = session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.village_id == village.id, User.id == user_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("这个村没有这位村民")
    if _privileged(session, row):
        raise Conflict("系统管理员和乡镇监督员的密码不能用激活码重设")
    target_roles = set(session.execute(
        select(MemberRole.role).join(Membership, Membership.id == MemberRole.membership_id)
        .where(Membership.user_id == user_id)
    ).scalars())
    if SUPERVISOR in target_roles:
        if not (actor.is_admin or actor.monitors(village)):
            raise Forbidden("村务监督委员会成员的激活码须由乡镇监督员或系统管理员发放")
    elif not actor.has(village.id, COMMITTEE):
        raise Forbidden("这项操作需要村委会身份")
    code, code_row = auth.issue_code(session, settings, row, village.id, actor.id)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="member.code_issued",
                 entity="user", entity_id=user_id)
    session.commit()
    return row, code, code_row.expires_at


def may_issue_code(actor: Actor, village: Village, member: MemberView) -> bool:
    """Mirror of reissue_code's rule, for showing the button."""
    if SUPERVISOR in member.roles:
        return actor.is_admin or actor.monitors(village)
    return actor.has(village.id, COMMITTEE)
