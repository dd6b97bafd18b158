"""Races on written authorizations (委托), on both engines: the proxy cap counts before it writes, so
parallel registrations take turns on the vote's row and the cap holds however many arrive at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlmodel import Session

from app.models import AuditEvent, Proxy, User
from app.services import paper_tallies
from app.services.access import load_actor
from app.services.errors import Conflict
from tests.api.test_vote_races import adults, open_vote


def register(database, clerk_id: int, sid: int, pairs: list[tuple[int, int]]) -> list[str]:
    """Record every (voter, proxy) pair at once, each in its own session: "ok" or the Conflict's detail."""
    start = threading.Barrier(len(pairs))

    def attempt(pair: tuple[int, int]) -> str:
        start.wait()  # before taking a pooled connection: fifty threads share fewer connections
        with Session(database.engine, expire_on_commit=False) as session:
            actor = load_actor(session, session.get(User, clerk_id))
            try:
                paper_tallies.record_proxy(session, actor, sid, *pair)
                return "ok"
            except Conflict as exc:
                return exc.detail

    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        return list(pool.map(attempt, pairs))


def held(db, sid: int, proxy_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(Proxy).where(Proxy.vote_session_id == sid)
    if proxy_id is not None:
        stmt = stmt.where(Proxy.proxy_id == proxy_id)
    return db.execute(stmt).scalar_one()


def proxy_events(db, village_id: int) -> int:
    return db.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.village_id == village_id, AuditEvent.action == "vote.proxy")).scalar_one()


def test_fifty_parallel_authorizations_to_one_holder_stop_at_the_cap(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    holder, *voters = adults(db, village, 51)
    sid = open_vote(db, village, committee)
    results = register(database, committee.id, sid, [(v, holder) for v in voters])
    assert results.count("ok") == 3, results  # the default cap
    assert set(results) - {"ok"} == {"每人最多接受 3 份委托"}
    assert held(db, sid, holder) == 3 == proxy_events(db, village.id)


def test_one_voter_authorizing_fifty_holders_at_once_is_recorded_once(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    voter, *holders = adults(db, village, 51)
    sid = open_vote(db, village, committee)
    results = register(database, committee.id, sid, [(voter, h) for h in holders])
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} == {"这位村民已经委托过了"}
    assert held(db, sid) == 1 == proxy_events(db, village.id)


def test_parallel_authorizations_within_the_cap_are_all_recorded(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    people = adults(db, village, 40)
    holders, voters = people[:10], people[10:]
    sid = open_vote(db, village, committee)
    results = register(database, committee.id, sid, [(v, holders[i % 10]) for i, v in enumerate(voters)])
    assert results == ["ok"] * 30  # taking turns refuses nobody who is within the cap
    assert held(db, sid) == 30 == proxy_events(db, village.id)
    assert {held(db, sid, h) for h in holders} == {3}
