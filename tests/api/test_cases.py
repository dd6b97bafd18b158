"""Escalated objections (乡镇督办) through the API, on both engines: an objection unanswered past its
deadline becomes a case of the township by itself, once; the township's own monitors list the open
cases oldest first, answer one (the objector and the village read it) or direct the village with a
deadline of its own; every refusal; the audit events and the dashboard's counts."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.domain import notices as N
from app.domain.calendar import local_date_of
from app.models import AuditEvent, Notification, TownshipCase
from app.services import audit, cases, jobs, townships
from app.services.access import load_actor
from tests.api.test_notices import published
from tests.factories import Staff, ok, parse_time, refused
from tests.querycount import count_queries

LATE = {"days": N.DEFAULT_REPLY_DAYS, "hours": 1}


def objection(api, s: Staff, body: str = "中标价为什么比预算高？", user=None) -> tuple[int, int]:
    """A published notice of the village and an objection to it: (notice id, objection id)."""
    nid = published(api, s)["id"]
    return nid, ok(api.post(f"/notices/{nid}/objections", user or s.villager, {"body": body}), 201)["id"]


def case_of(db, oid: int) -> TownshipCase | None:
    db.expire_all()
    return db.execute(select(TownshipCase).where(TownshipCase.objection_id == oid)).scalar_one_or_none()


def events(db, village_id: int, action: str) -> list[AuditEvent]:
    return list(db.execute(select(AuditEvent).where(AuditEvent.village_id == village_id, AuditEvent.action == action)
                           .order_by(AuditEvent.seq)).scalars())


def messages(db, user) -> list[str]:
    db.expire_all()
    return list(db.execute(select(Notification.text).where(Notification.user_id == user.id)).scalars())


def escalated(api, world, db, clock, township: int | None = None) -> tuple[Staff, int, int, int]:
    """A village whose villager's objection went unanswered past its deadline and escalated:
    (staff, notice id, objection id, case id)."""
    s = Staff(world, township)
    nid, oid = objection(api, s)
    clock.travel(**LATE)
    cases.escalate_due(db)
    return s, nid, oid, case_of(db, oid).id


# --- escalation ---------------------------------------------------------------------------------

def test_an_overdue_objection_becomes_a_case_by_itself_once(api, world, db, database, settings, clock):
    township = world.township()
    s = Staff(world, township)
    monitor = world.monitor(township)
    nid, oid = objection(api, s)
    answered = ok(api.post(f"/notices/{nid}/objections", s.neighbour, {"body": "工期多长？"}), 201)["id"]
    ok(api.post(f"/objections/{answered}/reply", s.committee, {"body": "工期 30 天。"}))

    cases.escalate_due(db)  # before the deadline nothing moves
    assert case_of(db, oid) is None
    refused(api.get(f"/objections/{oid}/case", s.villager), 404, "没有转到乡镇")

    clock.travel(**LATE)
    ran = dict(jobs.run_due(database.engine, settings, only="escalate"))
    assert ran["escalate"].startswith("转乡镇处理") and ran["escalate"] != "转乡镇处理 0 条质询"
    case = case_of(db, oid)
    assert case is not None and case.state == "open" and case.township_id == township
    assert case.village_id == s.village.id and case_of(db, answered) is None  # answered in time: no case
    # idempotent: running again makes nothing new, and the database refuses a second case anyway
    assert cases.escalate_due(db) == 0
    assert dict(jobs.run_due(database.engine, settings, only="escalate"))["escalate"] == "转乡镇处理 0 条质询"
    assert db.execute(select(TownshipCase.id).where(TownshipCase.objection_id == oid)).scalars().all() == [case.id]

    # recorded in the village's own chain, by no one (the clock did it)
    [event] = events(db, s.village.id, "objection.escalate")
    assert event.actor_id is None and event.entity == "objection" and event.entity_id == str(oid)
    assert json.loads(bytes(event.payload))["data"] == {"case_id": case.id, "notice_id": nid, "township_id": township}
    assert audit.verify_chain(db, s.village.id).ok
    # the objector and the township's monitor are told
    assert any("已转乡镇处理" in m for m in messages(db, s.villager))
    assert any("逾期未答复" in m for m in messages(db, monitor))
    # the objector and the village see that it moved
    for reader in (s.villager, s.neighbour, s.committee, monitor, world.admin):
        seen = ok(api.get(f"/objections/{oid}/case", reader))
        assert seen["id"] == case.id and seen["status"].startswith("已转乡镇处理") and seen["answer"] is None


def test_the_escalation_job_runs_every_ten_minutes():
    job = next(j for j in jobs.JOBS if j.name == "escalate")
    at = parse_time("2026-05-10T04:00:00Z")
    assert job.due(None, at)
    assert not job.due(at, at + timedelta(minutes=9, seconds=59))
    assert job.due(at, at + timedelta(minutes=10))


# --- the monitor's list -------------------------------------------------------------------------

def test_the_township_lists_its_open_cases_oldest_first_to_its_own_monitors(api, world, db, clock):
    township = world.township()
    first = Staff(world, township)
    second = Staff(world, township)
    elsewhere = Staff(world)
    monitor, far_monitor = world.monitor(township), world.monitor(elsewhere.village.township_id)
    _, early = objection(api, first)
    clock.travel(days=1)
    _, late = objection(api, second, "路灯为什么还没装？", user=second.neighbour)
    _, far = objection(api, elsewhere)
    clock.travel(days=N.DEFAULT_REPLY_DAYS - 1, hours=1)
    cases.escalate_due(db)  # only the first is past its deadline yet
    assert case_of(db, late) is None
    clock.travel(days=1)
    cases.escalate_due(db)

    path = f"/townships/{township}/cases"
    rows = ok(api.get(path, monitor))
    assert [r["objection_id"] for r in rows["items"]] == [early, late] and rows["total"] == 2
    top = rows["items"][0]
    assert top["village_name"] == first.village.name and top["objector_name"] == "村民甲"
    assert top["objection_body"] == "中标价为什么比预算高？" and top["state"] == "open"
    assert top["state_name"] == "待乡镇处理" and top["notice_title"]
    assert parse_time(top["escalated_at"]) < parse_time(rows["items"][1]["escalated_at"])
    assert [r["objection_id"] for r in ok(api.get(path, world.admin))["items"]] == [early, late]
    assert [r["objection_id"] for r in ok(api.get(f"/townships/{elsewhere.village.township_id}/cases",
                                                  far_monitor))["items"]] == [far]
    # the township does not exist for anyone else
    refused(api.get(path, far_monitor), 404)
    refused(api.get(path, first.committee), 404)
    refused(api.get(path, first.villager), 404)
    refused(api.get(path), 401)
    refused(api.get("/townships/999999999/cases", world.admin), 404)
    refused(api.get(f"/objections/{early}/case", elsewhere.committee), 404)
    refused(api.get(f"/objections/{early}/case", far_monitor), 404)
    refused(api.get(f"/objections/{early}/case"), 401)

    # an answered case leaves the open list; open=false shows every case
    ok(api.post(f"/cases/{top['id']}/answer", monitor, {"answer": "已查明，价格含税。"}))
    assert [r["objection_id"] for r in ok(api.get(path, monitor))["items"]] == [late]
    every = ok(api.get(path, monitor, open="false"))["items"]
    assert [(r["objection_id"], r["state"]) for r in every] == [(early, "answered"), (late, "open")]


# --- answering ----------------------------------------------------------------------------------

def test_the_monitor_answers_and_the_objector_and_the_village_read_it(api, world, db, clock):
    township = world.township()
    s, nid, oid, cid = escalated(api, world, db, clock, township)
    monitor = world.monitor(township)
    far_monitor = world.monitor(world.township())
    other = Staff(world, township)  # a sibling village of the same township
    path = f"/cases/{cid}/answer"
    before = audit.head(db, s.village.id)[0]

    refused(api.post(path, None, {"answer": "无"}), 401)
    for outsider in (s.committee, s.villager, s.supervisor, other.committee, far_monitor):
        refused(api.post(path, outsider, {"answer": "无"}), 404)
    refused(api.post(path, monitor, {"answer": "  "}), 422, "答复不能为空")
    refused(api.post(path, monitor, {"answer": "字" * 5001}), 422, "最多 5000")
    refused(api.post("/cases/999999999/answer", monitor, {"answer": "无"}), 404)
    assert audit.head(db, s.village.id)[0] == before  # refusals change nothing

    done = ok(api.post(path, monitor, {"answer": "经核实，中标价含税费，与预算一致。"}))
    assert done["state"] == "answered" and done["answerer_name"] == "乡镇监督员"
    assert done["answer"] == "经核实，中标价含税费，与预算一致。" and done["status"] == "已转乡镇处理：乡镇已答复"
    # the objector sees the answer, and so does the village
    for reader in (s.villager, s.neighbour, s.committee):
        seen = ok(api.get(f"/objections/{oid}/case", reader))
        assert seen["answer"] == "经核实，中标价含税费，与预算一致。" and seen["state_name"] == "乡镇已答复"
    refused(api.get(f"/objections/{oid}/case", other.villager), 404)
    assert any(m == f"乡镇答复了你对《{seen['notice_title']}》的质询" for m in messages(db, s.villager))
    assert any("乡镇答复了对" in m for m in messages(db, s.committee))
    [event] = events(db, s.village.id, "case.answer")
    assert event.actor_id == monitor.id and event.entity == "case" and event.entity_id == str(cid)
    assert "经核实" not in bytes(event.payload).decode()

    refused(api.post(path, monitor, {"answer": "再答一次"}), 409, "答复过了")
    refused(api.post(f"/cases/{cid}/direct", monitor,
                     {"note": "请答复", "due_date": (clock.today() + timedelta(days=3)).isoformat()}), 409)
    assert audit.verify_chain(db, s.village.id).ok


# --- directing the village ------------------------------------------------------------------------

def test_the_monitor_directs_the_village_with_a_deadline_of_its_own(api, world, db, clock):
    township = world.township()
    s, nid, oid, cid = escalated(api, world, db, clock, township)
    monitor = world.monitor(township)
    path = f"/cases/{cid}/direct"
    today = clock.today()

    def direct(user, note="请村委会核实中标价并书面答复", days=5):
        return api.post(path, user, {"note": note, "due_date": (today + timedelta(days=days)).isoformat()})

    refused(direct(None), 401)
    refused(direct(s.committee), 404)
    refused(direct(s.villager), 404)
    refused(direct(monitor, days=0), 422, "期限应在今天之后")
    refused(direct(monitor, days=61), 422, "期限最长 60 天")
    problem = refused(direct(monitor, note="", days=-1), 422)
    assert {e["field"] for e in problem["errors"]} == {"note", "due_date"}
    refused(api.post(path, monitor, {"note": "请答复", "due_date": "明天"}), 422)

    done = ok(direct(monitor))
    assert done["state"] == "directed" and done["director_name"] == "乡镇监督员"
    assert done["direction"] == "请村委会核实中标价并书面答复"
    assert local_date_of(parse_time(done["directed_due_at"])) == today + timedelta(days=5)
    assert done["overdue_direction"] is False and done["status"] == "已转乡镇处理：乡镇已督促村委会在期限内答复"
    day = (today + timedelta(days=5)).isoformat()
    assert any(m.startswith(f"乡镇督促：请在 {day} 前答复") for m in messages(db, s.committee))
    assert any(f"乡镇已督促村委会在 {day} 前答复" in m for m in messages(db, s.villager))
    [event] = events(db, s.village.id, "case.direct")
    assert event.actor_id == monitor.id and json.loads(bytes(event.payload))["data"]["due"] == day
    refused(direct(monitor), 409, "已经处理过了")

    # directed and the village still silent: on the list, overdue once its own deadline passes
    listed = f"/townships/{township}/cases"
    assert [r["id"] for r in ok(api.get(listed, monitor))["items"]] == [cid]
    clock.travel(days=6)
    assert ok(api.get(f"/objections/{oid}/case", s.villager))["overdue_direction"] is True
    # the village answers at last: off the open list, and the objector reads both
    ok(api.post(f"/objections/{oid}/reply", s.committee, {"body": "中标价含税，已补充公开。"}))
    assert ok(api.get(listed, monitor))["items"] == []
    seen = ok(api.get(f"/objections/{oid}/case", s.villager))
    assert seen["village_reply"] == "中标价含税，已补充公开。"
    assert seen["status"] == "已转乡镇处理：乡镇督促后，村委会已答复"
    # the monitor may still close it with an answer of the township's own
    assert ok(api.post(f"/cases/{cid}/answer", monitor, {"answer": "村委会已答复，乡镇认可。"}))["state"] == "answered"


def test_a_village_that_answered_after_the_escalation_is_not_directed(api, world, db, clock):
    township = world.township()
    s, nid, oid, cid = escalated(api, world, db, clock, township)
    monitor = world.monitor(township)
    ok(api.post(f"/objections/{oid}/reply", s.committee, {"body": "晚了几天，抱歉：价格含税。"}))
    row = ok(api.get(f"/townships/{township}/cases", monitor))["items"][0]  # still for the township to close
    assert row["id"] == cid and row["status"] == "已转乡镇处理：村委会已答复，乡镇尚未处理"
    refused(api.post(f"/cases/{cid}/direct", monitor,
                     {"note": "请答复", "due_date": (clock.today() + timedelta(days=3)).isoformat()}), 409,
            "村委会已经答复")
    assert ok(api.post(f"/cases/{cid}/answer", monitor, {"answer": "已看到村委会的答复。"}))["state"] == "answered"


# --- the dashboard --------------------------------------------------------------------------------

def test_the_dashboard_counts_open_cases_in_a_constant_number_of_queries(api, world, db, database, clock):
    township = world.township()
    s, nid, oid, cid = escalated(api, world, db, clock, township)
    quiet = world.village(township)
    monitor = load_actor(db, world.monitor(township))
    view = townships.dashboard(db, monitor, township)
    counts = {row.village.id: row.open_cases for row in view.villages}
    assert counts == {s.village.id: 1, quiet.id: 0} and view.open_cases == 1
    assert next(r for r in view.villages if r.village.id == s.village.id).late

    db.expire_all()
    with count_queries(database.engine) as few:
        townships.dashboard(db, monitor, township)
    for _ in range(3):
        extra = Staff(world, township)
        objection(api, extra)
    clock.travel(**LATE)
    cases.escalate_due(db)
    db.expire_all()
    with count_queries(database.engine) as many:
        view = townships.dashboard(db, monitor, township)
    assert view.open_cases == 4
    assert many.count == few.count, str(many)
