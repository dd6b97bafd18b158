"""After close, a secret vote's box cannot be paired with its register through the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from app.models import utcnow
from app.services import ballots, councils, votes
from app.services.access import load_actor
from tests.factories import proposal_at_vote_stage


def test_closing_rewrites_the_box_so_rows_no_longer_pair(world, db, database):
    village = world.village()
    chair = load_actor(db, world.member(village, "committee"))
    people = [world.member(village) for _ in range(6)]
    proposal = proposal_at_vote_stage(db, chair, village)
    council = councils.create_council(db, chair, village, kind="assembly", name="")
    now = utcnow()
    vs = votes.create_session(db, chair, proposal.id, council_id=council.id, question="是否同意？", options=None,
                              secret=True, allow_change=False, opens_at=now - timedelta(minutes=1),
                              closes_at=now + timedelta(hours=1))
    votes.open_session(db, chair, vs.id)
    receipts = [ballots.cast(db, load_actor(db, p), vs.id, i % 3).receipt for i, p in enumerate(people)]
    if database.name == "postgresql":
        paired = text("SELECT count(*) FROM ballot_register r JOIN ballot_box b ON b.xmin = r.xmin "
                      "WHERE r.vote_session_id = :s AND b.vote_session_id = :s")
        assert db.execute(paired, {"s": vs.id}).scalar_one() == 6  # what an open vote exposes to SQL access
    votes.close_session(db, chair, vs.id)
    if database.name == "postgresql":
        assert db.execute(paired, {"s": vs.id}).scalar_one() == 0
    # every receipt is still in the box (inclusion), and the count is unchanged
    assert all(ballots.find_receipt(db, vs.id, r) for r in receipts)
    db.expire_all()
    assert [c["count"] for c in db.get(type(vs), vs.id).result["counts"]] == [2, 2, 2]
