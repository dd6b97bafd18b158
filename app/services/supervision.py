"""The village supervisory body's independence (村务监督委员会): a member of it must not sit on the
村民委员会, and committee members' close relatives may not serve on it (《村民委员会组织法》, the
supervision provision in every edition since 2010; rewritten in the 2025 amendment).

The data has households, not kinship: sharing a household with a committee member is what can be
checked, and the warning says so. When roles are assigned (services/members), the committee gets the
warnings in its answer and an audit event records them; the township's dashboard counts, live, the
supervisors in each village who are in either position (services/townships).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.domain import rulebook as R
from app.domain.roles import COMMITTEE, SUPERVISOR
from app.models import Household, MemberRole, Membership, User, Village
from app.services import audit


@dataclass(frozen=True)
class Overlap:
    supervisor_id: int
    supervisor: str
    committee_id: int
    committee: str
    household: str | None  # None: the same person holds both roles

    def warning(self, on: date) -> str:
        cite = R.source_of("cwh.supervision", on).cite
        if self.household is None:
            return (f"{self.supervisor}既是村务监督委员会成员，又是村民委员会成员。村民委员会成员及其近亲属"
                    f"不得担任村务监督机构成员（{cite}）。已报乡镇知悉。")
        return (f"村务监督委员会成员{self.supervisor}与村民委员会成员{self.committee}同在一户（户号 "
                f"{self.household}）。系统只有户籍信息，不掌握亲属关系；如二人是近亲属，依法不得担任村务监督"
                f"机构成员（{cite}）。已报乡镇知悉。")


def _overlaps_query():
    """Each supervisor on the committee or sharing a household with a member of it, in the villages
    bound as `vids` (built once: the township's dashboard counts them for every village)."""
    sup_m, com_m = aliased(Membership), aliased(Membership)
    sup_r, com_r = aliased(MemberRole), aliased(MemberRole)
    sup_u, com_u = aliased(User), aliased(User)
    return (
        select(sup_m.village_id.label("village_id"), sup_m.user_id.label("supervisor_id"),
               sup_u.name.label("supervisor"), com_m.user_id.label("committee_id"), com_u.name.label("committee"),
               Household.number.label("household"), (sup_m.id == com_m.id).label("same"))
        .join(sup_r, and_(sup_r.membership_id == sup_m.id, sup_r.role == SUPERVISOR))
        .join(com_m, com_m.village_id == sup_m.village_id)
        .join(com_r, and_(com_r.membership_id == com_m.id, com_r.role == COMMITTEE))
        .join(sup_u, sup_u.id == sup_m.user_id)
        .join(com_u, com_u.id == com_m.user_id)
        .join(Household, Household.id == sup_m.household_id, isouter=True)
        .where(sup_m.village_id.in_(bindparam("vids", expanding=True)),
               or_(sup_m.id == com_m.id,
                   and_(sup_m.household_id.is_not(None), sup_m.household_id == com_m.household_id)))
        .order_by(sup_m.user_id, com_m.user_id)
    )


_OVERLAPS = _overlaps_query()
_ROWS = _OVERLAPS.subquery()
_COUNTS = select(_ROWS.c.village_id, func.count(func.distinct(_ROWS.c.supervisor_id))).group_by(_ROWS.c.village_id)


def overlaps(session: Session, village_id: int, user_id: int | None = None) -> list[Overlap]:
    """Supervisors who sit on the committee or share a household with a member of it; with `user_id`,
    only those involving that person (as supervisor or as committee member)."""
    found = []
    for _, sid, sname, cid, cname, number, same in session.execute(_OVERLAPS, {"vids": [village_id]}).all():
        if user_id is not None and user_id not in (sid, cid):
            continue
        found.append(Overlap(sid, sname, cid, cname, None if same else (number or "")))
    return found


def check_assignment(session: Session, village: Village, user_id: int, actor_id: int | None,
                     on: date) -> list[str]:
    """After a member's roles or household changed: the warnings for the committee, and an audit
    event the township can follow when there are any. No commit."""
    session.flush()
    found = overlaps(session, village.id, user_id)
    if found:
        audit.record(session, village_id=village.id, actor_id=actor_id, action="member.supervision_overlap",
                     entity="user", entity_id=user_id,
                     data={"overlaps": [{"supervisor": o.supervisor_id, "committee": o.committee_id,
                                         "household": o.household} for o in found]})
    return [o.warning(on) for o in found]


def counts_by_village(session: Session, village_ids: list[int]) -> dict[int, int]:
    """Per village: how many supervisors are on the committee or share a household with a member."""
    if not village_ids:
        return {}
    return dict(session.execute(_COUNTS, {"vids": village_ids}).all())
