"""村务公开 stays posted at least fifteen days from 2026-01-01 (《村民委员会组织法》（2025年修正）第三十五条),
through the API and the services, on both engines: fewer days are refused with the law's citation and
nothing is written; the days offered default to the floor; a draft written under the old rule and
published under the new one is posted for the floor, and shows it; the drafts the system makes (a
resolution, an implementation result, a month's finance notice) use the day's default and are never
refused. Party notices (党务) have no such floor."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from sqlalchemy import func, select, update

from app.models import AuditEvent, Notice, Proposal
from app.services import books, periods
from app.services.access import load_actor
from tests.api.test_notices import proposal_at_vote
from tests.factories import Staff, login, ok, parse_time, refused

LAST_2018 = date(2025, 12, 31)
FIRST_2025 = date(2026, 1, 1)
MESSAGE = "村务公开至少公布 15 天（依据《村民委员会组织法》（2025年修正）第三十五条）"
VILLAGE = {"category": "village", "title": "村道硬化工程招标结果公示", "body": "中标单位：某某建筑公司。"}
FINANCE = {"category": "finance", "title": "2025年12月财务收支公开", "body": "收入 1,000.00 元。", "period": "2025-12"}
PARTY = {"category": "party", "title": "发展党员公示", "body": "拟将 1 名入党积极分子列为发展对象。"}


def notices_of(db, village_id: int) -> int:
    return db.execute(select(func.count()).select_from(Notice).where(Notice.village_id == village_id)).scalar_one()


def events(db, village_id: int, action: str) -> list[dict]:
    rows = db.execute(select(AuditEvent.payload).where(AuditEvent.village_id == village_id,
                                                       AuditEvent.action == action)
                      .order_by(AuditEvent.seq)).scalars()
    return [json.loads(bytes(p))["data"] for p in rows]


def review_and_publish(api, s: Staff, nid: int) -> dict:
    ok(api.post(f"/notices/{nid}/submit", s.committee))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    return ok(api.post(f"/notices/{nid}/publish", s.committee))


def posted_days(notice: dict) -> timedelta:
    return parse_time(notice["window_until"]) - parse_time(notice["window_from"])


def test_fewer_days_than_the_law_asks_are_refused_and_nothing_is_written(api, world, db, clock):
    clock.on_day(FIRST_2025, hour=9)
    s = Staff(world)
    path = f"/villages/{s.village.id}/notices"
    for body, user in ((VILLAGE, s.committee), (FINANCE, s.accountant)):
        problem = refused(api.post(path, user, {**body, "days": 14}), 422, MESSAGE)
        assert problem["errors"] == [{"field": "days", "message": MESSAGE}]
    assert notices_of(db, s.village.id) == 0 and events(db, s.village.id, "notice.create") == []

    # fifteen days are enough; a party notice is not 村务公开 and may be posted one day
    assert ok(api.post(path, s.committee, {**VILLAGE, "days": 15}), 201)["days"] == 15
    assert ok(api.post(path, s.accountant, {**FINANCE, "days": 15}), 201)["days"] == 15
    assert ok(api.post(path, s.party, {**PARTY, "days": 1}), 201)["days"] == 1
    # left out, the days are the day's default for the category
    assert ok(api.post(path, s.committee, VILLAGE), 201)["days"] == 15
    assert ok(api.post(path, s.party, PARTY), 201)["days"] == 7
    assert notices_of(db, s.village.id) == 5


def test_editing_or_correcting_below_the_floor_is_refused_and_changes_nothing(api, world, db, clock):
    clock.on_day(FIRST_2025, hour=9)
    s = Staff(world)
    nid = ok(api.post(f"/villages/{s.village.id}/notices", s.committee, {**VILLAGE, "days": 20}), 201)["id"]
    refused(api.put(f"/notices/{nid}", s.committee, {"title": "改过的标题", "body": "改过的内容", "days": 14}),
            422, MESSAGE)
    db.expire_all()
    draft = db.get(Notice, nid)
    assert (draft.title, draft.days) == (VILLAGE["title"], 20)
    assert ok(api.put(f"/notices/{nid}", s.committee, {"title": "改过的标题", "body": "改过的内容", "days": 15}))[
        "days"] == 15

    review_and_publish(api, s, nid)
    before = notices_of(db, s.village.id)
    refused(api.post(f"/notices/{nid}/revise", s.committee, {"title": "更正", "body": "更正内容", "days": 14}),
            422, MESSAGE)
    assert notices_of(db, s.village.id) == before


def test_the_last_day_of_the_old_edition_allows_seven_days(api, world, db, clock):
    clock.on_day(LAST_2018, hour=23)
    s = Staff(world)
    path = f"/villages/{s.village.id}/notices"
    assert ok(api.post(path, s.committee, {**VILLAGE, "days": 7}), 201)["days"] == 7
    assert ok(api.post(path, s.committee, VILLAGE), 201)["days"] == 7  # the default before the floor
    clock.on_day(FIRST_2025, hour=0)  # midnight in Beijing, still 2025-12-31 in UTC: the new rule
    refused(api.post(path, s.committee, {**VILLAGE, "days": 7}), 422, MESSAGE)


def test_a_draft_of_the_old_rule_published_under_the_new_is_posted_for_the_floor(api, world, db, clock, client):
    clock.on_day(LAST_2018, hour=10)
    s = Staff(world)
    nid = ok(api.post(f"/villages/{s.village.id}/notices", s.committee, {**VILLAGE, "days": 7}), 201)["id"]
    ok(api.post(f"/notices/{nid}/submit", s.committee))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))

    clock.on_day(FIRST_2025, hour=10)
    # the draft's page tells the publisher what will happen
    login(client, s.committee)
    page = client.get(f"/v/{s.village.slug}/notices/{nid}").text
    assert f"发布后公示 15 天（草稿写的是 7 天；{MESSAGE}，发布时按 15 天公示）" in page
    assert "发布后公示 15 天，内容不能再改" in page
    client.cookies.clear()

    notice = ok(api.post(f"/notices/{nid}/publish", s.committee))
    assert notice["state"] == "published" and notice["days"] == 15 and posted_days(notice) == timedelta(days=15)
    assert ok(api.get(f"/notices/{nid}"))["days"] == 15  # the public notice shows the days it is really up
    [published] = events(db, s.village.id, "notice.publish")
    assert (published["days"], published["drafted_days"]) == (15, 7)

    # a correction made now keeps the old notice's days, raised to the floor
    correction = ok(api.post(f"/notices/{nid}/revise", s.committee, {"title": "更正", "body": "更正内容"}), 201)
    assert correction["days"] == 15


def test_a_draft_with_enough_days_is_published_as_it_is(api, world, db, clock):
    clock.on_day(FIRST_2025, hour=10)
    s = Staff(world)
    nid = ok(api.post(f"/villages/{s.village.id}/notices", s.committee, {**VILLAGE, "days": 20}), 201)["id"]
    notice = review_and_publish(api, s, nid)
    assert notice["days"] == 20 and posted_days(notice) == timedelta(days=20)
    [published] = events(db, s.village.id, "notice.publish")
    assert "drafted_days" not in published


def test_the_edit_form_offers_the_floor_for_an_old_draft(api, world, clock, client):
    clock.on_day(LAST_2018, hour=10)
    s = Staff(world)
    nid = ok(api.post(f"/villages/{s.village.id}/notices", s.committee, {**VILLAGE, "days": 7}), 201)["id"]
    clock.on_day(FIRST_2025, hour=10)
    login(client, s.committee)
    form = client.get(f"/v/{s.village.slug}/notices/{nid}/edit").text
    assert re.search(r'<input id="days"[^>]* value="15"', form)
    assert "村务、财务公开至少公布 15 天（依据《村民委员会组织法》（2025年修正）第三十五条）" in form


def test_an_implementation_result_drafted_by_the_system_uses_the_day_s_default(api, world, db, clock):
    s = Staff(world)  # today, under the 2025 edition
    pid = proposal_at_vote(api, db, s, "修村口水渠")
    db.execute(update(Proposal).where(Proposal.id == pid).values(state="acceptance", stage_entered_at=clock()))
    db.commit()
    assert ok(api.post(f"/proposals/{pid}/transitions", s.supervisor, {"action": "advance"}))["state"] == "closed"
    [draft] = ok(api.get(f"/villages/{s.village.id}/notices", s.committee, state="draft"))["items"]
    assert draft["kind"] == "implementation" and draft["days"] == 15
    notice = review_and_publish(api, s, draft["id"])
    assert notice["state"] == "published" and posted_days(notice) == timedelta(days=15)


def test_the_month_s_finance_notice_is_drafted_with_the_day_s_default_and_extended_when_published(
        api, world, db, clock):
    clock.on_day(date(2025, 12, 2), hour=10)
    s = Staff(world)
    accountant = load_actor(db, s.accountant)
    books.open_ledger(db, accountant, s.village, "2023", "2025-11")
    books.set_openings(db, accountant, s.village,
                       [books.OpeningIn("102", debit=1_000_000), books.OpeningIn("301", credit=1_000_000)])
    november = periods.close(db, accountant, s.village, "2025-11")
    assert db.get(Notice, november.notice_id).days == 7  # drafted under the 2018 edition

    clock.on_day(date(2026, 1, 2), hour=10)
    december = periods.close(db, load_actor(db, s.accountant), s.village, "2025-12")
    assert db.get(Notice, december.notice_id).days == 15  # drafted under the 2025 edition
    for row in (november, december):
        notice = review_and_publish(api, s, row.notice_id)
        assert notice["days"] == 15 and posted_days(notice) == timedelta(days=15)
