"""Demo notices for 杏花村: a year of party and village publications, a corrected one, objections
answered and one left overdue, plus one awaiting review. The finance notices come from the books
(app/demo/books.py).

Past publications are written with their past dates (a published notice can be inserted, never
changed); their audit events say so. The notices in progress go through the real services.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.clock import utcnow
from app.domain import notices as N
from app.models import Notice, Objection, User, Village
from app.services import audit, notices
from app.services.access import Actor, load_actor


def _actor(session: Session, phone: str) -> Actor:
    return load_actor(session, session.execute(select(User).where(User.phone == phone)).scalar_one())


def _published(session: Session, village: Village, author: Actor, category: str, title: str, body: str,
               days_ago: int, days: int = 7, supersedes: Notice | None = None, period: str | None = None,
               kind: str = "general") -> Notice:
    when = utcnow() - timedelta(days=days_ago, hours=2)
    notice = Notice(village_id=village.id, category=category, kind=kind, title=title, body=body, days=days,
                    state=N.PUBLISHED if days_ago < days else N.CLOSED, author_id=author.id,
                    supersedes_id=supersedes.id if supersedes else None, period=period,
                    reviewed_by=None, reviewed_at=when - timedelta(hours=20) if category in N.NEEDS_REVIEW else None,
                    published_by=author.id, published_at=when, window_from=when,
                    window_until=when + timedelta(days=days), content_hash=N.content_hash(title, body, []),
                    closed_at=when + timedelta(days=days + 1) if days_ago >= days + 1 else None,
                    created_at=when - timedelta(days=1), updated_at=when)
    if notice.state == N.CLOSED and notice.closed_at is None:
        notice.state = N.PUBLISHED
    session.add(notice)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=author.id, action="notice.publish", entity="notice",
                 entity_id=notice.id, data={"content_hash": notice.content_hash, "history": True,
                                            "published_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return notice


def load(session: Session) -> None:
    village = session.execute(select(Village).where(Village.slug == "xinghua")).scalar_one_or_none()
    if village is None:
        return
    chair, clerk = (_actor(session, p) for p in ("13800000001", "13800000002"))
    villager = _actor(session, "13800000007")
    # Village affairs each quarter, party affairs twice a year.
    for i, title in enumerate(["第一季度村务公开", "第二季度村务公开", "第三季度村务公开"]):
        _published(session, village, chair, N.VILLAGE, title,
                   "## 本季度主要工作\n\n- 完成村道修补\n- 发放惠民补贴 128 户\n- 召开村民代表会议 2 次",
                   days_ago=300 - 90 * i, days=15)
    _published(session, village, chair, N.PARTY, "党员发展公示",
               "经支部委员会研究，拟将 1 名入党积极分子列为发展对象，公示 7 天。", days_ago=200)
    _published(session, village, chair, N.PARTY, "党费收缴情况公开",
               "上半年应缴党费 2,460 元，实缴 2,460 元。", days_ago=150)
    # A notice and its correction.
    wrong = _published(session, village, chair, N.VILLAGE, "低保户评议结果公示",
                       "经村民代表会议评议，拟推荐 5 户为低保对象：\n\n1. 第一组 赵某\n2. 第二组 钱某\n"
                       "3. 第三组 孙某\n4. 第三组 李某\n5. 第四组 周某", days_ago=40, days=15)
    _published(session, village, chair, N.VILLAGE, "低保户评议结果公示（更正）",
               "经村民代表会议评议，拟推荐 4 户为低保对象：\n\n1. 第一组 赵某\n2. 第二组 钱某\n"
               "3. 第三组 孙某\n4. 第四组 周某\n\n原公示误将第三组李某列入，特此更正。", days_ago=38,
               supersedes=wrong, kind="correction", days=15)
    # A current village notice with an answered objection, and one overdue.
    current = _published(session, village, chair, N.VILLAGE, "村集体鱼塘承包费收缴情况",
                         "鱼塘承包费 2.4 万元已全额收缴，存入村集体账户。", days_ago=3, days=15)
    asked = utcnow() - timedelta(days=2)
    session.add(Objection(village_id=village.id, notice_id=current.id, author_id=villager.id,
                          body="承包费是按什么标准定的？去年是多少？", created_at=asked,
                          due_at=asked + timedelta(days=10),
                          reply="按 2024 年村民代表会议决议，每亩每年 800 元；去年同为 2.4 万元。",
                          replied_by=chair.id, replied_at=asked + timedelta(days=1)))
    road = _published(session, village, chair, N.VILLAGE, "村东头道路硬化工程招标结果",
                      "中标单位：某某建筑队，中标价 5.8 万元。", days_ago=14, days=20)
    late = utcnow() - timedelta(days=13)
    session.add(Objection(village_id=village.id, notice_id=road.id, author_id=_actor(session, "13800000005").id,
                          body="参加投标的有几家？开标时有没有村民代表在场？", created_at=late,
                          due_at=late + timedelta(days=10)))
    session.commit()
    # In progress, through the services: one awaiting review, one draft.
    pending = notices.create(session, clerk, village, category=N.VILLAGE, title="村规民约修订征求意见",
                             body="村规民约第十二条拟修改为：……请村民提出意见。", days=15)
    notices.submit(session, clerk, pending.id)

