"""Races on co-signing, on both engines: the database, not only the code, keeps one row per person,
and support crossing the threshold moves the proposal exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlmodel import Session

from app.domain.proposals import ProposalDraft
from app.models import Cosignature, Proposal, ProposalTransition
from app.services import proposals
from app.services.access import load_actor
from app.services.errors import Conflict

DRAFT = ProposalDraft(title="修建便民桥", body="方案", category="facilities", procedure="yishiyiyi")


def _submitted(db, world, village, author):
    actor = load_actor(db, author)
    proposal = proposals.create(db, actor, village, DRAFT)
    return proposals.transition(db, actor, proposal.id, "submit").id


def _cosign(engine, user_id, pid):
    with Session(engine, expire_on_commit=False) as session:
        from app.models import User

        actor = load_actor(session, session.get(User, user_id))
        try:
            proposals.cosign(session, actor, pid)
            return "ok"
        except Conflict as exc:
            return exc.detail


def test_the_same_person_racing_leaves_one_cosignature(world, db, database):
    village = world.village()
    people = [world.member(village) for _ in range(40)]
    pid = _submitted(db, world, village, people[0])
    signer = people[1]
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: _cosign(database.engine, signer.id, pid), range(20)))
    assert results.count("ok") == 1, results
    assert set(results) - {"ok"} == {"你已经联署过了"}
    rows = db.execute(select(func.count()).select_from(Cosignature).where(Cosignature.proposal_id == pid))
    assert rows.scalar_one() == 2  # the author and the signer
    db.expire_all()
    assert db.get(Proposal, pid).cosign_count == 2


def test_many_people_crossing_the_threshold_move_it_once(world, db, database):
    village = world.village()
    people = [world.member(village) for _ in range(30)]  # 30 adults: 3 co-signers needed
    pid = _submitted(db, world, village, people[0])
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda u: _cosign(database.engine, u.id, pid), people[1:9]))
    db.expire_all()
    proposal = db.get(Proposal, pid)
    assert proposal.state == "deliberation"
    moves = db.execute(select(ProposalTransition.action).where(ProposalTransition.proposal_id == pid)
                       .order_by(ProposalTransition.id)).scalars()
    assert list(moves) == ["submit", "cosigned"]
    signed = db.execute(select(func.count()).select_from(Cosignature).where(Cosignature.proposal_id == pid))
    # everyone acknowledged is counted; those who arrived after the stage closed were told so
    acknowledged = results.count("ok")
    assert signed.scalar_one() == 1 + acknowledged == proposal.cosign_count
    assert set(results) - {"ok"} <= {"这个事项现在不在联署阶段"}
