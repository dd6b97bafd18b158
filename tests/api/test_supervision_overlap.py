"""The supervisory body's independence: a 村务监督委员会 member who is also on the 村民委员会, or
shares a household with a member of it, is saved but warned about (the answer's `warnings`, the
page's flash), recorded in the audit chain and counted on the township's dashboard. The data has
households, not kinship: the warning says so. Also: the public rulebook page and the objection help."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from app.models import AuditEvent
from tests.factories import login, ok, unique_phone


def _overlap_events(db, village_id: int) -> list[dict]:
    rows = db.execute(select(AuditEvent).where(AuditEvent.village_id == village_id,
                                               AuditEvent.action == "member.supervision_overlap"))
    return [json.loads(bytes(e.payload)) for e in rows.scalars()]


def test_a_supervisor_on_the_committee_is_warned_about(api, world, db):
    village = world.village()
    chair = world.member(village, "committee", name="李主任", household="H-1")
    clerk = world.member(village, "committee", name="王文书", household="H-2")
    path = f"/villages/{village.id}/members/{clerk.id}"
    answer = ok(api.patch(path, chair, {"roles": ["committee", "supervisor"]}))
    assert set(answer["roles"]) >= {"committee", "supervisor"}  # saved: a warning, not a refusal
    assert len(answer["warnings"]) == 1
    assert "王文书既是村务监督委员会成员，又是村民委员会成员" in answer["warnings"][0]
    assert "2025年修正" in answer["warnings"][0]  # the law in force today
    assert len(_overlap_events(db, village.id)) == 1
    answer = ok(api.patch(path, chair, {"roles": ["committee"]}))  # put right: no warning
    assert answer["warnings"] == []


def test_a_supervisor_in_a_committee_members_household_is_warned_without_claiming_kinship(api, world, db):
    village = world.village()
    chair = world.member(village, "committee", name="李主任", household="H-1")
    son = world.member(village, name="李小明", household="H-1")
    neighbour = world.member(village, name="张三", household="H-3")
    answer = ok(api.patch(f"/villages/{village.id}/members/{neighbour.id}", chair, {"roles": ["supervisor"]}))
    assert answer["warnings"] == []
    answer = ok(api.patch(f"/villages/{village.id}/members/{son.id}", chair, {"roles": ["supervisor"]}))
    (warning,) = answer["warnings"]
    assert "李小明" in warning and "李主任" in warning and "H-1" in warning
    assert "只有户籍信息" in warning and "不掌握亲属关系" in warning
    assert _overlap_events(db, village.id)[-1]["data"]["overlaps"] == [
        {"supervisor": son.id, "committee": chair.id, "household": "H-1"}]
    # adding a supervisor into a committee member's household warns too (the member's own answer)
    added = ok(api.post(f"/villages/{village.id}/members", chair, {
        "name": "李小红", "phone": unique_phone(), "household": "H-1", "roles": ["villager", "supervisor"]}), 201)
    assert len(added["member"]["warnings"]) == 1 and "李小红" in added["member"]["warnings"][0]


def test_the_township_dashboard_counts_the_overlaps(client, world, api):
    township = world.township()
    village, clean = world.village(township), world.village(township)
    chair = world.member(village, "committee", name="李主任", household="H-1")
    world.member(village, "supervisor", name="李小明", household="H-1")
    world.member(village, "committee", "supervisor", name="赵兼任")
    world.member(clean, "committee", name="周主任", household="H-1")
    world.member(clean, "supervisor", name="吴监督", household="H-2")
    monitor = world.monitor(township)
    login(client, monitor)
    page = client.get(f"/townships/{township}/dashboard").text
    assert page.count("村务监督委员会成员兼任村委会或与村委会成员同户") == 1
    assert "2 人（只按户籍判断，不含亲属关系）" in page
    assert chair.id  # the committee member stays; only the township is told


def test_the_member_page_flashes_the_warning(client, world):
    village = world.village()
    chair = world.member(village, "committee", name="李主任", household="H-1")
    son = world.member(village, name="李小明", household="H-1")
    token = login(client, chair)
    r = client.post(f"/v/{village.slug}/members/{son.id}",
                    data={"csrf_token": token, "household": "H-1", "roles": ["supervisor"]})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "已保存" in page and "只有户籍信息" in page and "flash-error" in page


def test_the_rulebook_page_lists_each_rule_with_its_editions(client, clock):
    clock.on_day(date(2026, 6, 1))
    page = client.get("/rules")
    assert page.status_code == 200
    text = page.text
    assert "依据《村民委员会组织法》（2018年修正）第二十二条" in text
    assert "依据《村民委员会组织法》（2025年修正）第二十六条" in text
    assert "2018-12-29 至 2025-12-31" in text and "2026-01-01 至 今" in text
    assert "2025年修正（现行）" in text and "2018年修正（现行）" in text  # the land law's 2018 edition
    assert "依据《农村土地承包法》（2018年修正）第五十二条" in text
    assert 'href="/rules"' in client.get("/").text  # linked from every page's footer


def test_the_objection_help_names_the_supervisory_organs_from_2026(client, world, clock):
    from app.domain import rulebook

    assert "监察机关" in rulebook.report_help(date(2026, 1, 1))
    assert "监察机关" not in rulebook.report_help(date(2025, 12, 31))


def test_a_roster_import_warns_of_a_supervisor_in_a_committee_household(api, world, db):
    from tests.factories import Staff, unique_phone

    staff = Staff(world)
    chair_household = "SH-1"
    a, b = unique_phone(), unique_phone()
    csv = (f"姓名,手机号,出生日期,户号,角色\n"
           f"甲主任,{a},1970-01-01,{chair_household},村委会\n"
           f"乙监委,{b},1972-01-01,{chair_household},村务监督委员会\n").encode()
    r = api.client.post(f"{api.base}/villages/{staff.village.id}/roster", headers=api.headers(staff.committee),
                        files={"file": ("名册.csv", csv, "text/csv")}, data={"dry_run": "false"})
    assert r.status_code == 200, r.text
    warnings = r.json()["warnings"]
    assert warnings and any("乙监委" in w for w in warnings)
