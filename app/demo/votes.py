"""Demo votes for 杏花村: its councils, an open secret vote on the street lights and a closed
roll-call vote, with a confirmed paper tally, on the land transfer — held on 2025-12-18, so it is decided
and cited under the 2018 text of the law, the rest under the text in force today. Made up, like the rest
of the demo.

Everything goes through the real services (audit chain included). The known demo logins cast no
ballot in the open vote, so a visitor can still vote there as 张大爷 (13800000007). A session cannot
be opened after its close, so the closed vote is opened now, cast, tallied on paper and closed by the
committee at once, as at a meeting held on that day.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.domain import rulebook as R
from app.domain.people import adult_born_on_or_before
from app.models import Council, MemberRole, Membership, Proposal, User, Village
from app.services import ballots, councils, paper_tallies, votes
from app.services.access import Actor, load_actor

VILLAGE = "xinghua"
CHAIR = "13800000001"  # 李建国: committee director, party committee, representative
CLERK = "13800000002"  # 王秀英: committee clerk
KNOWN = {f"138000000{i:02d}" for i in range(1, 10)}  # the published logins never vote in the open vote

STREET_LIGHTS = "安装村道路灯 40 盏"
LAND = "土地流转给合作社种植茶叶"
OPEN_BALLOTS = 45  # already cast in the open vote by made-up villagers
LAND_MEETING = datetime(2025, 12, 18, 2, 0, tzinfo=UTC)  # 10:00 Beijing time, before the 2025 amendment


def _actor(session: Session, phone: str) -> Actor:
    return load_actor(session, session.execute(select(User).where(User.phone == phone)).scalar_one())


def _proposal(session: Session, village: Village, title: str) -> Proposal | None:
    return session.execute(select(Proposal).where(Proposal.village_id == village.id, Proposal.title == title)
                           ).scalar_one_or_none()


def _adult_villagers(session: Session, village: Village) -> list[User]:
    """Active adult villagers in a fixed order (ids are assigned in the demo's fixed order)."""
    return list(session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .join(MemberRole, (MemberRole.membership_id == Membership.id) & (MemberRole.role == "villager"))
        .where(Membership.village_id == village.id, User.status == "active",
               User.birth_date <= adult_born_on_or_before(clock.local_today()))
        .order_by(User.id)
    ).scalars())


def load(session: Session) -> None:
    village = session.execute(select(Village).where(Village.slug == VILLAGE)).scalar_one_or_none()
    if village is None:
        return
    rng = random.Random(2026_04)
    chair, clerk = _actor(session, CHAIR), _actor(session, CLERK)
    adults = _adult_villagers(session, village)
    councils = councils_of(session, village)
    lights = _proposal(session, village, STREET_LIGHTS)
    if lights is not None and lights.state == "vote":
        _open_vote(session, lights, councils[R.ASSEMBLY], chair, adults, rng)
    land = _proposal(session, village, LAND)
    if land is not None and land.state == "resolution":
        # Decided in 2025, under the 2018 text of the village committee law; every other vote in the
        # demo is decided under the law in force today (the 2025 amendment, from 2026-01-01).
        with clock.frozen(LAND_MEETING):
            _closed_vote(session, land, councils[R.REPRESENTATIVES], chair, clerk)


def councils_of(session: Session, village: Village) -> dict:
    """The village's councils by kind, made by the director the first time they are asked for (the
    matters of app/demo/proposals.py meet in them before the votes here are held)."""
    made = {c.kind: c for c in session.execute(
        select(Council).where(Council.village_id == village.id).order_by(Council.id)).scalars()}
    if made:
        return made
    return _councils(session, village, _actor(session, CHAIR), _adult_villagers(session, village))


def _councils(session: Session, village: Village, chair: Actor, adults: list[User]) -> dict:
    made = {}
    for kind in (R.ASSEMBLY, R.REPRESENTATIVES, R.PARTY, R.JOINT):
        made[kind] = councils.create_council(session, chair, village, kind=kind, name=R.COUNCIL_KINDS[kind])
    # A village's own body: four of the known logins and three elders, 2/3 to meet, more than half to pass.
    by_phone = {u.phone: u for u in adults}
    named = [by_phone[p] for p in (CHAIR, "13800000005", "13800000006", "13800000007") if p in by_phone]
    elders = sorted((u for u in adults if u.phone not in KNOWN), key=lambda u: (u.birth_date, u.id))
    named += elders[:7 - len(named)]
    made[R.CUSTOM] = councils.create_council(session, chair, village, kind=R.CUSTOM, name="村民理事会",
                                          member_ids=[u.id for u in named], quorum=(2, 3, True),
                                          passing=(1, 2, False))
    return made


def _open_vote(session: Session, proposal: Proposal, council, chair: Actor, adults: list[User],
               rng: random.Random) -> None:
    now = utcnow()
    vs = votes.create_session(
        session, chair, proposal.id, council_id=council.id,
        question="是否同意安装村道路灯 40 盏（太阳能路灯，预算 4.8 万元，人均筹资 10 元，每人投劳 1 天）？",
        options=None, secret=True, allow_change=False, opens_at=now, closes_at=now + timedelta(days=7))
    votes.open_session(session, chair, vs.id)
    voters = [u for u in adults if u.phone not in KNOWN]
    for user in rng.sample(voters, min(OPEN_BALLOTS, len(voters))):
        choice = rng.choices((0, 1, 2), weights=(7, 2, 1))[0]
        ballots.cast(session, load_actor(session, user), vs.id, choice)


def _closed_vote(session: Session, proposal: Proposal, council, chair: Actor, clerk: Actor) -> None:
    """A 村民代表会议 held on the clock's day: two representatives vote online, the rest on paper; the
    meeting ran from two hours ago until half an hour ago, when the vote closed on time."""
    now = utcnow()
    with clock.frozen(now - timedelta(hours=1)):
        _held(session, proposal, council, chair, clerk, now)
    votes.close_due(session)  # closed on time, as the scheduled job closes it


def _held(session: Session, proposal: Proposal, council, chair: Actor, clerk: Actor, now):
    vs = votes.create_session(
        session, chair, proposal.id, council_id=council.id,
        question="是否同意将后山 200 亩荒地流转给本村以外的茶叶合作社经营，期限 15 年？",
        options=None, secret=False, allow_change=False, special_rule=R.LAND_TO_OUTSIDERS,
        opens_at=now - timedelta(hours=2), closes_at=now - timedelta(minutes=30))
    vs = votes.open_session(session, chair, vs.id)
    electors = votes.electorate(session, vs)
    online = [uid for uid, _ in electors if uid in _ids(session, (CHAIR, "13800000005"))]
    for uid in online:
        voter = load_actor(session, session.get(User, uid))
        ballots.cast(session, voter, vs.id, 0)
    others = [uid for uid, _ in electors if uid not in online]
    absent = others[-1:] if len(others) >= 4 else []
    present = [uid for uid in others if uid not in absent]
    _, measure = R.special_on(R.LAND_TO_OUTSIDERS, clock.local_today())
    needed = measure.threshold.needed(len(electors))
    against = 1 if len(online) + len(present) - 1 >= needed else 0
    counts = [len(present) - against, against, 0]
    minutes = (f"村民代表会议在村委会会议室召开，应到 {len(electors)} 人，网上表决 {len(online)} 人，"
               f"现场签到 {len(present)} 人。现场举手表决：同意 {counts[0]} 人，反对 {counts[1]} 人，弃权 0 人。"
               "表决事项属土地发包给本集体经济组织以外的单位，按三分之二以上同意通过。")
    paper_tallies.record_paper(session, clerk, vs.id, present_user_ids=present, counts=counts, invalid=0,
                               minutes=minutes)
    paper_tallies.confirm_paper(session, chair, vs.id)
    return vs


def _ids(session: Session, phones: tuple[str, ...]) -> set[int]:
    return set(session.execute(select(User.id).where(User.phone.in_(phones))).scalars())
