"""Councils through the API, on both engines: setting them up, listing and reading them, refusals;
and retiring one (it leaves the list and takes no new votes; its past stays)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.models import VillagerGroup, utcnow
from app.services import councils, votes
from app.services.access import load_actor
from tests.api.vote_setup import new_council, village_of
from tests.factories import bearer, items, login, ok, proposal_at_vote_stage, refused

# --- councils -------------------------------------------------------------------------------

def test_councils_create_list_read_and_refusals(api, world, db):
    village, committee, clerk, people = village_of(world, 3)
    world.member(village, name="小孩", birth_date=date.today() - timedelta(days=365 * 10))
    grouped = [world.member(village, name=f"一组{i}", group="一组") for i in range(2)]
    other, other_committee, _, other_people = village_of(world, 1)
    assert items(api.get(f"/villages/{village.id}/councils", committee)) == []

    assembly = new_council(api, village, committee)
    assert assembly["kind_name"] == "村民会议" and assembly["name"] == "村民会议"
    assert assembly["members"] == 7  # the adults: 主任, 文书, three villagers, two of group one
    assert assembly["quorum_rule"].startswith("本村 18 周岁以上村民的过半数")
    assert assembly["passing_rule"] == "到会人员的过半数" and assembly["citation"] == (
        "依据《村民委员会组织法》（2025年修正）第二十六条")  # in force today

    group_id = db.execute(select(VillagerGroup.id).where(VillagerGroup.village_id == village.id)).scalar_one()
    group = new_council(api, village, committee, "group", name="一组村民会议", group_id=group_id)
    assert group["members"] == 2 and group["group_id"] == group_id

    members = [p.id for p in people[:3]]
    custom = new_council(api, village, committee, "custom", name="村民议事会", member_ids=members,
                         quorum="2/3", passing="1/2")
    assert custom["members"] == 3
    assert custom["quorum_rule"] == "组成人员的三分之二以上" and custom["passing_rule"] == "到会人员的过半数"

    listed = items(api.get(f"/villages/{village.id}/councils", people[0]))
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
    assert len(items(api.get(path, committee))) == 3


def test_archiving_a_council(client, world, db):
    village = world.village()
    chair_user = world.member(village, "committee")
    villager = world.member(village)
    chair = load_actor(db, chair_user)
    proposal = proposal_at_vote_stage(db, chair, village)
    council = councils.create_council(db, chair, village, kind="assembly", name="")
    now = utcnow()
    vs = votes.create_session(db, chair, proposal.id, council_id=council.id, question="是否同意？", options=None,
                              secret=True, allow_change=False, opens_at=now, closes_at=now + timedelta(days=1))
    h = bearer(client, chair_user)
    busy = client.post(f"/api/v1/councils/{council.id}/archive", headers=h)
    assert busy.status_code == 409 and "未结束的表决" in busy.json()["detail"]
    assert client.post(f"/api/v1/councils/{council.id}/archive",
                       headers=bearer(client, villager)).status_code == 403

    votes.open_session(db, chair, vs.id)
    votes.close_session(db, chair, vs.id)
    # through the page, as the committee would
    token = login(client, chair_user)
    page = client.post(f"/v/{village.slug}/councils/{council.id}/archive", data={"csrf_token": token})
    assert page.status_code == 303
    listed = client.get(f"/api/v1/villages/{village.id}/councils", headers=h).json()["items"]
    assert all(c["id"] != council.id for c in listed)
    assert client.post(f"/api/v1/councils/{council.id}/archive", headers=h).status_code == 409
    # its closed vote keeps its result; it cannot be chosen for a new vote
    assert client.get(f"/api/v1/votes/{vs.id}/result").status_code == 200
    again = client.post(f"/api/v1/proposals/{proposal.id}/votes", headers=h, json={
        "council_id": council.id, "question": "再表决？", "secret": True,
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()})
    assert again.status_code == 422 and again.json()["detail"] == "请选择本村的议事机构"
