"""Demo data: a fictional county with two villages and about 300 villagers.

Every name and phone number here is made up. The known logins are printed by `cunyi demo` and
listed in the README; they exist only for trying the service out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from app.clock import utcnow
from app.config import Settings
from app.domain.roles import (
    ACCOUNTANT,
    COMMITTEE,
    PARTY_COMMITTEE,
    PARTY_MEMBER,
    REPRESENTATIVE,
    SUPERVISOR,
    VILLAGER,
)
from app.models import TownshipMonitor, User, Village
from app.services import audit, auth, members, places
from app.services.access import Actor

DEMO_PASSWORD = "Cunyi-demo-2026"  # noqa: S105 — published demo-only password


@dataclass(frozen=True)
class DemoLogin:
    label: str
    name: str
    phone: str
    village: str | None
    roles: tuple[str, ...]
    household: str | None = None


DEMO_LOGINS: list[DemoLogin] = [
    DemoLogin("系统管理员", "周管理", "13900000000", None, ()),
    DemoLogin("乡镇监督员（石桥镇）", "郑监督", "13800000009", None, ()),
    DemoLogin("杏花村 村委会主任、村党组织委员", "李建国", "13800000001", "xinghua",
              (COMMITTEE, PARTY_COMMITTEE, PARTY_MEMBER, REPRESENTATIVE), "XH-001"),
    DemoLogin("杏花村 村委会文书", "王秀英", "13800000002", "xinghua", (COMMITTEE,), "XH-002"),
    DemoLogin("杏花村 报账员", "陈会计", "13800000003", "xinghua", (ACCOUNTANT,), "XH-003"),
    DemoLogin("杏花村 村务监督委员会", "赵监委", "13800000004", "xinghua", (SUPERVISOR, PARTY_MEMBER), "XH-004"),
    DemoLogin("杏花村 村民代表", "孙代表", "13800000005", "xinghua", (REPRESENTATIVE,), "XH-005"),
    DemoLogin("杏花村 党员", "吴党员", "13800000006", "xinghua", (PARTY_MEMBER,), "XH-006"),
    DemoLogin("杏花村 村民", "张大爷", "13800000007", "xinghua", (), "XH-007"),
    DemoLogin("柳溪村 村委会主任", "刘柳溪", "13800000101", "liuxi", (COMMITTEE, PARTY_COMMITTEE), "LX-001"),
    DemoLogin("柳溪村 村民", "黄阿婆", "13800000102", "liuxi", (), "LX-002"),
]

VILLAGES = [
    ("杏花村", "xinghua", "XH", 160, ["第一村民小组", "第二村民小组", "第三村民小组", "第四村民小组"]),
    ("柳溪村", "liuxi", "LX", 140, ["上村组", "下村组", "河边组"]),
]

SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许邓冯韩曾彭萧"
GIVEN = "建国秀英桂兰志强丽华明德春花永福海燕玉梅国庆文军红霞金山小平淑芬家豪思远雨欣子涵浩然晓东红梅俊杰"


def is_empty(session: Session) -> bool:
    return session.execute(select(Village.id).limit(1)).first() is None


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def load(session: Session, settings: Settings) -> None:
    """Create the demo county. Refuses to run twice (village slugs are unique)."""
    rng = random.Random(2026)  # the same demo every time
    password_hash = auth.hash_password(settings, DEMO_PASSWORD)
    now = utcnow()

    admin_login = DEMO_LOGINS[0]
    admin = User(name=admin_login.name, phone=admin_login.phone, is_admin=True, status="active",
                 password_hash=password_hash, password_changed_at=now)
    session.add(admin)
    session.commit()
    actor = Actor(user=admin)

    county = places.create_county(session, actor, "青山县")
    township = places.create_township(session, actor, "石桥镇", county.id)
    monitor_login = DEMO_LOGINS[1]
    monitor = User(name=monitor_login.name, phone=monitor_login.phone, status="active",
                   password_hash=password_hash, password_changed_at=now)
    session.add(monitor)
    session.flush()
    session.add(TownshipMonitor(township_id=township.id, user_id=monitor.id))
    audit.record(session, village_id=0, actor_id=admin.id, action="monitor.grant", entity="user",
                 entity_id=monitor.id, data={"township_id": township.id})
    session.commit()

    for vname, slug, prefix, size, groups in VILLAGES:
        village = places.create_village(session, actor, vname, slug, township.id)
        cache: dict = {}
        known = [login for login in DEMO_LOGINS if login.village == slug]
        for login in known:
            result = members.upsert_member(
                session, settings, actor, village,
                members.MemberIn(name=login.name, phone=login.phone, birth_date=date(1965 + len(login.phone) % 7, 3, 8),
                                 gender="男" if login.name[-1] in "国德强军" else "女", household=login.household,
                                 group=groups[0], roles=[VILLAGER, *login.roles], household_head=True),
                cache=cache, source="demo",
            )
            result.user.password_hash = password_hash
            result.user.status = "active"
            result.user.password_changed_at = now
        serial = 0
        household_no = len(known)
        while serial < size - len(known):
            household_no += 1
            number = f"{prefix}-{household_no:03d}"
            group = groups[(household_no - 1) % len(groups)]
            head_year = rng.randint(1940, 1985)
            for i in range(rng.randint(2, 5)):
                serial += 1
                if i == 0:
                    birth = date(head_year, rng.randint(1, 12), rng.randint(1, 28))
                elif i == 1:
                    birth = date(head_year + rng.randint(-3, 3), rng.randint(1, 12), rng.randint(1, 28))
                else:
                    birth = date(min(head_year + rng.randint(20, 32), 2022), rng.randint(1, 12), rng.randint(1, 28))
                roles = [VILLAGER]
                if i == 0 and household_no % 8 == 0:
                    roles.append(REPRESENTATIVE)
                if rng.random() < 0.08 and birth.year < 2004:
                    roles.append(PARTY_MEMBER)
                phone = f"13{prefix == 'XH' and 7 or 6}{household_no:04d}{i:04d}"
                result = members.upsert_member(
                    session, settings, actor, village,
                    members.MemberIn(name=_name(rng), phone=phone, birth_date=birth,
                                     gender=rng.choice("男女"), household=number, group=group, roles=roles,
                                     household_head=i == 0),
                    cache=cache, source="demo",
                )
                if rng.random() < 0.6:  # most have already activated their accounts
                    result.user.password_hash = password_hash
                    result.user.status = "active"
                    result.user.password_changed_at = now
                if serial >= size - len(known):
                    break
        session.commit()
    from app.demo import books as demo_books
    from app.demo import notices as demo_notices
    from app.demo import proposals as demo_proposals
    from app.demo import village_rules as demo_village_rules
    from app.demo import votes as demo_votes

    demo_proposals.load_all(session)
    demo_votes.load(session)
    demo_notices.load(session)
    demo_books.load(session, settings)
    demo_village_rules.load(session)
    from app.services import cases, seals
    from app.services.access import load_actor

    cases.escalate_due(session)  # the objection left unanswered past its deadline goes to the township
    elder = session.execute(select(User).where(User.phone == "13800000007")).scalar_one()
    village = session.execute(select(Village).where(Village.slug == "xinghua")).scalar_one()
    cases.create_report(session, load_actor(session, elder), village,
                        "村东头道路硬化工程的招标，开标时没有通知村民代表到场，请乡镇核实。")
    seals.seal_all(session, settings)  # as the daily seal would have: the board shows each village's
    from app.services import decision_files, fanout

    decision_files.refresh_verdicts(session)  # as the timed jobs would have: the township's dashboard
    seals.check_all(session, settings)  # shows each matter's verdict and each chain's nightly check,
    fanout.catch_up(session)  # and the demo's past is not news to anyone's phone or mailbox
