"""Vote sessions through the API, on both engines: created only in the vote stage by the committee,
the frozen electorate, closing past the closing time, the law's quorum and majority on a small scale,
and the proposal's vote stage completed by the result."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy import func, select, update

from app.models import BallotBox, VoteSession
from tests.api.vote_setup import audit_payloads, cast, new_council, new_vote, open_vote, proposal_at_vote, village_of
from tests.factories import iso, items, now, ok, refused

# votes opened today (2026 on) are decided under the 2025 amendment (the assembly rule is its 第二十六条)
ASSEMBLY_2025 = "依据《村民委员会组织法》（2025年修正）第二十六条"

# --- vote sessions --------------------------------------------------------------------------

def test_a_vote_is_created_only_in_the_vote_stage_by_the_committee(api, world, db):
    village, committee, clerk, people = village_of(world, 3, "party_member")
    assembly = new_council(api, village, committee)
    party = new_council(api, village, committee, "party")
    custom = new_council(api, village, committee, "custom", name="理事会", member_ids=[p.id for p in people],
                         quorum="2/3", passing="1/2")
    other, other_committee, *_ = village_of(world, 1)
    other_council = new_council(api, other, other_committee)

    body = {"title": "修桥", "body": "方案", "category": "facilities", "procedure": "yishiyiyi"}
    early = ok(api.post(f"/villages/{village.id}/proposals", committee, body), 201)["id"]
    ok(api.post(f"/proposals/{early}/transitions", committee, {"action": "submit"}))
    vote = {"council_id": assembly["id"], "question": "是否同意修桥？", "secret": True,
            "opens_at": iso(now()), "closes_at": iso(now() + timedelta(days=1))}
    refused(api.post(f"/proposals/{early}/votes", committee, vote), 409, "不在表决阶段")

    pid = proposal_at_vote(api, db, village, committee)
    path = f"/proposals/{pid}/votes"
    refused(api.post(path, people[0], vote), 403)
    refused(api.post(path, other_committee, vote), 404)
    refused(api.post(path, None, vote), 401)
    refused(api.post(path, committee, {**vote, "council_id": party["id"]}), 422, "村民会议或村民代表会议")
    refused(api.post(path, committee, {**vote, "council_id": custom["id"]}), 422)
    refused(api.post(path, committee, {**vote, "council_id": other_council["id"]}), 422, "本村")
    refused(api.post(path, committee, {**vote, "closes_at": vote["opens_at"]}), 422, "结束时间")
    refused(api.post(path, committee, {**vote, "options": ["同意"]}), 422, "两个选项")
    refused(api.post(path, committee, {**vote, "options": ["甲", "甲"]}), 422, "重复")
    refused(api.post(path, committee, {**vote, "question": "  "}), 422, "表决事项")
    refused(api.post(path, committee, {**vote, "secret": True, "allow_change": True}), 422, "不能改票")
    refused(api.post(path, committee, {**vote, "special_rule": "nope"}), 422)
    refused(api.post(path, committee, {**vote, "opens_at": "tomorrow"}), 422)

    day = (now() + timedelta(days=30)).date().isoformat()  # within the year a vote may be planned ahead
    created = ok(api.post(path, committee, {**vote, "opens_at": f"{day}T08:00:00+08:00",
                                            "closes_at": f"{day}T12:00:00"}), 201)
    assert created["state"] == "draft" and created["options"] == ["同意", "反对", "弃权"]
    assert created["opens_at"] == f"{day}T00:00:00Z" and created["closes_at"] == f"{day}T12:00:00Z"
    assert created["fingerprint"] is None and created["turnout"] == 0 and created["result"] is None
    assert created["council"] == {"id": assembly["id"], "kind": "assembly", "kind_name": "村民会议",
                                  "name": "村民会议"}
    assert created["citation"] == ASSEMBLY_2025  # opens in 2026: the 2025 amendment
    refused(api.post(path, committee, vote), 409, "未结束的表决")
    # a draft can be edited; the options may become a choice among plans
    edited = ok(api.patch(f"/votes/{created['id']}", committee, {"question": "选哪个方案？",
                                                                  "options": ["方案甲", "方案乙"]}))
    assert edited["question"] == "选哪个方案？" and edited["options"] == ["方案甲", "方案乙"]
    refused(api.patch(f"/votes/{created['id']}", people[0], {"question": "改"}), 403)
    refused(api.patch(f"/votes/{created['id']}", committee, {"closes_at": "2029-01-01T00:00:00Z"}), 422)
    refused(api.post(f"/votes/{created['id']}/open", people[0]), 403)


def test_a_vote_past_its_close_is_closed_by_the_job_never_by_a_read(api, world, db, database, settings):
    from app.services import jobs

    village, committee, clerk, people, pid, vote = open_vote(api, world, db)
    ok(cast(api, vote["id"], people[0], 0), 201)
    db.execute(update(VoteSession).where(VoteSession.id == vote["id"]).values(
        closes_at=now() - timedelta(seconds=1)))
    db.commit()
    refused(api.get(f"/votes/{vote['id']}/ballot-box"), 401)  # anonymous: not closed yet, so not public
    assert ok(api.get(f"/votes/{vote['id']}", people[1]))["state"] == "open"
    db.expire_all()
    assert db.get(VoteSession, vote["id"]).state == "open"
    assert dict(jobs.run_due(database.engine, settings, only="close_votes"))["close_votes"] == "结束表决 1 次"
    box = items(api.get(f"/votes/{vote['id']}/ballot-box"))
    assert [(b["choice"], b["choice_label"]) for b in box] == [(0, "同意")]
    assert ok(api.get(f"/votes/{vote['id']}/result"))["counts"][0]["count"] == 1


def test_the_electorate_and_question_are_frozen_at_opening(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db)
    sid = vote["id"]
    electorate = items(api.get(f"/votes/{sid}/electorate", people[0]))
    ids = sorted(p["id"] for p in electorate)
    assert ids == sorted([committee.id, clerk.id, *(p.id for p in people)]) and vote["electorate_size"] == 6
    # recomputed from the documented bytes (docs/hashes.md), not by the function under test
    documented = "".join(f"{i}\n" for i in ids) + "--\n" + vote["question"] + "\n--\n" + json.dumps(
        vote["options"], ensure_ascii=False)
    assert vote["fingerprint"] == hashlib.sha256(documented.encode()).hexdigest()
    refused(api.get(f"/votes/{sid}/electorate", None), 401)

    newcomer = world.member(village, name="新迁入")
    refused(cast(api, sid, newcomer, 0), 403, "名单在表决开始时确定")
    assert items(api.get(f"/villages/{village.id}/councils", committee))[0]["members"] == 7  # the council grew

    refused(api.patch(f"/votes/{sid}", committee, {"question": "是否同意硬化村西头道路？"}), 409, "已锁定")
    refused(api.patch(f"/votes/{sid}", committee, {"options": ["同意", "反对"]}), 409)
    again = ok(api.get(f"/votes/{sid}", committee))
    assert again["fingerprint"] == vote["fingerprint"] and again["question"] == vote["question"]
    assert again["electorate_size"] == 6
    events = [(e, p) for e, p in audit_payloads(db, village.id) if e.action == "vote.edit_refused"]
    assert len(events) == 2 and events[0][0].actor_id == committee.id
    assert events[0][1]["data"] == {"fields": ["question"]} and events[0][0].entity_id == str(sid)
    opened = [p for e, p in audit_payloads(db, village.id) if e.action == "vote.open"]
    assert opened[0]["data"]["fingerprint"] == vote["fingerprint"]

    ok(api.post(f"/votes/{sid}/close", committee))
    refused(api.patch(f"/votes/{sid}", committee, {"question": "改"}), 409)
    assert ok(api.get(f"/votes/{sid}"))["fingerprint"] == vote["fingerprint"]


# --- the law's thresholds, end to end on a small scale ------------------------------------------

def _decide(api, db, village, committee, council_id, voters, yes: int, *, procedure="yishiyiyi") -> dict:
    pid = proposal_at_vote(api, db, village, committee, procedure=procedure)
    sid = new_vote(api, pid, committee, council_id)["id"]
    ok(api.post(f"/votes/{sid}/open", committee))
    for i, voter in enumerate(voters):
        ok(cast(api, sid, voter, 0 if i < yes else 1), 201)
    ok(api.post(f"/votes/{sid}/close", committee))
    result = ok(api.get(f"/votes/{sid}/result"))
    result["proposal_id"] = pid
    return result


def test_representatives_council_of_nine_needs_six_present_and_a_majority_of_them(api, world, db):
    village, committee, clerk, reps = village_of(world, 9, "representative", prefix="代表")
    council = new_council(api, village, committee, "representatives")
    assert council["members"] == 9 and council["quorum_rule"] == "村民代表会议组成人员的三分之二以上"
    cases = [(6, 4, True, True), (6, 3, True, False), (5, 5, False, False), (9, 5, True, True)]
    for present, yes, met, passed in cases:
        result = _decide(api, db, village, committee, council["id"], reps[:present], yes)
        assert result["quorum"]["required"] == 6
        assert (result["quorum"]["present"], result["quorum"]["met"], result["passed"]) == (present, met, passed)
        assert result["yes"] == yes and result["yes_needed"] == present // 2 + 1
        assert result["rule"] == "到会人员的过半数同意" and result["citation"] == (
            "依据《村民委员会组织法》（2025年修正）第三十条")
        state = ok(api.post(f"/proposals/{result['proposal_id']}/transitions", committee,
                            {"action": "advance"}))["state"]
        assert state == ("notice" if passed else "rejected")


def test_custom_council_with_its_own_thresholds(api, world, db):
    village, committee, clerk, people = village_of(world, 9)
    council = new_council(api, village, committee, "custom", name="村民理事会", member_ids=[p.id for p in people],
                          quorum="2/3", quorum_inclusive=True, passing="1/2", passing_inclusive=False)
    met = _decide(api, db, village, committee, council["id"], people[:6], 4, procedure="simple")
    assert (met["quorum"]["required"], met["quorum"]["met"], met["passed"]) == (6, True, True)
    assert "村民理事会章程" in met["citation"]
    short = _decide(api, db, village, committee, council["id"], people[:5], 5, procedure="simple")
    assert (short["quorum"]["met"], short["passed"]) == (False, False)
    # the committee, not being a member, cannot vote in it
    pid = proposal_at_vote(api, db, village, committee, procedure="simple")
    sid = new_vote(api, pid, committee, council["id"])["id"]
    ok(api.post(f"/votes/{sid}/open", committee))
    refused(cast(api, sid, committee, 0), 403, "名单")


def test_an_assembly_vote_completes_the_proposal_stage(api, world, db):
    village, committee, clerk, people = village_of(world, 3)  # five adults: three must take part
    council = new_council(api, village, committee)
    pid = proposal_at_vote(api, db, village, committee)
    refused(api.post(f"/proposals/{pid}/transitions", committee, {"action": "advance"}), 409, "还没有表决结果")
    sid = new_vote(api, pid, committee, council["id"])["id"]
    ok(api.post(f"/votes/{sid}/open", committee))
    for voter in (people[0], people[1], clerk):
        ok(cast(api, sid, voter, 0), 201)
    refused(api.post(f"/proposals/{pid}/transitions", committee, {"action": "advance"}), 409, "还没有表决结果")
    refused(api.post(f"/votes/{sid}/close", people[0]), 403)
    closed = ok(api.post(f"/votes/{sid}/close", committee))
    assert closed["result"]["passed"] is True and closed["my_ballot"]["voted"] is False
    result = ok(api.get(f"/votes/{sid}/result"))
    assert result["quorum"]["required"] == 3 and result["quorum"]["present"] == 3 and result["quorum"]["met"]
    assert result["rule"] == "到会人员的过半数同意"
    assert result["citation"] == ASSEMBLY_2025
    assert result["summary"] == f"{ASSEMBLY_2025}：到会人员的过半数同意"
    assert result["winner"] == "同意" and result["electorate"] == 5
    public = ok(api.get(f"/votes/{sid}"))  # anyone may read a closed vote
    assert public["result"]["passed"] is True and public["my_ballot"] is None
    assert public["result"]["duplicates"] is None and closed["result"]["duplicates"] == []
    _, other_committee, _, _ = village_of(world, 0)
    assert ok(api.get(f"/votes/{sid}", other_committee))["result"] == public["result"]
    refused(cast(api, sid, other_committee, 0), 404)
    assert ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "advance"}))["state"] == "notice"

    failed = proposal_at_vote(api, db, village, committee, title="修建文化广场")
    sid = new_vote(api, failed, committee, council["id"])["id"]
    ok(api.post(f"/votes/{sid}/open", committee))
    ok(cast(api, sid, people[0], 0), 201)
    ok(cast(api, sid, people[1], 1), 201)
    ok(cast(api, sid, people[2], 2), 201)  # abstentions count as present, not as yes
    ok(api.post(f"/votes/{sid}/close", committee))
    result = ok(api.get(f"/votes/{sid}/result"))
    assert result["quorum"]["met"] is True and result["passed"] is False
    assert ok(api.post(f"/proposals/{failed}/transitions", committee, {"action": "advance"}))["state"] == "rejected"

    verified = ok(api.get(f"/villages/{village.id}/audit/verify"))
    assert verified["ok"] is True and verified["checked"] > 0


def test_the_vote_stage_completes_when_the_closing_time_passed_unattended(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=2)
    for voter in (committee, clerk, people[0]):
        ok(cast(api, vote["id"], voter, 0), 201)
    db.execute(update(VoteSession).where(VoteSession.id == vote["id"]).values(
        closes_at=now() - timedelta(seconds=1)))
    db.commit()
    assert ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "advance"}))["state"] == "notice"
    db.expire_all()
    assert db.get(VoteSession, vote["id"]).state == "closed"
    assert db.execute(select(func.count()).select_from(BallotBox).where(
        BallotBox.vote_session_id == vote["id"])).scalar_one() == 3
