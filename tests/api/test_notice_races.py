"""Races on notices, on both engines: threads with their own sessions call the notices service at once.

One published correction per notice (a unique partial index, not only the service's look-before-
publish), and each step of the state machine (submit, review, publish, close) happens once however
many people press the button together.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlmodel import Session

from app.domain import notices as N
from app.models import AuditEvent, Notice, User
from app.services import notices
from app.services.access import load_actor
from app.services.errors import Conflict
from tests.factories import Staff

NOTICE = {"category": N.VILLAGE, "title": "村道硬化工程招标结果公示", "body": "中标单位：某某建筑公司"}


def race(database, n: int, step: Callable[[Session, int], object]) -> list[str]:
    """Run `step(session, i)` in `n` threads released together: "ok" or the Conflict's detail each."""
    start = threading.Barrier(n)

    def attempt(i: int) -> str:
        with Session(database.engine, expire_on_commit=False) as session:
            start.wait()
            try:
                step(session, i)
                return "ok"
            except Conflict as exc:
                return exc.detail

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(attempt, range(n)))


def as_user(session: Session, user: User):
    return load_actor(session, session.get(User, user.id))


def actions(db, village_id: int, notice_id: int) -> list[str]:
    return list(db.execute(select(AuditEvent.action).where(
        AuditEvent.village_id == village_id, AuditEvent.entity == "notice",
        AuditEvent.entity_id == str(notice_id)).order_by(AuditEvent.seq)).scalars())


def published_notice(db, s: Staff) -> Notice:
    committee, supervisor = load_actor(db, s.committee), load_actor(db, s.supervisor)
    notice = notices.create(db, committee, s.village, **NOTICE)
    notices.submit(db, committee, notice.id)
    notices.review(db, supervisor, notice.id, approve=True)
    return notices.publish(db, committee, notice.id)


def test_approved_corrections_published_at_once_leave_one(world, db, database):
    s = Staff(world)
    original = published_notice(db, s)
    committee, supervisor = load_actor(db, s.committee), load_actor(db, s.supervisor)
    # eight correction drafts, all written before any was submitted, then all approved
    drafts = [notices.correct(db, committee, original.id, title=f"{NOTICE['title']}（更正{i}）", body=f"更正 {i}")
              for i in range(8)]
    for d in drafts:
        notices.submit(db, committee, d.id)
        notices.review(db, supervisor, d.id, approve=True)

    results = race(database, 8, lambda session, i: notices.publish(session, as_user(session, s.committee),
                                                                  drafts[i].id))

    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} == {notices.SECOND_CORRECTION}
    db.expire_all()
    visible = db.execute(select(Notice.id).where(Notice.supersedes_id == original.id,
                                                 Notice.state.in_(notices.VISIBLE))).scalars().all()
    assert visible == [drafts[results.index("ok")].id]  # the record does not fork
    losers = [d.id for d, r in zip(drafts, results, strict=True) if r != "ok"]
    assert set(db.execute(select(Notice.state).where(Notice.id.in_(losers))).scalars()) == {N.APPROVED}
    published = db.execute(select(AuditEvent.payload).where(
        AuditEvent.village_id == s.village.id, AuditEvent.action == "notice.publish")).scalars().all()
    corrections = [p for p in published if json.loads(bytes(p))["data"]["supersedes"] == original.id]
    assert len(corrections) == 1


def test_each_step_of_a_notice_happens_once_however_many_press_it(world, db, database, clock):
    s = Staff(world)
    committee = load_actor(db, s.committee)
    nid = notices.create(db, committee, s.village, **NOTICE).id

    submitted = race(database, 12, lambda session, _: notices.submit(session, as_user(session, s.committee), nid))
    assert submitted.count("ok") == 1, submitted
    assert set(submitted) - {"ok"} <= {"只有草稿可以提交审核", "这份公开的状态刚刚被别人改变了，请刷新后再试"}

    # the supervisor approves and returns at once: one of them wins, and the notice shows which
    reviewed = race(database, 12, lambda session, i: notices.review(
        session, as_user(session, s.supervisor), nid, approve=i % 2 == 0, note=None if i % 2 == 0 else "请补充"))
    assert reviewed.count("ok") == 1, reviewed
    assert set(reviewed) - {"ok"} <= {"这份公开不在待审核状态", "这份公开的状态刚刚被别人改变了，请刷新后再试"}
    db.expire_all()
    winner_approved = reviewed.index("ok") % 2 == 0
    assert db.get(Notice, nid).state == (N.APPROVED if winner_approved else N.DRAFT)
    if not winner_approved:  # returned: submit and approve again, one at a time
        notices.submit(db, committee, nid)
        notices.review(db, load_actor(db, s.supervisor), nid, approve=True)

    published = race(database, 12, lambda session, _: notices.publish(session, as_user(session, s.committee), nid))
    assert published.count("ok") == 1, published
    assert set(published) - {"ok"} <= {"这份公开现在不能发布", "这份公开的状态刚刚被别人改变了，请刷新后再试"}

    clock.travel(days=16)  # past the window: 15 days, the law's least for village affairs
    closed = race(database, 12, lambda session, _: notices.close(session, as_user(session, s.committee), nid))
    assert closed.count("ok") == 1, closed
    assert set(closed) - {"ok"} <= {"只有公示中的公开才能办结", "这份公开的状态刚刚被别人改变了，请刷新后再试"}

    db.expire_all()
    assert db.get(Notice, nid).state == N.CLOSED
    steps = actions(db, s.village.id, nid)
    review = ["notice.approve"] if winner_approved else ["notice.return", "notice.submit", "notice.approve"]
    assert steps == ["notice.create", "notice.submit", *review, "notice.publish", "notice.close"], steps
    count = db.execute(select(func.count()).select_from(Notice).where(Notice.id == nid)).scalar_one()
    assert count == 1
