"""Secret ballots written together (services/ballots.cast_soon, db.Batches), on both engines: many
requests at once on the event loop, each answered only once its ballot is committed; a batch that one
ballot spoils is written ballot by ballot, so each gets its own answer; the chain holds one event per
ballot, linked as if each had been written alone."""

from __future__ import annotations

import asyncio

import httpx2 as httpx
from sqlalchemy import func, select
from sqlmodel import Session

from app.models import AuditEvent, AuditHead, BallotBox, BallotRegister, User, VoteSession
from app.services import audit, auth, ballots
from app.services.access import load_actor
from app.services.errors import Conflict
from tests.api.test_vote_races import adults, count, open_vote
from tests.factories import run_async


def tokens(db, settings, user_ids: list[int]) -> dict[int, str]:
    """A live API session per voter, as if each had just logged in."""
    found = {uid: auth._open_session(db, settings, db.get(User, uid), "api", None, None).token for uid in user_ids}
    db.commit()
    return found


async def cast_all(app, requests: list[tuple[str, int]], sid: int) -> list[httpx.Response]:
    """Every request at once on one event loop: (token, choice) each."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await asyncio.gather(*(
            client.post(f"/api/v1/votes/{sid}/ballots", json={"choice": choice},
                        headers={"Authorization": f"Bearer {token}"})
            for token, choice in requests))


def ballot_events(db, village_id: int, sid: int) -> int:
    return db.execute(select(func.count()).where(
        AuditEvent.village_id == village_id, AuditEvent.action == "vote.ballot",
        AuditEvent.entity_id == str(sid))).scalar_one()


def test_sixty_requests_at_once_each_land_once_and_a_double_submit_gets_409(app, world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    people = adults(db, village, 60)
    sid = open_vote(db, village, committee)
    token = tokens(db, database.settings, people)
    twice = people[0]  # the same voter's request five times in the same burst
    requests = [(token[uid], i % 3) for i, uid in enumerate(people)] + [(token[twice], 1)] * 4

    answers = run_async(cast_all(app, requests, sid))

    codes = [r.status_code for r in answers]
    assert codes.count(201) == 60, [r.json() for r in answers if r.status_code != 201][:3]
    assert codes.count(409) == 4
    assert {r.json()["detail"] for r in answers if r.status_code == 409} == {"已经投过票了，无记名投票不能改票"}
    receipts = {r.json()["receipt"] for r in answers if r.status_code == 201}
    assert len(receipts) == 60
    assert count(db, BallotRegister, sid) == count(db, BallotBox, sid) == 60
    assert set(db.execute(select(BallotBox.receipt).where(BallotBox.vote_session_id == sid)).scalars()) == receipts
    assert ballot_events(db, village.id, sid) == 60
    with Session(database.engine) as s:
        assert audit.verify_chain(s, village.id).ok


def ready(db, user_id: int, sid: int, choice: int = 0) -> ballots._Secret:
    actor = load_actor(db, db.get(User, user_id))
    checked = ballots._checked(db.get_bind(), actor, sid, choice, None)
    db.rollback()
    return checked


def test_a_batch_with_one_spoilt_ballot_is_written_ballot_by_ballot(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    first, second, third = adults(db, village, 3)
    sid = open_vote(db, village, committee)
    with Session(database.engine, expire_on_commit=False) as s:
        ballots._write_batch(s, [ready(db, first, sid)])  # first has voted already
    batch = [ready(db, second, sid, 1), ready(db, first, sid, 2), ready(db, third, sid, 0)]

    with Session(database.engine, expire_on_commit=False) as s:
        outcomes = ballots._write_batch(s, batch)

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], Conflict) and outcomes[1].detail == "已经投过票了，无记名投票不能改票"
    assert count(db, BallotRegister, sid) == count(db, BallotBox, sid) == 3
    assert sorted(db.execute(select(BallotBox.choice).where(BallotBox.vote_session_id == sid)).scalars()) == [0, 0, 1]
    assert ballot_events(db, village.id, sid) == 3
    with Session(database.engine) as s:
        assert audit.verify_chain(s, village.id).ok


def test_a_batch_whose_vote_closed_meanwhile_writes_nothing_and_says_so(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    people = adults(db, village, 3)
    sid = open_vote(db, village, committee)
    batch = [ready(db, uid, sid) for uid in people]  # checked while open
    db.get(VoteSession, sid).state = "closed"  # then closed before the writer's turn
    db.commit()
    head = db.get(AuditHead, village.id).seq

    with Session(database.engine, expire_on_commit=False) as s:
        outcomes = ballots._write_batch(s, batch)

    assert [o.detail for o in outcomes] == ["表决已经结束"] * 3
    assert count(db, BallotRegister, sid) == count(db, BallotBox, sid) == 0
    db.expire_all()
    assert db.get(AuditHead, village.id).seq == head


def test_events_appended_together_link_as_one_by_one(world, db, database):
    village = world.village()
    world.member(village, "committee", name="主任")
    before = db.get(AuditHead, village.id)
    start = before.seq if before else 0
    audit.record_many(db, village.id, [audit.Entry(None, "vote.ballot", "vote", 7, {"on_behalf": False}),
                                       audit.Entry(3, "vote.ballot", "vote", "7", {"on_behalf": True})])
    audit.record(db, village_id=village.id, actor_id=None, action="vote.ballot", entity="vote", entity_id=7,
                 data={"on_behalf": False})
    db.commit()

    rows = db.execute(select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.actor_id)
                      .where(AuditEvent.village_id == village.id, AuditEvent.seq > start)
                      .order_by(AuditEvent.seq)).all()
    assert [r.seq for r in rows] == [start + 1, start + 2, start + 3]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert [r.actor_id for r in rows] == [None, 3, None]
    db.expire_all()
    assert (db.get(AuditHead, village.id).seq, db.get(AuditHead, village.id).hash) == (start + 3, rows[2].hash)
    assert audit.verify_chain(db, village.id).ok
