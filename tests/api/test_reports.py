"""Confidential reports (举报) through the API, on both engines: a member writes straight to the
township's monitors; the village's committee — and every villager but the author — gets 404 on it;
the author reads the replies; the audit events are in the platform chain and name no one and hold
no text; every refusal."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.domain import cases as C
from app.models import PLATFORM_CHAIN, AuditEvent, Notification
from app.services import audit, townships
from app.services.access import load_actor
from tests.factories import Staff, ok, refused

CONCERN = "村委会主任把集体鱼塘私下租给了亲戚，没有公开招标。"


def report(api, s: Staff, user=None, body: str = CONCERN) -> dict:
    return ok(api.post(f"/villages/{s.village.id}/reports", user or s.villager, {"body": body}), 201)


def messages(db, user) -> list[tuple[str, str | None]]:
    db.expire_all()
    return [tuple(row) for row in db.execute(select(Notification.text, Notification.link)
                                             .where(Notification.user_id == user.id)).all()]


def platform_events(db, report_id: int) -> list[AuditEvent]:
    db.expire_all()
    return list(db.execute(select(AuditEvent).where(AuditEvent.entity == "report",
                                                    AuditEvent.entity_id == str(report_id))
                           .order_by(AuditEvent.village_id, AuditEvent.seq)).scalars())


def test_a_member_reports_to_the_township_and_the_committee_never_sees_it(api, world, db):
    township = world.township()
    s = Staff(world, township)
    sibling = Staff(world, township)
    elsewhere = Staff(world)
    monitor, far_monitor = world.monitor(township), world.monitor(elsewhere.village.township_id)
    village_head = audit.head(db, s.village.id)[0]

    made = report(api, s)
    rid = made["id"]
    assert made["body"] == CONCERN and made["state"] == "open" and made["state_name"] == "待答复"
    assert made["village_name"] == s.village.name and made["author_name"] == "村民甲" and made["replies"] == []

    # the author and the township's monitors (and admins) read it
    for reader in (s.villager, monitor, world.admin):
        assert ok(api.get(f"/reports/{rid}", reader))["body"] == CONCERN
    # the same village's committee, and everyone else, get 404: it does not exist for them
    for outsider in (s.committee, s.party, s.supervisor, s.accountant, s.neighbour, sibling.committee,
                     elsewhere.committee, far_monitor):
        refused(api.get(f"/reports/{rid}", outsider), 404, "找不到这件反映")
    refused(api.get(f"/reports/{rid}"), 401)
    refused(api.get("/reports/999999999", monitor), 404)

    # the monitor's list; nobody else has one
    listed = f"/townships/{township}/reports"
    assert [r["id"] for r in ok(api.get(listed, monitor))["items"]] == [rid]
    assert [r["id"] for r in ok(api.get(listed, world.admin))["items"]] == [rid]
    for outsider in (s.committee, s.villager, far_monitor):
        refused(api.get(listed, outsider), 404)
    refused(api.get(listed), 401)
    refused(api.get("/townships/999999999/reports", world.admin), 404)

    # the author's own list; the committee's is empty
    assert [r["id"] for r in ok(api.get("/me/reports", s.villager))["items"]] == [rid]
    assert ok(api.get("/me/reports", s.committee))["items"] == []
    refused(api.get("/me/reports"), 401)

    # the monitor is told; the committee hears nothing, and the village's chain has no trace
    told = (f"{s.village.name}有村民向乡镇反映了一件事", f"/townships/{township}/reports/{rid}")
    assert told in messages(db, monitor)
    assert not any("反映" in text for text, _ in messages(db, s.committee))
    assert audit.head(db, s.village.id)[0] == village_head


def test_who_may_report(api, world, db):
    township = world.township()
    s = Staff(world, township)
    elsewhere = Staff(world)
    monitor = world.monitor(township)
    path = f"/villages/{s.village.id}/reports"
    refused(api.post(path, None, {"body": CONCERN}), 401)
    refused(api.post(path, monitor, {"body": CONCERN}), 403, "只有本村村民")
    refused(api.post(path, world.admin, {"body": CONCERN}), 403)
    refused(api.post(path, elsewhere.villager, {"body": CONCERN}), 404)
    refused(api.post(path, elsewhere.committee, {"body": CONCERN}), 404)
    refused(api.post("/villages/999999999/reports", s.villager, {"body": CONCERN}), 404)
    refused(api.post(path, s.villager, {"body": " \u200b "}), 422, "不能为空")
    refused(api.post(path, s.villager, {"body": "字" * (C.REPORT_MAX + 1)}), 422, f"最多 {C.REPORT_MAX}")
    refused(api.post(path, s.villager, {"body": "有\x00控制字符"}), 422)
    # every member may, whatever their roles (the committee too, about anything)
    for member in (s.committee, s.supervisor, s.neighbour):
        report(api, s, member)


def test_the_audit_events_are_in_the_platform_chain_and_hold_no_body_and_no_name(api, world, db):
    township = world.township()
    s = Staff(world, township)
    author = world.member(s.village, name="举报人欧阳某")
    monitor = world.monitor(township)
    rid = report(api, s, author)["id"]
    ok(api.post(f"/reports/{rid}/replies", monitor, {"body": "已收到，乡镇将派人核实鱼塘租赁。"}), 201)

    created, replied = platform_events(db, rid)
    assert created.village_id == replied.village_id == PLATFORM_CHAIN
    assert created.action == "report.create" and replied.action == "report.reply"
    assert created.actor_id is None  # the chain does not name the reporter
    assert replied.actor_id == monitor.id
    assert json.loads(bytes(created.payload))["data"] == {"township_id": township, "village_id": s.village.id}
    assert set(json.loads(bytes(replied.payload))["data"]) == {"township_id", "reply_id"}  # ids only
    for event in (created, replied):
        text = bytes(event.payload).decode()
        for secret in ("鱼塘", "举报人欧阳某", author.phone, "核实"):
            assert secret not in text
    assert not db.execute(select(AuditEvent.id).where(AuditEvent.village_id == s.village.id,
                                                      AuditEvent.entity == "report")).first()
    assert audit.verify_chain(db, PLATFORM_CHAIN).ok


def test_monitors_reply_and_the_author_reads_the_replies(api, world, db):
    township = world.township()
    s = Staff(world, township)
    monitor, far_monitor = world.monitor(township), world.monitor(world.township())
    rid = report(api, s)["id"]
    path = f"/reports/{rid}/replies"
    platform = audit.head(db, PLATFORM_CHAIN)[0]

    refused(api.post(path, None, {"body": "收到"}), 401)
    refused(api.post(path, s.villager, {"body": "补充一句"}), 403, "只有乡镇监督员")  # the author reads, not replies
    for outsider in (s.committee, s.neighbour, far_monitor):
        refused(api.post(path, outsider, {"body": "收到"}), 404)
    refused(api.post(path, monitor, {"body": ""}), 422, "答复不能为空")
    refused(api.post("/reports/999999999/replies", monitor, {"body": "收到"}), 404)
    assert audit.head(db, PLATFORM_CHAIN)[0] == platform

    answered = ok(api.post(path, monitor, {"body": "已收到，下周派人核实。"}), 201)
    assert answered["state"] == "replied" and answered["state_name"] == "乡镇已答复"
    assert [(r["author_name"], r["body"]) for r in answered["replies"]] == [("乡镇监督员", "已收到，下周派人核实。")]
    mine = ok(api.get("/me/reports", s.villager))["items"][0]
    assert mine["id"] == rid and [r["body"] for r in mine["replies"]] == ["已收到，下周派人核实。"]
    assert ("乡镇答复了你反映的问题", f"/me/reports#r{rid}") in messages(db, s.villager)
    # a second reply is welcome; the township's open list no longer holds it
    ok(api.post(path, world.admin, {"body": "已核实，责令重新招标。"}), 201)
    assert [r["body"] for r in ok(api.get(f"/reports/{rid}", s.villager))["replies"]] == [
        "已收到，下周派人核实。", "已核实，责令重新招标。"]
    listed = f"/townships/{township}/reports"
    assert ok(api.get(listed, monitor))["items"] == []
    assert [r["id"] for r in ok(api.get(listed, monitor, open="false"))["items"]] == [rid]


def test_a_member_reports_at_most_five_times_a_day(api, world, clock):
    s = Staff(world)
    for n in range(C.REPORTS_PER_DAY):
        report(api, s, body=f"第 {n + 1} 件事")
    refused(api.post(f"/villages/{s.village.id}/reports", s.villager, {"body": "第六件"}), 409, "24 小时内最多")
    report(api, s, s.neighbour)  # another member is not held back
    clock.travel(days=1, minutes=1)
    report(api, s, body="第二天")
    assert ok(api.get("/me/reports", s.villager))["total"] == C.REPORTS_PER_DAY + 1


def test_the_dashboard_counts_open_reports_for_the_monitors(api, world, db):
    township = world.township()
    s = Staff(world, township)
    quiet = world.village(township)
    monitor = world.monitor(township)
    first = report(api, s)["id"]
    report(api, s, s.neighbour)
    ok(api.post(f"/reports/{first}/replies", monitor, {"body": "收到"}), 201)
    view = townships.dashboard(db, load_actor(db, monitor), township)
    assert {r.village.id: r.open_reports for r in view.villages} == {s.village.id: 1, quiet.id: 0}
    assert view.open_reports == 1
    assert not next(r for r in view.villages if r.village.id == s.village.id).late  # a report is no late village
