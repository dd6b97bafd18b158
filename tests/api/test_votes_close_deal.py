"""Closing a secret vote, on both engines: the result is the tally of what was cast, and the box's
choices are dealt out again among its rows — the same receipts, the same count of each choice, but
rows no longer holding what their voter cast (ballots.deal_box)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from app.models import BallotBox, User, VoteSession, utcnow
from app.services import ballots, councils, votes
from app.services.access import load_actor
from tests.api.test_vote_races import adults
from tests.factories import proposal_at_vote_stage


def open_secret_vote(db, world, n: int, options: list[str] | None = None):
    village = world.village()
    chair = load_actor(db, world.member(village, "committee", name="主任"))
    people = adults(db, village, n)
    proposal = proposal_at_vote_stage(db, chair, village)
    council = councils.create_council(db, chair, village, kind="assembly", name="")
    now = utcnow()
    vs = votes.create_session(db, chair, proposal.id, council_id=council.id, question="选哪个方案？",
                              options=options, secret=True, allow_change=False,
                              opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(hours=1))
    votes.open_session(db, chair, vs.id)
    return chair, people, vs.id


def box(db, sid: int) -> dict[str, int]:
    return dict(db.execute(select(BallotBox.receipt, BallotBox.choice).where(BallotBox.vote_session_id == sid)).all())


def test_closing_deals_the_choices_again_and_keeps_receipts_counts_and_the_result(world, db):
    chair, people, sid = open_secret_vote(db, world, 120)
    cast = {ballots.cast(db, load_actor(db, db.get(User, uid)), sid, i % 3).receipt: i % 3
            for i, uid in enumerate(people)}
    assert box(db, sid) == cast  # while open, each row is what its voter cast
    vs = db.get(VoteSession, sid)
    before = votes._tally(db, vs)
    db.rollback()

    vs = votes.close_session(db, chair, sid)
    after = box(db, sid)
    assert set(after) == set(cast)  # every receipt is still there: inclusion
    assert Counter(after.values()) == Counter(cast.values()) == {0: 40, 1: 40, 2: 40}
    kept = sum(after[r] == c for r, c in cast.items())
    assert kept < 100, kept  # dealt again: about a third keep their choice by chance, never nearly all
    assert [c["count"] for c in vs.result["counts"]] == before.counts == [40, 40, 40]
    assert vs.result["quorum"]["present"] == before.present == 120
    assert vs.result["households_present"] == before.households_present
    # the published lists agree with the result: the choices recount to it, the receipts are all there
    listed = ballots.ballot_box(db, None, sid, 1, 200)
    assert Counter(item["choice"] for item in listed.items) == Counter(cast.values())
    assert ballots.receipts(db, None, sid, 1, 200).items == sorted(cast)


def test_choices_nobody_took_stay_empty_when_the_box_is_dealt(world, db):
    options = ["方案一", "方案二", "方案三", "方案四", "方案五"]
    chair, people, sid = open_secret_vote(db, world, 30, options)
    taken = [0, 2, 2, 4, 4, 4]  # nobody chose the second or the fourth plan
    for i, uid in enumerate(people):
        ballots.cast(db, load_actor(db, db.get(User, uid)), sid, taken[i % len(taken)])
    vs = votes.close_session(db, chair, sid)
    assert Counter(box(db, sid).values()) == {0: 5, 2: 10, 4: 15}
    assert [c["count"] for c in vs.result["counts"]] == [5, 0, 10, 0, 15]
    assert vs.result["winner"] == "方案五"


def test_a_vote_everyone_answered_alike_or_nobody_answered_closes(world, db):
    chair, people, sid = open_secret_vote(db, world, 10)
    for uid in people:
        ballots.cast(db, load_actor(db, db.get(User, uid)), sid, "反对")
    vs = votes.close_session(db, chair, sid)
    assert Counter(box(db, sid).values()) == {1: 10}
    assert [c["count"] for c in vs.result["counts"]] == [0, 10, 0]

    chair, _, sid = open_secret_vote(db, world, 3)
    vs = votes.close_session(db, chair, sid)
    assert box(db, sid) == {} and [c["count"] for c in vs.result["counts"]] == [0, 0, 0]
    assert vs.result["quorum"]["present"] == 0
