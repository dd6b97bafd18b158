"""No input answers 500 (issue 14, items 2–4): ids past the INTEGER range are unknown (404), other
numbers past their range, control characters and blank-looking titles are refused (422) with a
Chinese reason, and every date has a range that makes sense. Both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.bounds import MAX_FEN, MAX_ID
from tests.api.vote_setup import new_council, proposal_at_vote, village_of
from tests.factories import iso, now, ok, refused, unique_phone

BIG = MAX_ID + 1  # 2³¹: past PostgreSQL's INTEGER
HUGE = "99999999999999999999"  # past SQLite's 2⁶³ too


@pytest.mark.parametrize("path", [
    f"/villages/{BIG}", f"/villages/{HUGE}", f"/villages/-{HUGE}", "/villages/1_000_000_000_000",
    f"/proposals/{BIG}", f"/notices/{HUGE}", f"/votes/{BIG}", f"/votes/{HUGE}/ballot-box",
    f"/councils/{HUGE}", f"/comments/{BIG}/versions", f"/attachments/{HUGE}", f"/villages/{BIG}/audit",
    f"/townships/{HUGE}/dashboard", "/votes/1/receipts/AB%00CD",
])
def test_an_id_past_the_range_is_unknown(api, path):
    refused(api.get(path), 404)


def test_an_id_past_the_range_is_unknown_to_writes_too(api, world):
    village, committee, _, _ = village_of(world, 0)
    refused(api.post(f"/proposals/{BIG}/comments", committee, {"body": "好"}), 404)
    refused(api.post(f"/notices/{HUGE}/publish", committee), 404)
    refused(api.patch(f"/villages/{village.id}/members/{HUGE}", committee, {"roles": []}), 404)


@pytest.mark.parametrize(("path", "field"), [
    (f"/townships?county_id={BIG}", "county_id"), (f"/villages?township_id={HUGE}", "township_id"),
    ("/villages/1/audit?page=100001", "page"), (f"/villages/1/audit?after={BIG}", "after"),
    (f"/villages/1/proposals?page={HUGE}", "page"), ("/villages/1/proposals?per_page=201", "per_page"),
    ("/villages/1/members?q=%00", "q"), ("/villages/1/proposals?q=a%1Fb", "q"), ("/counties?x=%00", "x"),
])
def test_query_parameters_out_of_range_or_with_controls_are_refused(client, path, field):
    body = refused(client.get("/api/v1" + path), 422)
    assert body["errors"][0]["field"].endswith(field)


def test_json_integers_are_bounded(api, world, db):
    village, committee, _, people = village_of(world, 1)
    proposal = {"title": "修路", "body": "村口的路。", "category": "facilities", "procedure": "yishiyiyi"}
    base = f"/villages/{village.id}/proposals"
    # money past 2³¹ fen is a real budget (BIGINT); past 1000 亿元 it is refused
    created = ok(api.post(base, committee, {**proposal, "procedure": "simple", "budget_fen": 2_147_483_648}), 201)
    assert created["budget_fen"] == 2_147_483_648
    body = refused(api.post(base, committee, {**proposal, "budget_fen": MAX_FEN + 1}), 422, "预算超出允许范围")
    assert body["errors"][0]["field"] == "budget_fen"
    refused(api.post(base, committee, {**proposal, "labour_days": BIG}), 422, "人均筹劳超出允许范围")
    pid = created["id"]
    refused(api.post(f"/proposals/{pid}/comments", committee, {"body": "好", "parent_id": BIG}), 422)
    refused(api.post(f"/villages/{village.id}/councils", committee, {"kind": "group", "group_id": BIG}), 422)
    refused(api.post(f"/villages/{village.id}/councils", committee,
                     {"kind": "custom", "name": "理事会", "member_ids": [people[0].id, int(HUGE)],
                      "quorum": "1/2", "passing": "1/2"}), 422)
    refused(api.post("/townships", world.admin, {"name": "镇", "county_id": BIG}), 422)
    refused(api.put(f"/villages/{village.id}/settings", committee,
                    {"per_capita_cap_fen": int(HUGE), "labour_days_cap": 1}), 422)
    vote_pid = proposal_at_vote(api, db, village, committee)
    vote = {"question": "修吗？", "secret": True, "opens_at": iso(now()), "closes_at": iso(now() + timedelta(days=1))}
    refused(api.post(f"/proposals/{vote_pid}/votes", committee, {**vote, "council_id": BIG}), 422)


def test_control_characters_are_refused_everywhere(api, world, client):
    village, committee, _, _ = village_of(world, 0)
    base = f"/villages/{village.id}/proposals"
    proposal = {"title": "修路", "body": "村口的路。", "category": "facilities", "procedure": "yishiyiyi"}
    body = refused(api.post(base, committee, {**proposal, "title": "修\x00路"}), 422, "标题不能含有控制字符")
    assert body["errors"] == [{"field": "title", "message": "标题不能含有控制字符"}]
    refused(api.post(base, committee, {**proposal, "body": "村口\x00的路"}), 422, "控制字符")
    refused(api.post(base, committee, {**proposal, "title": "修\x1b[31m路"}), 422, "控制字符")
    # a body keeps its line breaks and tabs
    pid = ok(api.post(base, committee, {**proposal, "body": "第一段\r\n\t第二段"}), 201)["id"]
    ok(api.post(f"/proposals/{pid}/transitions", committee, {"action": "submit"}))
    refused(api.post(f"/proposals/{pid}/comments", committee, {"body": "好\x00"}), 422, "控制字符")
    # a bidirectional override shows text in another order than it is stored ("0001" as "1000")
    refused(api.post(f"/proposals/{pid}/comments", committee, {"body": "共\u202e0001\u202c元"}), 422, "控制字符")
    refused(api.post(f"/villages/{village.id}/members", committee,
                     {"name": "张\x00三", "phone": unique_phone()}), 422, "姓名不能含有控制字符")
    refused(api.post(f"/villages/{village.id}/notices", committee,
                     {"category": "village", "title": "公开\x7f", "body": "内容"}), 422, "控制字符")
    refused(api.post("/auth/token", None, {"phone": "1380000\x000000", "password": "x"}), 422)
    headers = api.headers(committee)
    csv = "姓名,手机号,出生日期,性别,户号,村民小组,角色,户主\n"
    csv += f"张\x00三,{unique_phone()},1980-01-01,男,001\x01,一组,,\n"
    report = client.post(f"/api/v1/villages/{village.id}/roster", headers=headers, data={"dry_run": "true"},
                         files={"file": ("名册.csv", csv.encode(), "text/csv")})
    assert report.status_code == 200, report.text
    assert {(e["field"], e["message"]) for e in report.json()["errors"]} == {
        ("name", "姓名不能含有控制字符"), ("household", "户号不能含有控制字符")}


@pytest.mark.parametrize("blank", ["\u200b\u200b", "\u200b\u200c\u200d\ufeff", " \u3000\u2060 ", "\u3164"])
def test_titles_blank_to_the_eye_are_refused(api, world, db, blank):
    village, committee, _, _ = village_of(world, 0)
    proposal = {"title": blank, "body": "村口的路。", "category": "facilities", "procedure": "yishiyiyi"}
    refused(api.post(f"/villages/{village.id}/proposals", committee, proposal), 422, "标题不能为空")
    refused(api.post(f"/villages/{village.id}/notices", committee,
                     {"category": "village", "title": blank, "body": "内容"}), 422, "标题不能为空")
    refused(api.post(f"/villages/{village.id}/members", committee, {"name": blank, "phone": unique_phone()}), 422)
    refused(api.post(f"/villages/{village.id}/councils", committee,
                     {"kind": "custom", "name": blank, "member_ids": [committee.id], "quorum": "1/2",
                      "passing": "1/2"}), 422, "名称不能为空")
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    vote = {"council_id": council["id"], "secret": True, "opens_at": iso(now()),
            "closes_at": iso(now() + timedelta(days=1))}
    refused(api.post(f"/proposals/{pid}/votes", committee, {**vote, "question": blank}), 422, "表决事项")
    refused(api.post(f"/proposals/{pid}/votes", committee, {**vote, "question": "修吗？", "options": [blank, "否"]}),
            422, "选项不能为空")


def test_vote_times_are_bounded(api, world, db):
    village, committee, _, _ = village_of(world, 0)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    path = f"/proposals/{pid}/votes"
    vote = {"council_id": council["id"], "question": "修吗？", "secret": True}
    start = now() + timedelta(hours=1)
    for opens_at, closes_at, field, reason in [
        (iso(start), "9999-12-31T23:59:59Z", "closes_at", "90 天"),
        (iso(start), "9999-12-31T23:59:59+08:00", "closes_at", "90 天"),
        ("0001-01-01T00:00:00+08:00", iso(start), "opens_at", "超出范围"),
        ("0001-01-01T00:00:00Z", iso(start), "opens_at", "24 小时"),
        (iso(now() - timedelta(days=2)), iso(start), "opens_at", "24 小时"),
        (iso(now() + timedelta(days=400)), iso(now() + timedelta(days=401)), "opens_at", "一年"),
        (iso(start), iso(start + timedelta(days=91)), "closes_at", "90 天"),
    ]:
        body = refused(api.post(path, committee, {**vote, "opens_at": opens_at, "closes_at": closes_at}), 422, reason)
        assert field in {e["field"] for e in body["errors"]}, body
    longest = {**vote, "opens_at": iso(start), "closes_at": iso(start + timedelta(days=90))}
    created = ok(api.post(path, committee, longest), 201)
    refused(api.patch(f"/votes/{created['id']}", committee, {"closes_at": "9999-12-31T23:59:59Z"}), 422, "90 天")
    ok(api.get(f"/votes/{created['id']}", committee))
    ok(api.get(f"/proposals/{pid}", committee))


@pytest.mark.parametrize(("birth", "reason"), [("2999-01-01", "晚于今天"), ("0001-01-01", "早于 1900 年"),
                                                 ("1899-12-31", "早于 1900 年")])
def test_birth_dates_are_bounded(api, world, birth, reason):
    village, committee, _, _ = village_of(world, 0)
    body = refused(api.post(f"/villages/{village.id}/members", committee,
                            {"name": "张三", "phone": unique_phone(), "birth_date": birth}), 422, reason)
    assert body["errors"][0]["field"] == "birth_date"
    ok(api.post(f"/villages/{village.id}/members", committee,
                {"name": "张三", "phone": unique_phone(), "birth_date": "1900-01-01"}), 201)
