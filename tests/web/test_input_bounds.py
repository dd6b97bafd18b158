"""Pages never answer 500 to what is typed or put in an address (issue 14, items 2–4): ids past the
INTEGER range are unknown (the 404 page, with the security headers), control characters in forms and
query strings are refused, blank-looking titles and out-of-range dates come back on the form with a
Chinese reason. Both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.calendar import format_local
from app.domain.proposals import ProposalDraft
from app.services import councils as council_service
from app.services import proposals as proposal_service
from app.services import village_settings
from app.services.access import load_actor
from tests.factories import login, now, unique_phone

HUGE = "99999999999999999999"
BIG = str(2**31)
ROAD = {"title": "修村口的路", "body": "村口的路坑洼不平。", "category": "facilities", "procedure": "yishiyiyi"}


@pytest.fixture
def town(world):
    village = world.village()
    chair = world.member(village, "committee", name="主任")
    return village, chair


@pytest.mark.parametrize("tail", [f"notices/{HUGE}", f"notices/{BIG}/print", f"proposals/{HUGE}", f"votes/{BIG}",
                                  f"councils/{HUGE}", f"members/{BIG}", f"notices/1/attachments/{HUGE}"])
def test_an_id_past_the_range_is_the_404_page(client, town, tail):
    village, _ = town
    r = client.get(f"/v/{village.slug}/{tail}")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in r.headers and "找不到" in r.text


def test_ids_past_the_range_in_forms_are_refused(client, town, world):
    village, chair = town
    token = login(client, chair)
    pid = proposal_service.create(world.db, load_actor(world.db, chair), village, ProposalDraft(**ROAD)).id
    proposal_service.transition(world.db, load_actor(world.db, chair), pid, "submit")
    r = client.post(f"/v/{village.slug}/proposals/{pid}/comments",
                    data={"body": "同意", "parent_id": HUGE, "csrf_token": token})
    assert r.status_code == 422 and "要回复的评论不在这个事项下" in r.text
    r = client.post(f"/v/{village.slug}/councils", data={"kind": "group", "group_id": BIG, "csrf_token": token})
    assert r.status_code == 422 and "请选择本村的村民小组" in r.text
    r = client.post(f"/v/{village.slug}/notices/new", data={"category": "village", "title": "公开", "body": "内容",
                                                           "days": "7", "proposal_id": HUGE, "csrf_token": token})
    assert r.status_code == 422 and "请从列表中选择事项" in r.text
    r = client.post(f"/v/{village.slug}/proposals/new", data={**ROAD, "procedure": "simple", "budget": "1" * 20,
                                                             "csrf_token": token})
    assert r.status_code == 422 and "预算超出允许范围" in r.text


def test_admin_form_ids_past_the_range(client, world):
    token = login(client, world.admin)
    r = client.post("/admin/townships", data={"name": "镇", "county_id": HUGE, "csrf_token": token})
    assert r.status_code == 422


def test_control_characters_in_forms_and_queries_are_refused(client, town):
    village, chair = town
    token = login(client, chair)
    r = client.post(f"/v/{village.slug}/proposals/new", data={**ROAD, "title": "修\x00路", "csrf_token": token})
    assert r.status_code == 422 and "控制字符" in r.text
    r = client.post(f"/v/{village.slug}/members/new", data={"name": "张三\x00", "phone": unique_phone(),
                                                           "csrf_token": token})
    assert r.status_code == 422 and "控制字符" in r.text
    assert client.get(f"/v/{village.slug}/proposals?q=%00").status_code == 422
    assert client.get(f"/v/{village.slug}/members?q=a%1Bb").status_code == 422
    assert client.get(f"/v/{village.slug}/proposals?page={HUGE}").status_code == 422
    # a body keeps its line breaks and tabs
    body = {**ROAD, "body": "第一段\r\n\t第二段", "csrf_token": token}
    r = client.post(f"/v/{village.slug}/proposals/new", data=body)
    assert r.status_code == 303


def test_blank_looking_titles_come_back_on_the_form(client, town):
    village, chair = town
    token = login(client, chair)
    r = client.post(f"/v/{village.slug}/proposals/new", data={**ROAD, "title": "\u200b\u200d\ufeff",
                                                             "csrf_token": token})
    assert r.status_code == 422 and "标题不能为空，或只有空格和不可见字符" in r.text and "村口的路坑洼不平" in r.text
    r = client.post(f"/v/{village.slug}/members/new", data={"name": "\u200b", "phone": unique_phone(),
                                                           "csrf_token": token})
    assert r.status_code == 422 and "姓名不能为空" in r.text
    r = client.post(f"/v/{village.slug}/notices/new", data={"category": "village", "title": "\u2060\u3000",
                                                           "body": "内容", "days": "7", "csrf_token": token})
    assert r.status_code == 422 and "标题不能为空" in r.text


@pytest.mark.parametrize(("birth", "reason"), [("2999-01-01", "晚于今天"), ("0001-01-01", "早于 1900 年")])
def test_birth_dates_on_the_member_form(client, town, birth, reason):
    village, chair = town
    token = login(client, chair)
    r = client.post(f"/v/{village.slug}/members/new", data={"name": "张三", "phone": unique_phone(),
                                                           "birth_date": birth, "csrf_token": token})
    assert r.status_code == 422 and reason in r.text


def test_vote_form_dates(client, town, world):
    village, chair = town
    db, actor = world.db, load_actor(world.db, chair)
    council = council_service.create_council(db, actor, village, kind="assembly", name="")
    proposal = proposal_service.create(db, actor, village, ProposalDraft(**ROAD))
    proposal_service.transition(db, actor, proposal.id, "submit")
    current = village_settings.settings_of(db, village)
    village_settings.update_settings(db, actor, village, min_days={**current.min_days, "yishiyiyi.deliberation": 0},
                                     per_capita_cap_fen=current.per_capita_cap_fen,
                                     labour_days_cap=current.labour_days_cap)
    assert proposal_service.transition(db, actor, proposal.id, "advance").state == "vote"
    token = login(client, chair)
    url = f"/v/{village.slug}/proposals/{proposal.id}/votes/new"
    start = format_local(now() + timedelta(hours=1), "%Y-%m-%dT%H:%M")
    form = {"council_id": str(council.id), "question": "修吗？", "options": "同意\n反对\n弃权", "ballot": "secret",
            "csrf_token": token}
    for opens_at, closes_at, reason in [("0001-01-01T00:00", start, "开始时间超出范围"),
                                        (start, "9999-12-31T23:59", "90 天"),
                                        ("2000-01-01T08:00", start, "24 小时")]:
        r = client.post(url, data={**form, "opens_at": opens_at, "closes_at": closes_at})
        assert r.status_code == 422 and reason in r.text, (opens_at, closes_at, r.status_code)
    r = client.post(url, data={**form, "council_id": "9" * 12, "opens_at": start, "closes_at": start})
    assert r.status_code == 422 and "请选择表决的议事机构" in r.text
