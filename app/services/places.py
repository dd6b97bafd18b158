"""Counties, townships, villages: the public directory and the admin's set-up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, distinct, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.domain.people import adult_born_on_or_before
from app.domain.roles import REPRESENTATIVE, VILLAGER
from app.models import (
    PLATFORM_CHAIN,
    County,
    Household,
    MemberRole,
    Membership,
    Township,
    TownshipMonitor,
    User,
    Village,
    VillagerGroup,
)
from app.services import audit
from app.services.access import Actor, require_admin
from app.services.errors import Conflict, Invalid, NotFound

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
def _name(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(f"请填写{what}名称", field="name")
    if len(text) > 50:
        raise Invalid(f"{what}名称最多 50 个字", field="name")
    return text


def person_name(text: str) -> str:
    """A person's name as typed, checked (not empty, at most 50 characters)."""
    return _name(text, "人")


def list_counties(session: Session) -> list[County]:
    return list(session.execute(select(County).order_by(County.name)).scalars())


def list_townships(session: Session, county_id: int | None = None) -> list[tuple[Township, County]]:
    stmt = select(Township, County).join(County, County.id == Township.county_id)
    if county_id is not None:
        stmt = stmt.where(Township.county_id == county_id)
    return [tuple(row) for row in session.execute(stmt.order_by(County.name, Township.name)).all()]


def list_villages(session: Session, township_id: int | None = None) -> list[tuple[Village, Township]]:
    stmt = select(Village, Township).join(Township, Township.id == Village.township_id)
    if township_id is not None:
        stmt = stmt.where(Village.township_id == township_id)
    return [tuple(row) for row in session.execute(stmt.order_by(Township.name, Village.name)).all()]


def get_township(session: Session, township_id: int) -> Township:
    township = session.get(Township, township_id)
    if township is None:
        raise NotFound("找不到这个乡镇")
    return township


def get_village(session: Session, village_id: int) -> Village:
    village = session.get(Village, village_id)
    if village is None:
        raise NotFound("找不到这个村")
    return village


_BY_SLUG = select(Village).where(Village.slug == bindparam("slug"))  # every village page's first read: built once


def get_village_by_slug(session: Session, slug: str) -> Village:
    village = session.execute(_BY_SLUG, {"slug": slug}).scalar_one_or_none()
    if village is None:
        raise NotFound("找不到这个村")
    return village


def _add_unique(session: Session, row, message: str) -> None:
    """Insert a row whose name must be unique; a clash (also a racing one) is a 409 with `message`."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message) from exc


def create_county(session: Session, actor: Actor, name: str) -> County:
    require_admin(actor)
    county = County(name=_name(name, "县"))
    _add_unique(session, county, "已有同名的县")
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor.id, action="county.create",
                 entity="county", entity_id=county.id, data={"name": county.name})
    session.commit()
    return county


def create_township(session: Session, actor: Actor, name: str, county_id: int) -> Township:
    require_admin(actor)
    if session.get(County, county_id) is None:
        raise Invalid("找不到这个县", field="county_id")
    township = Township(name=_name(name, "乡镇"), county_id=county_id)
    _add_unique(session, township, "这个县已有同名的乡镇")
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor.id, action="township.create",
                 entity="township", entity_id=township.id, data={"name": township.name, "county_id": county_id})
    session.commit()
    return township


def create_village(session: Session, actor: Actor, name: str, slug: str, township_id: int) -> Village:
    require_admin(actor)
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug):
        raise Invalid("网址名只能用小写字母、数字和连字符，以字母开头，2–40 位", field="slug")
    if session.get(Township, township_id) is None:
        raise Invalid("找不到这个乡镇", field="township_id")
    village = Village(name=_name(name, "村"), slug=slug, township_id=township_id)
    _add_unique(session, village, "网址名已被占用，或这个乡镇已有同名的村")
    data = {"name": village.name, "slug": slug, "township_id": township_id}
    audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor.id, action="village.create",
                 entity="village", entity_id=village.id, data=data)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village.create",
                 entity="village", entity_id=village.id, data=data)
    session.commit()
    return village


@dataclass
class VillageFacts:
    members: int
    adults: int
    households: int
    groups: int
    representatives: int


def _facts_statement():
    """The head counts in one statement, built once: bound to the village (`vid`) and the latest birth
    date of an adult (`adult_before`)."""
    vid = bindparam("vid")
    households = select(func.count(distinct(Household.id))).where(Household.village_id == vid)
    groups = select(func.count(VillagerGroup.id)).where(VillagerGroup.village_id == vid)
    representatives = (select(func.count()).select_from(MemberRole)
                       .where(MemberRole.village_id == vid, MemberRole.role == REPRESENTATIVE))
    return (
        select(
            func.count(Membership.id),
            func.count(Membership.id).filter(User.birth_date <= bindparam("adult_before")),
            households.scalar_subquery(),
            groups.scalar_subquery(),
            representatives.scalar_subquery(),
        )
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .join(MemberRole, (MemberRole.membership_id == Membership.id) & (MemberRole.role == VILLAGER)
              & (MemberRole.village_id == vid))
        .where(Membership.village_id == vid)
    )


_FACTS = _facts_statement()


def facts(session: Session, village_id: int, on: date | None = None) -> VillageFacts:
    """Head counts for a village, each counted in SQL (DESIGN: counts in SQL), all in one statement.
    Adults on `on` (default: today in China)."""
    adult_before = adult_born_on_or_before(on or clock.local_today())
    row = session.execute(_FACTS, {"vid": village_id, "adult_before": adult_before}).one()
    return VillageFacts(*row)


def village_of_user(session: Session, user_id: int) -> Village | None:
    return session.execute(
        select(Village).join(Membership, Membership.village_id == Village.id).where(Membership.user_id == user_id)
    ).scalar_one_or_none()


def monitors_by_township(session: Session) -> dict[int, list[User]]:
    """Every township's monitors in one query (admin page)."""
    result: dict[int, list[User]] = {}
    rows = session.execute(
        select(TownshipMonitor.township_id, User).join(User, User.id == TownshipMonitor.user_id).order_by(User.name)
    ).all()
    for township_id, user in rows:
        result.setdefault(township_id, []).append(user)
    return result


@dataclass
class AdminOverview:
    """What the administrator's set-up page shows."""

    counties: list[County]
    townships: list[tuple[Township, County]]
    villages: list[tuple[Village, Township]]
    monitors: dict[int, list[User]]


def admin_overview(session: Session, actor: Actor | None) -> AdminOverview:
    """Every county, township, village and township monitor; for administrators only."""
    require_admin(actor)
    return AdminOverview(counties=list_counties(session), townships=list_townships(session),
                         villages=list_villages(session), monitors=monitors_by_township(session))
