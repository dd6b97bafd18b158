"""Assisted participation (代办, issue 12 item 3) through the API: a committee member records, for a
villager without a phone, a paper co-signature (with the scan), an objection or a comment; a second
member confirms it before it counts. Every refusal; one person counts once, on paper or online; the
audit record; the villager's message."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.models import AssistedAct, AuditEvent, Cosignature, Notification, Proposal, User, Village
from tests.factories import Api, ok, pdf, png, refused

MARK = "由李建国代录、王秀英确认"


@dataclass
class Town:
    village: Village
    chair: User  # 李建国, committee
    clerk: User  # 王秀英, committee
    third: User  # a third committee member
    supervisor: User
    author: User  # a villager who raised the matter
    elder: User  # 张大爷: no account (never activated)
    neighbour: User  # a villager with an account
    pid: int  # the author's matter, gathering co-signs
    api: Api

    @property
    def base(self) -> str:
        return f"/villages/{self.village.id}/assisted"

    def record(self, who: User | None = None, *, kind: str = "cosign", user: User | None = None,
               target: int | None = None, body: str = "", scan: bytes | None = b"png"):
        data = {"kind": kind, "user_id": str((user or self.elder).id), "target_id": str(target or self.pid),
                "body": body}
        files = {"scan": ("联署单.png", png() if scan == b"png" else scan, "image/png")} if scan else None
        return self.api.client.post(f"/api/v1{self.base}", data=data, files=files,
                                    headers=self.api.headers(who or self.chair))

    def cosigns(self, db) -> int:
        db.expire_all()
        return db.get(Proposal, self.pid).cosign_count


def make_town(world, api, *, adults: int) -> Town:
    """A village of `adults` adults (the co-sign threshold is a tenth of them) and a villager's matter
    in its co-sign stage (its author the first co-signer)."""
    v = world.village()
    chair = world.member(v, "committee", name="李建国")
    clerk = world.member(v, "committee", name="王秀英")
    third = world.member(v, "committee", name="孙委员")
    supervisor = world.member(v, "supervisor", name="赵监委")
    author = world.member(v, name="刘提议")
    elder = world.member(v, name="张大爷", password=None)
    neighbour = world.member(v, name="陈邻居")
    for _ in range(adults - 7):
        world.member(v, name="村民", password=None)
    pid = ok(api.post(f"/villages/{v.id}/proposals", author, {
        "title": "修建村东头便民桥", "body": "汛期过河危险，建议修一座水泥桥。", "category": "facilities",
        "procedure": "yishiyiyi"}), 201)["id"]
    assert ok(api.post(f"/proposals/{pid}/transitions", author, {"action": "submit"}))["state"] == "cosign"
    return Town(v, chair, clerk, third, supervisor, author, elder, neighbour, pid, api)


@pytest.fixture
def town(world, api) -> Town:
    return make_town(world, api, adults=30)  # 3 co-signers needed: the author and two more


def events(db, village: Village, *actions: str) -> list[tuple[str, int | None, dict]]:
    rows = db.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.payload)
                      .where(AuditEvent.village_id == village.id, AuditEvent.action.in_(actions))
                      .order_by(AuditEvent.seq)).all()
    return [(a, actor, json.loads(payload)["data"]) for a, actor, payload in rows]


def messages(db, user: User) -> list[str]:
    return list(db.execute(select(Notification.text).where(Notification.user_id == user.id)
                           .order_by(Notification.id)).scalars())


# --- a paper co-signature ----------------------------------------------------------------------------

def test_a_paper_cosign_counts_once_a_second_member_confirms_it(town, db):
    t = town
    act = ok(t.record(), 201)
    assert (act["kind"], act["state"], act["person_name"], act["recorder_name"]) == ("cosign", "pending", "张大爷",
                                                                                      "李建国")
    assert act["mark"] is None and len(act["scan_ids"]) == 1
    assert t.cosigns(db) == 1  # recorded, not counted

    refused(t.api.post(f"{t.base}/{act['id']}/confirm", t.chair), 403, "须由另一名村委会成员确认")
    assert t.cosigns(db) == 1

    done = ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    assert (done["state"], done["mark"], done["decider_name"]) == ("confirmed", MARK, "王秀英")
    assert done["cosignature_id"] is not None
    assert t.cosigns(db) == 2
    signer = db.execute(select(Cosignature.user_id).where(Cosignature.id == done["cosignature_id"])).scalar_one()
    assert signer == t.elder.id

    refused(t.api.post(f"{t.base}/{act['id']}/confirm", t.third), 409, "已经确认过了")
    assert t.cosigns(db) == 2

    # audited: recorded (李建国), its scan, confirmed (王秀英), the co-signature itself on the villager's behalf
    got = events(db, t.village, "assisted.record", "attachment.add", "assisted.confirm", "proposal.cosign")
    assert [(a, actor) for a, actor, _ in got][-4:] == [
        ("assisted.record", t.chair.id), ("attachment.add", t.chair.id), ("proposal.cosign", t.clerk.id),
        ("assisted.confirm", t.clerk.id)]
    cosign = got[-2][2]
    assert (cosign["on_behalf_of"], cosign["assisted_id"], cosign["recorded_by"]) == (t.elder.id, act["id"],
                                                                                       t.chair.id)
    # the villager sees it when they next log in (消息)
    told = messages(db, t.elder)
    assert len(told) == 1 and "李建国" in told[0] and "王秀英确认" in told[0] and "修建村东头便民桥" in told[0]
    # the chain still verifies
    assert ok(t.api.get(f"/villages/{t.village.id}/audit/verify"))["ok"]


def test_paper_cosigns_reach_the_threshold_and_move_the_matter_on(world, api, db):
    t = make_town(world, api, adults=20)  # 2 co-signers needed: the author and the elder on paper
    act = ok(t.record(), 201)
    assert ok(t.api.get(f"/proposals/{t.pid}", t.author))["state"] == "cosign"
    ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    assert ok(t.api.get(f"/proposals/{t.pid}", t.author))["state"] == "deliberation"
    moved = events(db, t.village, "proposal.cosigned")
    assert len(moved) == 1 and moved[0][1] == t.clerk.id


def test_a_paper_cosign_then_an_online_one_is_refused(town, db):
    t = town
    act = ok(t.record(user=t.neighbour), 201)
    ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    refused(t.api.post(f"/proposals/{t.pid}/cosign", t.neighbour), 409, "村委会已经为你代录了纸质联署，每人只算一次")
    assert t.cosigns(db) == 2


def test_an_online_cosign_then_a_paper_one_is_refused(town, db):
    t = town
    ok(t.api.post(f"/proposals/{t.pid}/cosign", t.neighbour), 201)
    refused(t.record(user=t.neighbour), 409, "这位村民已经联署过了（网上或纸质），每人只算一次")
    assert db.execute(select(func.count()).select_from(AssistedAct)
                      .where(AssistedAct.village_id == t.village.id)).scalar_one() == 0
    assert t.cosigns(db) == 2


def test_an_online_cosign_while_the_paper_one_waits_stops_its_confirmation(town, db):
    t = town
    act = ok(t.record(user=t.neighbour), 201)
    ok(t.api.post(f"/proposals/{t.pid}/cosign", t.neighbour), 201)
    refused(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk), 409, "每人只算一次")
    assert ok(t.api.get(t.base, t.chair))["items"][0]["state"] == "pending"  # nothing changed
    assert t.cosigns(db) == 2
    ok(t.api.post(f"{t.base}/{act['id']}/reject", t.clerk, {"reason": "本人已在网上联署"}))


def test_a_second_paper_cosign_of_the_same_person_waits_for_the_first(town):
    t = town
    ok(t.record(), 201)
    refused(t.record(who=t.clerk), 409, "已经录入，正等另一名村委会成员确认")


def test_a_paper_cosign_needs_the_scan(town, db):
    t = town
    body = refused(t.record(scan=None), 422, "联署单扫描件或照片")
    assert {"field": "scan", "message": "纸质联署须上传村民签字的联署单扫描件或照片"} in [
        {k: e[k] for k in ("field", "message")} for e in body["errors"]]
    refused(t.record(scan=b"just some words"), 422, "只能上传图片、PDF 或 Office 文档")
    assert db.execute(select(func.count()).select_from(AssistedAct)
                      .where(AssistedAct.village_id == t.village.id)).scalar_one() == 0
    assert ok(t.record(scan=pdf()), 201)["state"] == "pending"  # a PDF of the sheet will do


def test_bad_records_are_refused_and_change_nothing(town, world, db):
    t = town
    other = world.village()
    stranger = world.member(other, name="外村人")
    child = world.member(t.village, name="小明", password=None, birth_date=date(2015, 3, 1))
    other_chair = world.member(other, "committee", name="外村主任")
    other_pid = ok(t.api.post(f"/villages/{other.id}/proposals", other_chair, {
        "title": "外村的事", "body": "内容", "category": "facilities", "procedure": "yishiyiyi"}), 201)["id"]
    before = audit_seq(db, t.village)
    refused(t.record(user=t.chair), 422, "不能替自己代录")
    refused(t.record(user=stranger), 422, "请选择本村的村民")
    refused(t.record(user=child), 422, "年满 18 周岁的本村村民才能联署")
    refused(t.record(target=other_pid), 422, "找不到这个事项")
    refused(t.record(kind="objection", body=""), 422, "请写明村民口述的质询内容")
    refused(t.record(kind="comment", body="好\x00"), 422)
    refused(t.record(kind="vote"), 422)
    assert db.execute(select(func.count()).select_from(AssistedAct)
                      .where(AssistedAct.village_id == t.village.id)).scalar_one() == 0
    assert audit_seq(db, t.village) == before


def audit_seq(db, village: Village) -> int:
    return db.execute(select(func.max(AuditEvent.seq)).where(AuditEvent.village_id == village.id)).scalar_one()


# --- objections and comments ----------------------------------------------------------------------------

def published_notice(t: Town) -> int:
    nid = ok(t.api.post(f"/villages/{t.village.id}/notices", t.chair, {
        "category": "village", "title": "便民桥工程预算公示", "body": "预算 8 万元。", "days": 15}), 201)["id"]
    ok(t.api.post(f"/notices/{nid}/submit", t.chair))
    ok(t.api.post(f"/notices/{nid}/review", t.supervisor, {"approve": True}))
    ok(t.api.post(f"/notices/{nid}/publish", t.chair))
    return nid


def test_an_objection_the_villager_dictated(town, db, client):
    t = town
    nid = published_notice(t)
    act = ok(t.record(kind="objection", target=nid, body="水泥钱为什么这么贵？", scan=None), 201)
    assert (act["notice_id"], act["target_title"], act["body"]) == (nid, "便民桥工程预算公示", "水泥钱为什么这么贵？")
    assert ok(t.api.get(f"/notices/{nid}", t.neighbour))["objections"] == []  # not before it is confirmed
    done = ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    objections = ok(t.api.get(f"/notices/{nid}", t.neighbour))["objections"]
    assert [(o["id"], o["author_name"], o["body"]) for o in objections] == [
        (done["objection_id"], "张大爷", "水泥钱为什么这么贵？")]
    # the publishers are to answer it, by the village's deadline, as any objection
    created = events(db, t.village, "objection.create")
    assert created[-1][1] == t.clerk.id and created[-1][2]["on_behalf_of"] == t.elder.id
    assert "王秀英确认" in messages(db, t.elder)[-1]


def test_an_objection_after_the_window_is_refused(town, clock):
    t = town
    nid = published_notice(t)
    act = ok(t.record(kind="objection", target=nid, body="还有疑问。", scan=None), 201)
    clock.travel(days=16)
    refused(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk), 409, "公示期已过")
    refused(t.record(kind="objection", target=nid, body="还有疑问。", scan=None), 409, "公示期已过")


def test_a_comment_the_villager_dictated(town, db):
    t = town
    act = ok(t.record(kind="comment", body="桥要修宽一点，拖拉机要过。", scan=None), 201)
    done = ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    thread = ok(t.api.get(f"/proposals/{t.pid}/comments", t.neighbour))["items"]
    assert [(c["id"], c["author_name"], c["body"], c["assisted"]) for c in thread] == [
        (done["comment_id"], "张大爷", "桥要修宽一点，拖拉机要过。", MARK)]
    db.expire_all()
    assert db.get(Proposal, t.pid).comment_count == 1


# --- sending back ------------------------------------------------------------------------------------------

def test_a_record_sent_back_never_counts(town, db):
    t = town
    act = ok(t.record(), 201)
    refused(t.api.post(f"{t.base}/{act['id']}/reject", t.clerk, {"reason": "  "}), 422, "请写明退回的理由")
    back = ok(t.api.post(f"{t.base}/{act['id']}/reject", t.clerk, {"reason": "联署单上的签名看不清"}))
    assert (back["state"], back["reason"], back["mark"]) == ("rejected", "联署单上的签名看不清", None)
    refused(t.api.post(f"{t.base}/{act['id']}/confirm", t.third), 409, "已经退回了")
    refused(t.api.post(f"{t.base}/{act['id']}/reject", t.third, {"reason": "再退"}), 409, "已经退回了")
    assert t.cosigns(db) == 1
    assert "签名看不清" in messages(db, t.elder)[-1] and "王秀英" in messages(db, t.chair)[-1]
    assert [a for a, _, _ in events(db, t.village, "assisted.reject")] == ["assisted.reject"]
    # a new record of the same person may follow
    assert ok(t.record(), 201)["state"] == "pending"


def test_the_recorder_may_take_back_their_own_record(town, db):
    t = town
    act = ok(t.record(), 201)
    assert ok(t.api.post(f"{t.base}/{act['id']}/reject", t.chair, {"reason": "选错了人"}))["state"] == "rejected"
    assert messages(db, t.chair) == []  # not told of their own act


# --- who may do what -----------------------------------------------------------------------------------------

def test_who_may_record_read_and_decide(town, world, db):
    t = town
    act = ok(t.record(), 201)
    monitor = world.monitor(t.village.township_id)
    other = world.village()
    outsider = world.member(other, "committee", name="外村主任")
    for who in (t.author, t.supervisor):
        refused(t.record(who=who), 403)
        refused(t.api.post(f"{t.base}/{act['id']}/confirm", who), 403)
        refused(t.api.post(f"{t.base}/{act['id']}/reject", who, {"reason": "不同意"}), 403)
    refused(t.api.get(t.base, t.author), 403)
    assert [r["id"] for r in ok(t.api.get(t.base, t.supervisor))["items"]] == [act["id"]]
    assert [r["id"] for r in ok(t.api.get(t.base, monitor))["items"]] == [act["id"]]
    refused(t.record(who=monitor), 403)
    refused(t.record(who=outsider), 404)
    refused(t.api.get(t.base, outsider), 404)
    refused(t.api.post(f"{t.base}/{act['id']}/confirm", outsider), 404)
    # another village's committee cannot reach a record through its own village either
    refused(t.api.post(f"/villages/{other.id}/assisted/{act['id']}/confirm", outsider), 404, "找不到这条代录")
    refused(t.api.client.post(f"/api/v1{t.base}", data={"kind": "cosign", "user_id": "1", "target_id": "1"}), 401)
    assert t.cosigns(db) == 1


def test_the_scan_is_for_the_committee_overseers_and_the_villager(town, world, client):
    t = town
    act = ok(t.record(user=t.neighbour), 201)
    url = f"/api/v1/attachments/{act['scan_ids'][0]}"
    for who in (t.chair, t.clerk, t.supervisor, t.neighbour):
        assert client.get(url, headers=t.api.headers(who)).status_code == 200
    assert client.get(url, headers=t.api.headers(t.author)).status_code == 404
    assert client.get(url).status_code == 401  # a login first


def test_the_list_pages_newest_first_by_state(town, world):
    t = town
    people = [world.member(t.village, name=f"老人{i}", password=None) for i in range(3)]
    ids = [ok(t.record(user=p), 201)["id"] for p in people]
    ok(t.api.post(f"{t.base}/{ids[0]}/confirm", t.clerk))
    page = ok(t.api.get(t.base, t.chair, per_page=1))
    assert (page["total"], [r["id"] for r in page["items"]]) == (2, [ids[2]])
    assert page["items"][0]["can_reject"] and not page["items"][0]["can_confirm"]  # the chair recorded it
    assert ok(t.api.get(t.base, t.clerk))["items"][0]["can_confirm"]
    assert [r["id"] for r in ok(t.api.get(t.base, t.chair, state="confirmed"))["items"]] == [ids[0]]
    assert [r["id"] for r in ok(t.api.get(t.base, t.chair, state="all"))["items"]] == ids[::-1]
    refused(t.api.get(t.base, t.chair, state="lost"), 422)


# --- races -----------------------------------------------------------------------------------------------------

def test_members_racing_to_confirm_make_one_cosignature(town, database, db):
    from app.services import assisted
    from app.services.access import load_actor
    from app.services.errors import ServiceError

    t = town
    act = ok(t.record(), 201)

    def decide(user_id: int) -> str:
        with Session(database.engine, expire_on_commit=False) as session:
            actor = load_actor(session, session.get(User, user_id))
            village = session.get(Village, t.village.id)
            try:
                assisted.confirm(session, actor, village, act["id"])
                return "ok"
            except ServiceError as exc:
                return str(exc.status)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(decide, [t.clerk.id, t.third.id] * 3))
    assert results.count("ok") == 1 and set(results) - {"ok"} == {"409"}, results
    assert t.cosigns(db) == 2
    assert db.execute(select(func.count()).select_from(Cosignature).where(
        Cosignature.proposal_id == t.pid, Cosignature.user_id == t.elder.id)).scalar_one() == 1


def test_a_villager_may_withdraw_a_paper_cosign_online(town, db):
    t = town
    act = ok(t.record(user=t.neighbour), 201)
    ok(t.api.post(f"{t.base}/{act['id']}/confirm", t.clerk))
    assert t.cosigns(db) == 2
    assert t.api.delete(f"/proposals/{t.pid}/cosign", t.neighbour).status_code == 204
    assert t.cosigns(db) == 1
    db.expire_all()
    record = db.get(AssistedAct, act["id"])
    assert (record.state, record.cosignature_id) == ("confirmed", None)  # the record stays; it counts no more
    ok(t.api.post(f"/proposals/{t.pid}/cosign", t.neighbour), 201)  # and they may co-sign again, once
    assert t.cosigns(db) == 2
