"""A vote is decided and cited under the law in force on its opening day by the Beijing calendar:
opened at 23:00 on 2025-12-31 it cites the 2018 text (even when closed in 2026); opened at 00:00 on
2026-01-01 Beijing time (still 2025-12-31 in UTC) it cites the 2025 amendment. A stored result keeps
the citation it was decided under."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from app.models import Proposal
from tests.api.vote_setup import cast, new_council, village_of
from tests.factories import iso, ok

OLD = "依据《村民委员会组织法》（2018年修正）第二十二条"
NEW = "依据《村民委员会组织法》（2025年修正）第二十六条"


def _vote_opened_now(api, db, clock, village, committee, council_id: int) -> int:
    body = {"title": "硬化村东头道路", "body": "修 300 米水泥路。", "category": "facilities", "procedure": "yishiyiyi"}
    pid = ok(api.post(f"/villages/{village.id}/proposals", committee, body), 201)["id"]
    ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "submit"}))
    db.execute(update(Proposal).where(Proposal.id == pid).values(stage_entered_at=clock() - timedelta(days=30)))
    db.commit()
    assert ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "advance"}))["state"] == "vote"
    vote = {"council_id": council_id, "question": "是否同意？", "secret": False, "allow_change": False,
            "opens_at": iso(clock()), "closes_at": iso(clock() + timedelta(days=3))}
    sid = ok(api.post(f"/proposals/{pid}/votes", committee, vote), 201)["id"]
    ok(api.post(f"/votes/{sid}/open", committee))
    return sid


def _close(api, sid, committee, people) -> dict:
    for person in people:
        ok(cast(api, sid, person, 0), 201)
    ok(api.post(f"/votes/{sid}/close", committee))
    return ok(api.get(f"/votes/{sid}/result"))


def test_the_opening_day_decides_the_edition(api, world, db, clock):
    clock.on_day(date(2025, 12, 31), hour=23)
    village, committee, _, people = village_of(world, 4)
    council = new_council(api, village, committee)
    assert council["citation"] == OLD  # the council page shows the law of its day
    before = _vote_opened_now(api, db, clock, village, committee, council["id"])
    assert ok(api.get(f"/votes/{before}", committee))["citation"] == OLD

    clock.on_day(date(2026, 1, 1), hour=0)  # 2025-12-31 16:00 UTC: the Beijing calendar decides
    after = _vote_opened_now(api, db, clock, village, committee, council["id"])
    assert ok(api.get(f"/votes/{after}", committee))["citation"] == NEW
    assert ok(api.get(f"/councils/{council['id']}", committee))["citation"] == NEW

    clock.travel(days=2)  # both close in 2026
    old_result = _close(api, before, committee, people)
    new_result = _close(api, after, committee, people)
    assert old_result["citation"] == OLD and old_result["summary"] == f"{OLD}：到会人员的过半数同意"
    assert new_result["citation"] == NEW and new_result["summary"] == f"{NEW}：到会人员的过半数同意"
    assert ok(api.get(f"/votes/{before}"))["citation"] == OLD  # the public page of the 2025 vote


def test_a_stored_result_keeps_its_citation(api, world, db, clock):
    clock.on_day(date(2026, 3, 1))
    village, committee, _, people = village_of(world, 4)
    council = new_council(api, village, committee)
    sid = _vote_opened_now(api, db, clock, village, committee, council["id"])
    result = _close(api, sid, committee, people)
    from app.models import VoteSession

    stored = {**result, "citation": "依据《某法》（旧版）第一条", "summary": "依据《某法》（旧版）第一条：过半数同意"}
    stored = {k: v for k, v in stored.items() if k != "proposal_id"}
    db.execute(update(VoteSession).where(VoteSession.id == sid).values(result=stored))
    db.commit()
    assert ok(api.get(f"/votes/{sid}/result"))["citation"] == "依据《某法》（旧版）第一条"  # never recomputed
