"""Races on ballots, on both engines: threads with their own sessions call the voting service at once.

The database, not only the code, keeps one ballot per voter; a roll-call change that races itself
leaves one row with the last choice; many voters at once are all counted; and a close racing the
casts counts every acknowledged ballot and nothing after it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlalchemy import func, insert, select
from sqlmodel import Session

from app.domain.proposals import ProposalDraft
from app.domain.roles import VILLAGER
from app.models import AuditEvent, Ballot, BallotBox, BallotRegister, MemberRole, Membership, User, utcnow
from app.services import ballots, councils, proposals, votes
from app.services.access import load_actor
from app.services.errors import Conflict
from tests.factories import unique_phone

DRAFT = ProposalDraft(title="修建村口便民桥", body="方案", category="facilities", procedure="simple")


def adults(db, village, n: int) -> list[int]:
    """`n` adult villagers of `village`, inserted in bulk (three statements, whatever n)."""
    now = utcnow()
    phones = [unique_phone() for _ in range(n)]
    db.execute(insert(User), [{"name": f"村民{i}", "phone": p, "birth_date": date(1980, 5, 1), "status": "active",
                               "is_admin": False, "created_at": now} for i, p in enumerate(phones)])
    ids = list(db.execute(select(User.id).where(User.phone.in_(phones)).order_by(User.id)).scalars())
    db.execute(insert(Membership), [{"village_id": village.id, "user_id": u, "created_at": now} for u in ids])
    memberships = db.execute(select(Membership.id).where(Membership.user_id.in_(ids))).scalars()
    db.execute(insert(MemberRole), [{"membership_id": m, "role": VILLAGER, "village_id": village.id}
                                    for m in memberships])
    db.commit()
    return ids


def open_vote(db, village, committee, *, secret: bool = True, allow_change: bool = False) -> int:
    """A proposal at its vote stage and an open vote of the villagers' assembly."""
    actor = load_actor(db, committee)
    proposal = proposals.create(db, actor, village, DRAFT)
    proposals.transition(db, actor, proposal.id, "submit")
    assert proposals.transition(db, actor, proposal.id, "advance").state == "vote"
    council = councils.create_council(db, actor, village, kind="assembly", name="")
    vs = votes.create_session(db, actor, proposal.id, council_id=council.id, question="是否同意修桥？",
                              options=None, secret=secret, allow_change=allow_change,
                              opens_at=utcnow() - timedelta(minutes=1), closes_at=utcnow() + timedelta(hours=1))
    return votes.open_session(db, actor, vs.id).id


def cast(engine, user_id: int, sid: int, choice: int) -> tuple[str, str]:
    """One request: ("ok", receipt) or ("409", detail). Anything else fails the test."""
    with Session(engine, expire_on_commit=False) as session:
        actor = load_actor(session, session.get(User, user_id))
        try:
            return "ok", ballots.cast(session, actor, sid, choice).receipt
        except Conflict as exc:
            return "409", exc.detail


def count(db, table, sid: int) -> int:
    return db.execute(select(func.count()).select_from(table).where(table.vote_session_id == sid)).scalar_one()


def test_fifty_threads_casting_one_secret_ballot_leave_one(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    voter = world.member(village, name="张三")
    sid = open_vote(db, village, committee)
    start = threading.Barrier(50)

    def attempt(i: int) -> tuple[str, str]:
        start.wait()
        return cast(database.engine, voter.id, sid, i % 3)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    assert [r[0] for r in results].count("ok") == 1, results
    assert {r[1] for r in results if r[0] == "409"} == {"已经投过票了，无记名投票不能改票"}
    assert count(db, BallotRegister, sid) == 1
    assert count(db, BallotBox, sid) == 1
    receipt = next(r[1] for r in results if r[0] == "ok")
    assert db.execute(select(BallotBox.receipt).where(BallotBox.vote_session_id == sid)).scalar_one() == receipt


def test_a_roll_call_change_racing_itself_leaves_one_ballot_with_the_last_choice(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    voter = world.member(village, name="李四")
    sid = open_vote(db, village, committee, secret=False, allow_change=True)
    start = threading.Barrier(30)

    def attempt(i: int) -> tuple[str, str]:
        start.wait()
        return cast(database.engine, voter.id, sid, i % 3)

    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(attempt, range(30)))
    assert {r[0] for r in results} == {"ok"}, results
    assert len({r[1] for r in results}) == 1  # one receipt, kept across changes
    rows = db.execute(select(Ballot.choice, Ballot.receipt).where(Ballot.vote_session_id == sid)).all()
    assert len(rows) == 1 and rows[0][1] == results[0][1]
    # the last ballot written (the last audit event, in chain order) is the one that stands
    events = db.execute(select(AuditEvent.action, AuditEvent.payload).where(
        AuditEvent.village_id == village.id, AuditEvent.entity == "vote", AuditEvent.entity_id == str(sid),
        AuditEvent.action.in_(["vote.ballot", "vote.ballot_changed"])).order_by(AuditEvent.seq)).all()
    assert [a for a, _ in events] == ["vote.ballot"] + ["vote.ballot_changed"] * 29
    assert json.loads(bytes(events[-1][1]))["data"]["choice"] == rows[0][0]


def test_two_hundred_voters_at_once_are_all_counted(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    people = adults(db, village, 200)
    sid = open_vote(db, village, committee)
    expected = Counter(i % 3 for i in range(200))

    with ThreadPoolExecutor(max_workers=16) as pool:  # how fast is for bench/votes.py to say
        results = list(pool.map(lambda i: cast(database.engine, people[i], sid, i % 3), range(200)))
    assert [r[0] for r in results].count("ok") == 200, [r for r in results if r[0] != "ok"][:3]
    assert len({r[1] for r in results}) == 200  # every receipt is different
    assert count(db, BallotRegister, sid) == 200 and count(db, BallotBox, sid) == 200
    box = dict(db.execute(select(BallotBox.choice, func.count()).where(BallotBox.vote_session_id == sid)
                          .group_by(BallotBox.choice)).all())
    assert box == dict(expected)

    vs = votes.close_session(db, load_actor(db, committee), sid)
    assert [c["count"] for c in vs.result["counts"]] == [expected[0], expected[1], expected[2]]
    assert vs.result["quorum"]["present"] == 200 and vs.result["electorate"] == 201
    assert vs.result["quorum"]["met"] is True
    public = ballots.receipts(db, None, sid, 1, 200)
    assert public.items == sorted(r[1] for r in results) and public.total == 200


def test_ballots_racing_the_close_are_counted_if_and_only_if_acknowledged(world, db, database):
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    people = adults(db, village, 150)
    sid = open_vote(db, village, committee)
    enough = threading.Event()
    lock = threading.Lock()
    acked: list[str] = []
    log: list[tuple[float, str, str]] = []  # (started, outcome, receipt or detail)
    closed_at: list[float] = []

    def voter(i: int) -> None:
        if enough.is_set():  # once the close is under way, keep ballots arriving through it, not ahead of it
            time.sleep(0.02)
        started = time.monotonic()
        outcome, value = cast(database.engine, people[i], sid, i % 3)
        with lock:
            log.append((started, outcome, value))
            if outcome == "ok":
                acked.append(value)
                if len(acked) >= 30:
                    enough.set()

    def closer() -> None:
        enough.wait(timeout=60)
        with Session(database.engine, expire_on_commit=False) as session:
            votes.close_session(session, load_actor(session, session.get(User, committee.id)), sid)
        closed_at.append(time.monotonic())

    with ThreadPoolExecutor(max_workers=9) as pool:
        closing = pool.submit(closer)
        casts = [pool.submit(voter, i) for i in range(150)]
        closing.result()
        for future in casts:
            future.result()

    refused = [entry for entry in log if entry[1] == "409"]
    # the close did not wait for voting to stop (with `FOR SHARE` in the cast it did, on PostgreSQL)
    assert len(acked) >= 30 and refused, (len(acked), len(refused))
    assert {detail for _, _, detail in refused} == {"表决已经结束"}
    # nothing that started after the close returned was accepted
    assert all(outcome == "409" for started, outcome, _ in log if started > closed_at[0])
    # every acknowledged ballot is in the box, and nothing else is
    box = set(db.execute(select(BallotBox.receipt).where(BallotBox.vote_session_id == sid)).scalars())
    assert box == set(acked)
    assert count(db, BallotRegister, sid) == len(acked)
    db.expire_all()
    result = ballots.ballot_box(db, None, sid, 1, 200)
    assert result.total == len(acked)
    vs, _ = votes.get_session_public(db, sid)
    assert sum(c["count"] for c in vs.result["counts"]) == len(acked) == vs.result["quorum"]["present"]
