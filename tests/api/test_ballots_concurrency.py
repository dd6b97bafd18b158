"""Many voters at once through two connection pools (as two server processes), on both engines: every
acknowledged ballot is in the register, the box and the audit chain, the chain verifies, and nothing
fails because another writer held the database (on SQLite the writers queue, app/db.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlmodel import Session

from app.db import make_engine
from app.models import AuditEvent, BallotBox, BallotRegister
from app.services import audit
from tests.api.test_vote_races import adults, cast, count, open_vote


def test_three_hundred_voters_from_two_pools_at_once_all_land(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    people = adults(db, village, 300)
    sid = open_vote(db, village, committee)
    second_pool = make_engine(database.settings)  # a second worker's connections to the same database
    engines = [database.engine, second_pool]
    start = threading.Barrier(32)

    def voter(i: int) -> tuple[str, str]:
        if i < 32:
            start.wait()
        return cast(engines[i % 2], people[i], sid, i % 3)

    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(voter, range(300)))
    finally:
        second_pool.dispose()
    assert [r[0] for r in results].count("ok") == 300, [r for r in results if r[0] != "ok"][:3]
    receipts = {r[1] for r in results}
    assert len(receipts) == 300
    assert count(db, BallotRegister, sid) == count(db, BallotBox, sid) == 300
    assert set(db.execute(select(BallotBox.receipt).where(BallotBox.vote_session_id == sid)).scalars()) == receipts
    ballots_audited = db.execute(select(func.count()).where(
        AuditEvent.village_id == village.id, AuditEvent.action == "vote.ballot",
        AuditEvent.entity_id == str(sid))).scalar_one()
    assert ballots_audited == 300
    with Session(database.engine) as s:
        assert audit.verify_chain(s, village.id).ok
