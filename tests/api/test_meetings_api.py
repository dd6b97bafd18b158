"""Meetings and requests to convene through the API, on both engines: the committee drafts a meeting
with its agenda, announces it (the notice goes to review and, published, to the board; a 村民会议 needs ten
days' notice or a reason for short notice), opens check-in by phone; members check in with the code,
supervisors attend (列席) the representatives' meeting; the committee records the paper sheet, the
minutes and the votes taken. Members petition; at the threshold the committee is told; unconvened after
30 days, the township sees it. Refusals change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.domain.calendar import from_local
from app.models import AuditEvent, ConveneRequest, Notice, Notification
from app.services import meetings as meeting_service  # noqa: F401  (registers the "meeting" file owner)
from tests.factories import Staff, iso, now, ok, png, refused


def _village(world, api, reps: int = 5):
    s = Staff(world)
    s.reps = [world.member(s.village, "representative", name=f"代表{i}") for i in range(reps)]
    base = f"/villages/{s.village.id}"
    s.assembly = ok(api.post(f"{base}/councils", s.committee, {"kind": "assembly", "name": "村民会议"}), 201)
    s.council = ok(api.post(f"{base}/councils", s.committee, {"kind": "representatives", "name": "村民代表会议"}),
                   201)
    return s, base


def _count(db, model) -> int:
    db.expire_all()
    return db.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_representatives_meeting_from_draft_to_minutes(api, world, db, clock):
    s, base = _village(world, api)
    soon = now() + timedelta(minutes=30)
    body = {"council_id": s.council["id"], "title": "三季度村民代表会议", "starts_at": iso(soon), "place": "村部二楼",
            "items": ["通报道路硬化进度"]}
    refused(api.post(f"{base}/meetings", s.villager, body), 403)
    refused(api.post(f"{base}/meetings", s.committee, {**body, "starts_at": iso(now() - timedelta(hours=1))}), 422,
            "会议时间应在现在之后")
    m = ok(api.post(f"{base}/meetings", s.committee, body), 201)
    url = f"{base}/meetings/{m['id']}"
    assert m["state"] == "draft" and m["items"][0]["text"] == "通报道路硬化进度"
    assert sorted(m["invited"]) == [s.supervisor.id]  # 2025 第三十七条: supervisors attend the representatives
    refused(api.post(f"{url}/checkin/open", s.committee), 409, "会议发出通知后才能开启手机签到")
    ok(api.post(f"{url}/items", s.committee, {"text": "讨论路灯维修"}), 201)
    m = ok(api.post(f"{url}/announce", s.committee, {}))
    assert m["state"] == "announced" and m["notice_days"] == 0
    notice = db.get(Notice, m["notice_id"])
    assert notice.state == "submitted" and "讨论路灯维修" in notice.body and "村部二楼" in notice.body
    refused(api.post(f"{url}/items", s.committee, {"text": "再加一项"}), 409, "议程不能再改")

    opened = ok(api.post(f"{url}/checkin/open", s.committee))
    assert len(opened["code"]) == 6 and opened["code"].isdigit()
    wrong = "000000" if opened["code"] != "000000" else "111111"
    refused(api.post(f"{url}/checkin", s.reps[0], {"code": wrong}), 422, "签到码不对")
    refused(api.post(f"{url}/checkin", s.villager, {"code": opened["code"]}), 409, "不是村民代表会议的组成人员")
    row = ok(api.post(f"{url}/checkin", s.reps[0], {"code": opened["code"]}), 201)
    assert row["how"] == "phone" and row["user_id"] == s.reps[0].id
    refused(api.post(f"{url}/checkin", s.reps[0], {"code": opened["code"]}), 409, "已经签到")
    assert ok(api.post(f"{url}/checkin", s.supervisor, {"code": opened["code"]}), 201)["how"] == "observer"

    scan = ok(api.upload(f"{url}/attachments", s.committee, png(), "签到表.png"), 201)
    refused(api.post(f"{url}/paper", s.committee, {"user_ids": [s.villager.id]}), 422, "只能登记")
    m = ok(api.post(f"{url}/paper", s.committee, {"user_ids": [s.reps[0].id, s.reps[1].id], "scan_id": scan["id"]}))
    assert {(p["user_id"], p["how"]) for p in m["present"]} == {
        (s.reps[0].id, "phone"), (s.reps[1].id, "paper"), (s.supervisor.id, "observer")}
    assert m["attachment_ids"] == [scan["id"]]

    clock.travel(minutes=40)
    refused(api.put(f"{url}/minutes", s.committee, {"minutes": "  "}), 422, "请填写会议纪要")
    m = ok(api.put(f"{url}/minutes", s.committee, {"minutes": "一、道路硬化已完成 80%。二、路灯下月修。"}))
    assert m["state"] == "held" and m["held_at"]
    assert ok(api.get(url, s.villager))["minutes"].startswith("一、")  # members read it
    clock.travel(hours=5)
    refused(api.post(f"{url}/checkin", s.reps[2], {"code": opened["code"]}), 409, "签到时间已过")


def test_an_assembly_needs_ten_days_notice_or_a_reason(api, world, db, clock):
    s, base = _village(world, api)
    clock.on_day(clock.today() + timedelta(days=1), hour=9)  # a fixed hour of a Beijing day
    day = clock.today()
    def at(d):
        return iso(from_local(datetime(d.year, d.month, d.day, 9)))

    body = {"council_id": s.assembly["id"], "title": "村民会议", "place": "村小学操场", "items": []}
    near = ok(api.post(f"{base}/meetings", s.committee, {**body, "starts_at": at(day + timedelta(days=9))}), 201)
    far = ok(api.post(f"{base}/meetings", s.committee, {**body, "starts_at": at(day + timedelta(days=10))}), 201)
    before = _count(db, Notice)
    refused(api.post(f"{base}/meetings/{near['id']}/announce", s.committee, {}), 422, "提前10日通知")
    assert _count(db, Notice) == before
    assert ok(api.get(f"{base}/meetings/{near['id']}", s.committee))["state"] == "draft"
    short = ok(api.post(f"{base}/meetings/{near['id']}/announce", s.committee, {"short_notice": "防汛，须尽快决定"}))
    assert short["short_notice"] == "防汛，须尽快决定" and "临时通知" in db.get(Notice, short["notice_id"]).body
    assert ok(api.post(f"{base}/meetings/{far['id']}/announce", s.committee, {}))["citation"].endswith("第二十五条")
    assert s.supervisor.id not in ok(api.get(f"{base}/meetings/{far['id']}", s.committee))["invited"]


def test_a_petition_reaches_its_threshold_and_the_township_sees_it_unconvened(api, world, db, clock, client):
    s, base = _village(world, api, reps=5)  # 5 representatives: 1/5 is one, 1/3 is two
    for i in range(20):  # 31 adult villagers: 1/10 is four
        world.member(s.village, name=f"村民{i}", password=None)
    pet = f"{base}/petitions"
    refused(api.post(pet, s.villager, {"kind": "representatives", "reason": "议路灯"}), 409, "须是村民代表")
    refused(api.post(pet, s.villager, {"kind": "assembly", "reason": "  "}), 422)
    p = ok(api.post(pet, s.villager, {"kind": "assembly", "reason": "讨论村集体土地流转"}), 201)
    assert p["signatures"] == 1 and p["representatives_needed"] == 2 and not p["met"]
    refused(api.post(f"{pet}/{p['id']}/signatures", s.villager), 409, "已经签过名")
    told = _count(db, Notification)
    p = ok(api.post(f"{pet}/{p['id']}/signatures", s.reps[0]), 201)
    assert not p["met"] and p["representatives"] == 1  # one short of 1/3
    p = ok(api.post(f"{pet}/{p['id']}/signatures", s.reps[1]), 201)
    assert p["met"] and "第二十五条" in p["citation"]
    db.expire_all()
    committee_told = db.execute(select(Notification).where(Notification.user_id == s.committee.id)).scalars().all()
    assert _count(db, Notification) > told and any("村委会应当召集" in n.text for n in committee_told)
    refused(api.post(f"{pet}/{p['id']}/close", s.committee, {"reason": "重复"}), 409, "应当召集")

    monitor = world.monitor(s.village.township_id)
    board = ok(api.get(f"/townships/{s.village.township_id}/dashboard", monitor))
    assert next(v for v in board["villages"] if v["village_id"] == s.village.id)["unconvened"] == 0
    clock.travel(days=31)
    board = ok(api.get(f"/townships/{s.village.township_id}/dashboard", monitor))
    assert next(v for v in board["villages"] if v["village_id"] == s.village.id)["unconvened"] == 1

    m = ok(api.post(f"{base}/meetings", s.committee, {"council_id": s.council["id"], "title": "代表会议",
                                                      "starts_at": iso(now() + timedelta(days=40)),
                                                      "place": "村部"}), 201)
    refused(api.post(f"{pet}/{p['id']}/convene", s.committee, {"meeting_id": m["id"]}), 422, "村民会议")
    a = ok(api.post(f"{base}/meetings", s.committee, {"council_id": s.assembly["id"], "title": "村民会议",
                                                      "starts_at": iso(now() + timedelta(days=40)),
                                                      "place": "村部"}), 201)
    refused(api.post(f"{pet}/{p['id']}/convene", s.villager, {"meeting_id": a["id"]}), 403)
    p = ok(api.post(f"{pet}/{p['id']}/convene", s.committee, {"meeting_id": a["id"]}))
    assert p["state"] == "convened" and p["meeting_id"] == a["id"]
    refused(api.post(f"{pet}/{p['id']}/signatures", s.reps[2]), 409, "已经召集或关闭")
    board = ok(api.get(f"/townships/{s.village.township_id}/dashboard", monitor))
    assert next(v for v in board["villages"] if v["village_id"] == s.village.id)["unconvened"] == 0
    assert db.get(ConveneRequest, p["id"]).meeting_id == a["id"]


def test_outsiders_and_audit(api, world, db):
    s, base = _village(world, api, reps=1)
    other = Staff(world)
    m = ok(api.post(f"{base}/meetings", s.committee, {"council_id": s.council["id"], "title": "会",
                                                      "starts_at": iso(now() + timedelta(days=2)), "place": "村部"}),
           201)
    refused(api.get(f"{base}/meetings/{m['id']}", other.committee), 404)
    refused(api.get(f"{base}/meetings", None), 401)
    refused(api.get(f"/villages/{other.village.id}/meetings/{m['id']}", other.committee), 404)
    refused(api.post(f"{base}/meetings/{m['id']}/votes", s.committee, {"vote_session_id": 987654}), 422,
            "只能关联本村的表决")
    ok(api.post(f"{base}/meetings/{m['id']}/announce", s.committee, {}))
    refused(api.put(f"{base}/meetings/{m['id']}/minutes", s.committee, {"minutes": "开会了"}), 409, "还没有开始")
    refused(api.post(f"{base}/meetings/{m['id']}/checkin/open", s.committee), 409, "一小时内")
    refused(api.post(f"{base}/meetings/{m['id']}/cancel", s.committee, {"reason": ""}), 422, "请写明取消的原因")
    assert ok(api.post(f"{base}/meetings/{m['id']}/cancel", s.committee, {"reason": "改期"}))["state"] == "cancelled"
    actions = set(db.execute(select(AuditEvent.action).where(AuditEvent.village_id == s.village.id)).scalars())
    assert {"meeting.create", "meeting.cancel"} <= actions


def test_wrong_check_in_codes_are_limited_per_person_and_meeting(api, world, db, clock):
    """Five wrong codes in fifteen minutes and that person's check-in waits (429, even with the right
    code): a million codes cannot be tried from a phone. Others still check in; the wait ends."""
    s, base = _village(world, api)
    body = {"council_id": s.council["id"], "title": "村民代表会议", "starts_at": iso(now() + timedelta(minutes=30)),
            "place": "村部", "items": ["通报"]}
    url = f"{base}/meetings/{ok(api.post(f'{base}/meetings', s.committee, body), 201)['id']}"
    ok(api.post(f"{url}/announce", s.committee, {}))
    code = ok(api.post(f"{url}/checkin/open", s.committee))["code"]
    wrong = [f"{n:06d}" for n in range(12) if f"{n:06d}" != code][:5]
    for left, guess in zip((4, 3, 2, 1), wrong, strict=False):
        refused(api.post(f"{url}/checkin", s.reps[0], {"code": guess}), 422, f"还可以再试 {left} 次")
    refused(api.post(f"{url}/checkin", s.reps[0], {"code": wrong[4]}), 422, "已输错5次")
    refused(api.post(f"{url}/checkin", s.reps[0], {"code": code}), 429, "15分钟后再试")
    assert ok(api.post(f"{url}/checkin", s.reps[1], {"code": code}), 201)["user_id"] == s.reps[1].id
    clock.travel(minutes=16)
    assert ok(api.post(f"{url}/checkin", s.reps[0], {"code": code}), 201)["user_id"] == s.reps[0].id
