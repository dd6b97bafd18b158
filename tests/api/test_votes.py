"""Councils and votes through the API, on both engines: who may vote and when, the frozen electorate,
secrecy, receipts and the public ballot box, roll-call changes, proxies, paper tallies, the law's
quorum and majority on a small scale, and the proposal's vote stage completed by the result."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select, update

from app.domain import votes as V
from app.models import AuditEvent, BallotBox, BallotRegister, Proposal, VillagerGroup, VoteSession
from tests.factories import Api

BASE = "/api/v1"


def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def refused(response, status: int, detail: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if detail is not None:
        assert detail in body["detail"], body["detail"]
    return body


def village_of(world, villagers: int = 4, *roles: str, prefix: str = "村民"):
    """A village with two committee members (主任, 文书) and `villagers` adults with `roles`."""
    village = world.village()
    committee = world.member(village, "committee", name="主任")
    clerk = world.member(village, "committee", name="文书")
    people = [world.member(village, *roles, name=f"{prefix}{i}") for i in range(villagers)]
    return village, committee, clerk, people


def proposal_at_vote(api: Api, db, village, committee, *, procedure: str = "yishiyiyi",
                     title: str = "硬化村东头道路") -> int:
    body = {"title": title, "body": "修 300 米水泥路。", "category": "facilities", "procedure": procedure}
    pid = ok(api.post(f"/villages/{village.id}/proposals", committee, body), 201)["id"]
    ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "submit"}))
    # the minimum days of deliberation have passed
    db.execute(update(Proposal).where(Proposal.id == pid).values(stage_entered_at=now() - timedelta(days=30)))
    db.commit()
    assert ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "advance"}))["state"] == "vote"
    return pid


def new_council(api: Api, village, committee, kind: str = "assembly", **extra) -> dict:
    return ok(api.post(f"/villages/{village.id}/councils", committee, {"kind": kind, **extra}), 201)


def new_vote(api: Api, pid: int, committee, council_id: int, *, secret: bool = True, allow_change: bool = False,
             opens_at: datetime | None = None, closes_at: datetime | None = None, **extra) -> dict:
    body = {"council_id": council_id, "question": "是否同意硬化村东头道路？", "secret": secret,
            "allow_change": allow_change, "opens_at": iso(opens_at or now() - timedelta(minutes=1)),
            "closes_at": iso(closes_at or now() + timedelta(days=1)), **extra}
    return ok(api.post(f"/proposals/{pid}/votes", committee, body), 201)


def open_vote(api: Api, world, db, *, villagers: int = 4, secret: bool = True, allow_change: bool = False,
              kind: str = "assembly", roles: tuple[str, ...] = ()):
    """A village, a proposal at its vote stage and an open vote of its assembly."""
    village, committee, clerk, people = village_of(world, villagers, *roles)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee, kind)
    vote = new_vote(api, pid, committee, council["id"], secret=secret, allow_change=allow_change)
    vote = ok(api.post(f"/votes/{vote['id']}/open", committee))
    return village, committee, clerk, people, pid, vote


def cast(api: Api, sid: int, user, choice: int, **extra):
    return api.post(f"/votes/{sid}/ballots", user, {"choice": choice, **extra})


def audit_payloads(db, village_id: int) -> list[tuple[AuditEvent, dict]]:
    rows = db.execute(select(AuditEvent).where(AuditEvent.village_id == village_id).order_by(AuditEvent.seq))
    return [(e, json.loads(bytes(e.payload))) for e in rows.scalars()]


# --- councils -------------------------------------------------------------------------------

def test_councils_create_list_read_and_refusals(api, world, db):
    village, committee, clerk, people = village_of(world, 3)
    world.member(village, name="小孩", birth_date=date.today() - timedelta(days=365 * 10))
    grouped = [world.member(village, name=f"一组{i}", group="一组") for i in range(2)]
    other, other_committee, _, other_people = village_of(world, 1)
    assert ok(api.get(f"/villages/{village.id}/councils", committee)) == []

    assembly = new_council(api, village, committee)
    assert assembly["kind_name"] == "村民会议" and assembly["name"] == "村民会议"
    assert assembly["members"] == 7  # the adults: 主任, 文书, three villagers, two of group one
    assert assembly["quorum_rule"].startswith("本村 18 周岁以上村民的过半数")
    assert assembly["passing_rule"] == "到会人员的过半数" and "第二十二条" in assembly["citation"]

    group_id = db.execute(select(VillagerGroup.id).where(VillagerGroup.village_id == village.id)).scalar_one()
    group = new_council(api, village, committee, "group", name="一组村民会议", group_id=group_id)
    assert group["members"] == 2 and group["group_id"] == group_id

    members = [p.id for p in people[:3]]
    custom = new_council(api, village, committee, "custom", name="村民议事会", member_ids=members,
                         quorum="2/3", passing="1/2")
    assert custom["members"] == 3
    assert custom["quorum_rule"] == "组成人员的三分之二以上" and custom["passing_rule"] == "到会人员的过半数"

    listed = ok(api.get(f"/villages/{village.id}/councils", people[0]))
    assert [c["id"] for c in listed] == [assembly["id"], group["id"], custom["id"]]
    detail = ok(api.get(f"/councils/{custom['id']}", people[0]))
    assert sorted(m["id"] for m in detail["member_list"]) == sorted(members)
    assert {m["name"] for m in ok(api.get(f"/councils/{group['id']}", committee))["member_list"]} == {
        g.name for g in grouped}
    monitor = world.monitor(village.township_id)
    assert ok(api.get(f"/councils/{assembly['id']}", monitor))["members"] == 7

    # refusals
    path = f"/villages/{village.id}/councils"
    refused(api.post(path, people[0], {"kind": "assembly"}), 403)
    refused(api.post(path, other_committee, {"kind": "assembly"}), 404)
    refused(api.get(path, other_committee), 404)
    refused(api.get(f"/councils/{assembly['id']}", other_committee), 404)
    refused(api.get(f"/councils/{assembly['id']}"), 401)
    refused(api.post(path, monitor, {"kind": "assembly"}), 403)
    refused(api.post(path, committee, {"kind": "parliament"}), 422, "类别")
    bad = {"kind": "custom", "name": "理事会", "member_ids": members}
    refused(api.post(path, committee, {**bad, "quorum": "two thirds", "passing": "1/2"}), 422, "2/3")
    refused(api.post(path, committee, {**bad, "quorum": "2/3", "passing": "1/2/3"}), 422)
    refused(api.post(path, committee, {**bad, "quorum": "4/3", "passing": "1/2"}), 422)
    refused(api.post(path, committee, {**bad, "quorum": "0/3", "passing": "1/2"}), 422)
    refused(api.post(path, committee, {**bad, "passing": "1/2"}), 422)  # a custom body needs both
    refused(api.post(path, committee, {**bad, "member_ids": [], "quorum": "2/3", "passing": "1/2"}), 422)
    refused(api.post(path, committee, {**bad, "member_ids": [other_people[0].id], "quorum": "2/3",
                                       "passing": "1/2"}), 422, "本村")
    other_group = world.member(other, name="外村一组", group="一组")
    other_group_id = db.execute(select(VillagerGroup.id).where(VillagerGroup.village_id == other.id)).scalar_one()
    assert other_group
    refused(api.post(path, committee, {"kind": "group", "group_id": other_group_id}), 422, "本村的村民小组")
    refused(api.post(path, committee, {"kind": "group"}), 422)
    refused(api.post(path, committee, {"kind": "assembly", "name": "会" * 51}), 422)
    # nothing was created by the refusals
    assert len(ok(api.get(path, committee))) == 3


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

    created = ok(api.post(path, committee, {**vote, "opens_at": "2030-01-01T08:00:00+08:00",
                                            "closes_at": "2030-01-02T00:00:00"}), 201)
    assert created["state"] == "draft" and created["options"] == ["同意", "反对", "弃权"]
    assert created["opens_at"] == "2030-01-01T00:00:00Z" and created["closes_at"] == "2030-01-02T00:00:00Z"
    assert created["fingerprint"] is None and created["turnout"] == 0 and created["result"] is None
    assert created["council"] == {"id": assembly["id"], "kind": "assembly", "kind_name": "村民会议",
                                  "name": "村民会议"}
    assert "第二十二条" in created["citation"]
    refused(api.post(path, committee, vote), 409, "未结束的表决")
    # a draft can be edited; the options may become a choice among plans
    edited = ok(api.patch(f"/votes/{created['id']}", committee, {"question": "选哪个方案？",
                                                                  "options": ["方案甲", "方案乙"]}))
    assert edited["question"] == "选哪个方案？" and edited["options"] == ["方案甲", "方案乙"]
    refused(api.patch(f"/votes/{created['id']}", people[0], {"question": "改"}), 403)
    refused(api.patch(f"/votes/{created['id']}", committee, {"closes_at": "2029-01-01T00:00:00Z"}), 422)
    refused(api.post(f"/votes/{created['id']}/open", people[0]), 403)


def test_who_may_vote(api, world, db):
    village, committee, clerk, people = village_of(world, 3)
    child = world.member(village, name="小孩", birth_date=date.today() - timedelta(days=365 * 17))
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    sid = new_vote(api, pid, committee, council["id"])["id"]
    opened = ok(api.post(f"/votes/{sid}/open", committee))
    assert opened["state"] == "open" and opened["electorate_size"] == 5  # 17 is not 18
    other, other_committee, _, outsiders = village_of(world, 1)
    monitor = world.monitor(village.township_id)
    nobody = world.user(name="无村籍")

    refused(cast(api, sid, child, 0), 403, "名单")
    refused(cast(api, sid, outsiders[0], 0), 404)
    refused(cast(api, sid, other_committee, 0), 404)
    refused(cast(api, sid, nobody, 0), 404)
    refused(cast(api, sid, monitor, 0), 403, "本村村民")
    refused(cast(api, sid, None, 0), 401)
    refused(cast(api, sid, people[0], 3), 422, "选项")
    refused(cast(api, sid, people[0], -1), 422)
    refused(api.post(f"/votes/{sid}/ballots", people[0], {"choice": "同意"}), 422)
    receipt = ok(cast(api, sid, people[0], 0), 201)
    assert set(receipt) == {"receipt", "changed"} and len(receipt["receipt"]) == V.RECEIPT_LENGTH
    assert receipt["changed"] is False
    refused(cast(api, sid, people[0], 1), 409, "已经投过票")
    assert ok(api.get(f"/votes/{sid}", people[1]))["turnout"] == 1
    # refusals wrote nothing: one ballot, one register row
    assert db.execute(select(func.count()).select_from(BallotRegister).where(
        BallotRegister.vote_session_id == sid)).scalar_one() == 1


def test_no_voting_before_the_opening_and_none_after_the_closing_time(api, world, db):
    village, committee, clerk, people = village_of(world, 4)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    vote = new_vote(api, pid, committee, council["id"], opens_at=now() + timedelta(hours=1))
    sid = vote["id"]
    refused(cast(api, sid, people[0], 0), 409, "还没有开始")  # a draft
    ok(api.post(f"/votes/{sid}/open", committee))
    refused(cast(api, sid, people[0], 0), 409, "还没有开始")  # open, but before opens_at
    db.execute(update(VoteSession).where(VoteSession.id == sid).values(opens_at=now() - timedelta(minutes=1)))
    db.commit()
    ok(cast(api, sid, people[0], 0), 201)
    ok(cast(api, sid, people[1], 1), 201)
    refused(api.post(f"/votes/{sid}/open", committee), 409)

    # the closing time passes and nobody closes the vote
    db.execute(update(VoteSession).where(VoteSession.id == sid).values(closes_at=now() - timedelta(seconds=1)))
    db.commit()
    refused(cast(api, sid, people[2], 0), 409, "已经结束")
    seen = ok(api.get(f"/votes/{sid}", people[3]))
    assert seen["state"] == "closed" and seen["closed_at"] is not None
    assert [c["count"] for c in seen["result"]["counts"]] == [1, 1, 0]
    assert seen["result"]["quorum"]["present"] == 2
    refused(api.post(f"/votes/{sid}/close", committee), 409)
    refused(cast(api, sid, people[3], 0), 409, "已经结束")
    closes = [p for e, p in audit_payloads(db, village.id) if e.action == "vote.close"]
    assert len(closes) == 1 and closes[0]["data"]["automatic"] is True and closes[0]["actor_id"] is None


def test_a_vote_past_its_close_is_closed_for_the_public_too(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db)
    ok(cast(api, vote["id"], people[0], 0), 201)
    db.execute(update(VoteSession).where(VoteSession.id == vote["id"]).values(
        closes_at=now() - timedelta(seconds=1)))
    db.commit()
    box = ok(api.get(f"/votes/{vote['id']}/ballot-box"))  # anonymous: closes it on the way
    assert [b["choice"] for b in box] == ["同意"]
    assert ok(api.get(f"/votes/{vote['id']}/result"))["counts"][0]["count"] == 1


def test_the_electorate_and_question_are_frozen_at_opening(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db)
    sid = vote["id"]
    electorate = ok(api.get(f"/votes/{sid}/electorate", people[0]))
    ids = sorted(p["id"] for p in electorate)
    assert ids == sorted([committee.id, clerk.id, *(p.id for p in people)]) and vote["electorate_size"] == 6
    assert vote["fingerprint"] == V.fingerprint(ids, vote["question"], vote["options"])
    refused(api.get(f"/votes/{sid}/electorate", None), 401)

    newcomer = world.member(village, name="新迁入")
    refused(cast(api, sid, newcomer, 0), 403, "名单在表决开始时确定")
    assert ok(api.get(f"/villages/{village.id}/councils", committee))[0]["members"] == 7  # the council grew

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


# --- secrecy, receipts and the public ballot box --------------------------------------------

def test_a_secret_vote_keeps_no_link_between_voter_and_choice(api, world, db, database):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=5)
    sid = vote["id"]
    choices = [(committee, 0), (clerk, 0), (people[0], 1), (people[1], 0), (people[2], 2)]
    receipts = {}
    for user, choice in choices:
        answer = ok(cast(api, sid, user, choice), 201)
        assert set(answer) == {"receipt", "changed"}
        receipts[user.id] = answer["receipt"]
    refused(cast(api, sid, people[1], 1), 409, "无记名投票不能改票")

    # my ballot: voted, but neither the choice nor the receipt are kept with the voter
    mine = ok(api.get(f"/votes/{sid}/my-ballot", people[0]))
    assert mine == {"voted": True, "secret": True, "choice": None, "receipt": None, "cast_by_proxy": False}
    assert ok(api.get(f"/votes/{sid}/my-ballot", people[3]))["voted"] is False

    # before close: turnout only, for the committee and the monitor too; no result, no box
    monitor = world.monitor(village.township_id)
    for user in (committee, people[0], monitor):
        seen = ok(api.get(f"/votes/{sid}", user))
        assert seen["turnout"] == 5 and seen["result"] is None
        assert seen["my_ballot"] is None if user is monitor else seen["my_ballot"]["choice"] is None
        refused(api.get(f"/votes/{sid}/result", user), 409, "表决结束后才公布结果")
        refused(api.get(f"/votes/{sid}/ballot-box", user), 409)
    refused(api.get(f"/votes/{sid}/result"), 401)
    refused(api.get(f"/votes/{sid}/receipts/{receipts[committee.id]}"), 404)
    refused(api.get(f"/votes/{sid}"), 401)

    # the storage: the register and the box share nothing but the session
    inspector = inspect(database.engine)
    register = {c["name"] for c in inspector.get_columns("ballot_register")}
    box = {c["name"] for c in inspector.get_columns("ballot_box")}
    assert register & box == {"vote_session_id"}
    assert register == {"vote_session_id", "voter_id", "cast_by"} and box == {"id", "vote_session_id", "choice",
                                                                               "receipt"}

    closed = ok(api.post(f"/votes/{sid}/close", committee))
    assert closed["state"] == "closed" and closed["turnout"] == 5

    # the public ballot box (no login) recounts exactly to the result
    public = ok(api.get(f"/votes/{sid}/ballot-box"))
    assert all(set(b) == {"receipt", "choice", "voter"} and b["voter"] is None for b in public)
    result = ok(api.get(f"/votes/{sid}/result"))
    recount = Counter(b["choice"] for b in public)
    assert [{"option": o, "count": recount.get(o, 0)} for o in vote["options"]] == result["counts"]
    assert result["counts"] == [{"option": "同意", "count": 3}, {"option": "反对", "count": 1},
                                {"option": "弃权", "count": 1}]
    assert sorted(b["receipt"] for b in public) == sorted(receipts.values())
    # committee members see the same box: no names in a secret vote
    assert ok(api.get(f"/votes/{sid}/ballot-box", committee)) == public

    # every voter finds their own ballot by receipt
    for user, choice in choices:
        found = ok(api.get(f"/votes/{sid}/receipts/{receipts[user.id]}"))
        assert found == {"receipt": receipts[user.id], "choice": vote["options"][choice]}
    lower = receipts[people[0].id].lower()
    assert ok(api.get(f"/votes/{sid}/receipts/{lower[:5]}-{lower[5:]}"))["choice"] == "反对"
    refused(api.get(f"/votes/{sid}/receipts/ZZZZZZZZZZ"), 404)
    refused(api.get("/votes/999999999/receipts/ZZZZZZZZZZ"), 404)

    # the audit record: ballots have no actor and no choice; no receipt is logged anywhere
    events = audit_payloads(db, village.id)
    ballots = [(e, p) for e, p in events if e.action.startswith("vote.ballot")]
    assert len(ballots) == 5
    for event, payload in ballots:
        assert event.actor_id is None and payload["actor_id"] is None
        assert payload["data"] == {"on_behalf": False}
    raw = b"".join(bytes(e.payload) for e, _ in events)
    assert not any(r.encode() in raw for r in receipts.values())
    voters = {u.id for u, _ in choices}
    for _, payload in events:
        data = payload["data"]
        assert not ("choice" in data and (data.get("voter_id") in voters or payload["actor_id"] in voters))
    # nor do the API's answers about the vote
    for user, _ in choices:
        text = api.get(f"/votes/{sid}", user).text + api.get(f"/votes/{sid}/my-ballot", user).text
        assert not any(r in text for r in receipts.values())


def test_roll_call_ballots_may_be_changed_when_allowed(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, secret=False, allow_change=True)
    sid = vote["id"]
    first = ok(cast(api, sid, people[0], 0), 201)
    assert first["changed"] is False
    second = ok(cast(api, sid, people[0], 1), 201)
    assert second == {"receipt": first["receipt"], "changed": True}
    mine = ok(api.get(f"/votes/{sid}/my-ballot", people[0]))
    assert mine == {"voted": True, "secret": False, "choice": "反对", "receipt": first["receipt"],
                    "cast_by_proxy": False}
    ok(cast(api, sid, people[1], 0), 201)
    assert ok(api.get(f"/votes/{sid}", committee))["turnout"] == 2
    ok(api.post(f"/votes/{sid}/close", committee))
    refused(cast(api, sid, people[0], 2), 409, "已经结束")
    named = ok(api.get(f"/votes/{sid}/ballot-box", people[2]))
    assert sorted((b["voter"], b["choice"]) for b in named) == [("村民0", "反对"), ("村民1", "同意")]
    public = ok(api.get(f"/votes/{sid}/ballot-box"))
    assert all(b["voter"] is None for b in public) and len(public) == 2
    assert ok(api.get(f"/votes/{sid}/receipts/{first['receipt']}"))["choice"] == "反对"
    changes = [p for e, p in audit_payloads(db, village.id) if e.action == "vote.ballot_changed"]
    assert changes[0]["data"] == {"on_behalf": False, "voter_id": people[0].id, "choice": 1, "changed": True}


def test_roll_call_without_change_refuses_a_second_ballot(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, secret=False)
    assert vote["allow_change"] is False
    receipt = ok(cast(api, vote["id"], people[0], 0), 201)["receipt"]
    refused(cast(api, vote["id"], people[0], 1), 409, "不能改票")
    assert ok(api.get(f"/votes/{vote['id']}/my-ballot", people[0]))["choice"] == "同意"
    assert ok(api.get(f"/votes/{vote['id']}/my-ballot", people[0]))["receipt"] == receipt


# --- proxies --------------------------------------------------------------------------------

def test_proxies_are_capped_and_cast_on_behalf(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=7)
    sid = vote["id"]
    proxy, *voters = people
    path = f"/votes/{sid}/proxies"
    for voter in voters[:3]:
        row = ok(api.post(path, committee, {"voter_id": voter.id, "proxy_id": proxy.id}), 201)
        assert row == {"voter_id": voter.id, "voter": voter.name, "proxy_id": proxy.id, "proxy": proxy.name,
                       "attachment_id": None}
    refused(api.post(path, committee, {"voter_id": voters[3].id, "proxy_id": proxy.id}), 409, "最多接受 3 份委托")
    refused(api.post(path, committee, {"voter_id": voters[0].id, "proxy_id": voters[4].id}), 409, "委托过了")
    refused(api.post(path, committee, {"voter_id": voters[3].id, "proxy_id": voters[3].id}), 422)
    other, _, _, outsiders = village_of(world, 1)
    refused(api.post(path, committee, {"voter_id": voters[3].id, "proxy_id": outsiders[0].id}), 422, "本村")
    refused(api.post(path, proxy, {"voter_id": voters[3].id, "proxy_id": voters[4].id}), 403)

    listed = ok(api.get(path, voters[5]))
    assert sorted(p["voter"] for p in listed) == sorted(v.name for v in voters[:3])
    refused(api.get(path), 401)
    refused(api.get(path, outsiders[0]), 404)

    ok(cast(api, sid, proxy, 0, on_behalf_of=voters[0].id), 201)
    refused(cast(api, sid, voters[0], 1), 409, "已经投过票")
    assert ok(api.get(f"/votes/{sid}/my-ballot", voters[0]))["cast_by_proxy"] is True
    refused(cast(api, sid, voters[4], 0, on_behalf_of=voters[1].id), 403, "书面委托")
    refused(cast(api, sid, proxy, 0, on_behalf_of=voters[3].id), 403)
    ok(cast(api, sid, proxy, 1), 201)  # and their own
    ok(cast(api, sid, voters[1], 2), 201)  # a voter may still vote in person
    refused(cast(api, sid, proxy, 0, on_behalf_of=voters[1].id), 409)
    ok(api.post(path, committee, {"voter_id": voters[5].id, "proxy_id": voters[1].id}), 201)
    refused(api.post(path, committee, {"voter_id": voters[1].id, "proxy_id": voters[4].id}), 409, "已经投过票")

    ok(api.post(f"/votes/{sid}/close", committee))
    result = ok(api.get(f"/votes/{sid}/result", committee))
    assert result["quorum"]["present"] == 3 and [c["count"] for c in result["counts"]] == [1, 1, 1]
    events = [p for e, p in audit_payloads(db, village.id) if e.action == "vote.ballot"]
    assert [p["data"] for p in events] == [{"on_behalf": True}, {"on_behalf": False}, {"on_behalf": False}]
    refused(api.post(path, committee, {"voter_id": voters[4].id, "proxy_id": voters[5].id}), 409, "已经结束")


# --- in-person meetings -----------------------------------------------------------------------

def test_paper_tally_needs_a_second_member_and_counts_people_once(api, world, db):
    village, committee, clerk, people, pid, vote = open_vote(api, world, db, villagers=6)
    sid = vote["id"]  # electorate 8: quorum needs more than 4 present
    ok(cast(api, sid, people[0], 0), 201)  # votes online, then also signs in at the meeting
    present = [p.id for p in people[:4]]  # four signed in: three paper ballots at most
    path = f"/votes/{sid}/paper-tally"
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [3, 1, 1], "invalid": 0}), 422,
            "超过签到人数")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [2, 1, 0], "invalid": 1}), 422,
            "已在网上投票")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [2, 1], "invalid": 0}), 422, "每个选项")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [2, -1, 0], "invalid": 0}), 422)
    _, _, _, outsiders = village_of(world, 1)
    newcomer = world.member(village, name="新迁入")
    for stranger in (outsiders[0], newcomer):
        refused(api.post(path, committee, {"present_user_ids": [*present, stranger.id], "counts": [1, 0, 0],
                                           "invalid": 0}), 422, "不在本次表决的名单中")
    refused(api.post(path, people[1], {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 1}), 403)
    refused(api.get(path, committee), 404, "还没有录入")
    refused(api.post(f"{path}/confirm", clerk), 409, "还没有录入")

    recorded = ok(api.post(path, committee, {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 1,
                                             "minutes": "村委会议室，签到 4 人"}), 201)
    assert recorded["confirmed"] is False and len(recorded["present"]) == 4
    assert recorded["counts"] == [{"option": "同意", "count": 1}, {"option": "反对", "count": 1},
                                  {"option": "弃权", "count": 0}]
    refused(cast(api, sid, people[1], 0), 409, "现场")  # signed in: their paper ballot stands
    refused(api.post(f"/votes/{sid}/close", committee), 409, "确认")
    refused(api.post(f"{path}/confirm", committee), 409, "另一名")
    refused(api.post(f"{path}/confirm", people[1]), 403)
    confirmed = ok(api.post(f"{path}/confirm", clerk))
    assert confirmed["confirmed"] is True and confirmed["confirmed_by"] == clerk.id
    refused(api.post(f"{path}/confirm", clerk), 409, "确认过了")
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 0}), 409)
    assert ok(api.get(path, people[5]))["minutes"] == "村委会议室，签到 4 人"

    ok(cast(api, sid, people[4], 0), 201)  # one more online
    ok(api.post(f"/votes/{sid}/close", committee))
    result = ok(api.get(f"/votes/{sid}/result", people[5]))
    # five different people took part (people[0] signed in and voted online: counted once)
    quorum = result["quorum"]
    assert (quorum["required"], quorum["present"], quorum["met"]) == (5, 5, True)
    assert result["duplicates"] == [people[0].name]
    assert [c["count"] for c in result["counts"]] == [3, 1, 0] and result["invalid"] == 1
    assert result["passed"] is True  # 3 of 5 present
    assert ok(api.get(f"/votes/{sid}/result"))["duplicates"] is None  # names are not for the public
    refused(api.post(path, committee, {"present_user_ids": present, "counts": [1, 1, 0], "invalid": 0}), 409)


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
        assert result["rule"] == "到会人员的过半数同意" and "第二十六条" in result["citation"]
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
    assert result["citation"] == "依据《村民委员会组织法》（2018年修正）第二十二条"
    assert result["summary"] == "依据《村民委员会组织法》（2018年修正）第二十二条：到会人员的过半数同意"
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
