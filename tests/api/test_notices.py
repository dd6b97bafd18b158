"""The three publications (三公开) through the API, on both engines: who drafts, reviews and publishes
each category, publication with its window and content hash, immutability (the service and the
database), corrections, objections and replies, the calendar and the township's dashboard, the
public board's query count, and the hooks that tie notices to votes and proposals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from app.domain import notices as N
from app.domain.calendar import SHANGHAI
from app.models import Notice, Proposal
from tests.factories import Api, Staff, iso, items, now, ok, parse_time, png, refused
from tests.querycount import count_queries

BASE = "/api/v1"


def beijing_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


parse = parse_time


VILLAGE_NOTICE = {"category": "village", "title": "村道硬化工程招标结果公示",
                  "body": "## 中标单位\n\n某某建筑公司\n\n中标价 58 万元", "days": 15}
FINANCE_NOTICE = {"category": "finance", "title": "2026年10月财务收支公开", "body": "收入 1,000.00 元\n支出 800.00 元",
                  "period": "2026-10"}
PARTY_NOTICE = {"category": "party", "title": "2026年第三季度党费收缴情况", "body": "应缴 36 人，实缴 36 人。"}


def draft(api: Api, s: Staff, user=None, body: dict | None = None) -> dict:
    return ok(api.post(f"/villages/{s.village.id}/notices", user or s.committee, body or VILLAGE_NOTICE), 201)


def published(api: Api, s: Staff, body: dict | None = None) -> dict:
    """A village (or finance) notice drafted by the committee, approved by the supervisor and published."""
    nid = draft(api, s, body=body)["id"]
    ok(api.post(f"/notices/{nid}/submit", s.committee))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    return ok(api.post(f"/notices/{nid}/publish", s.committee))


def insert_published(db, village_id: int, category: str, when: datetime, *, title: str = "旧公开",
                     days: int = 7) -> int:
    """A notice published long ago, inserted directly (the trigger allows INSERT; it refuses changes)."""
    notice = Notice(village_id=village_id, category=category, title=title, body="内容", days=days, state="published",
                    period=when.strftime("%Y-%m") if category == "finance" else None,
                    published_at=when, window_from=when, window_until=when + timedelta(days=days),
                    content_hash=N.content_hash(title, "内容", []), created_at=when, updated_at=when)
    db.add(notice)
    db.commit()
    return notice.id


# --- drafting -----------------------------------------------------------------------------------

def test_who_may_draft_which_category(api, world, db):
    s = Staff(world)
    other = Staff(world)
    monitor = world.monitor(s.village.township_id)
    path = f"/villages/{s.village.id}/notices"

    refused(api.post(path, s.villager, VILLAGE_NOTICE), 403)
    refused(api.post(path, s.villager, FINANCE_NOTICE), 403)
    refused(api.post(path, s.accountant, VILLAGE_NOTICE), 403, "村委会")
    refused(api.post(path, s.accountant, PARTY_NOTICE), 403)
    refused(api.post(path, s.committee, PARTY_NOTICE), 403, "村党组织委员")
    refused(api.post(path, s.party, VILLAGE_NOTICE), 403)
    refused(api.post(path, s.supervisor, VILLAGE_NOTICE), 403)
    refused(api.post(path, monitor, VILLAGE_NOTICE), 403)
    refused(api.post(path, other.committee, VILLAGE_NOTICE), 404)
    refused(api.post(path, None, VILLAGE_NOTICE), 401)

    finance = ok(api.post(path, s.accountant, FINANCE_NOTICE), 201)
    assert finance["state"] == "draft" and finance["state_name"] == "草稿" and finance["category_name"] == "财务公开"
    assert finance["kind"] == "general" and finance["days"] == 15 and finance["links"]["period"] == "2026-10"
    assert finance["published_at"] is None and finance["content_hash"] is None and finance["versions"][0]["id"] == \
        finance["id"]
    assert finance["diff"] is None and finance["attachments"] == [] and finance["superseded_by"] is None
    village = ok(api.post(path, s.committee, VILLAGE_NOTICE), 201)
    assert village["body_html"].startswith("<h3>中标单位</h3>")  # user headings sit below the page title
    assert ok(api.post(path, s.committee, FINANCE_NOTICE), 201)["category"] == "finance"
    assert ok(api.post(path, s.party, PARTY_NOTICE), 201)["category_name"] == "党务公开"

    # bad input: a clear Chinese message for the field, nothing stored
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "days": 0}), 422, "公示天数")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "days": 366}), 422, "公示天数")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "title": "题" * 121}), 422, "120")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "title": "  "}), 422, "标题")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "body": ""}), 422, "内容")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "category": "gossip"}), 422, "类别")
    refused(api.post(path, s.committee, {**FINANCE_NOTICE, "period": "2026-13"}), 422, "会计期间")
    refused(api.post(path, s.committee, {**FINANCE_NOTICE, "period": "10/2026"}), 422, "会计期间")
    refused(api.post(path, s.committee, {"title": "缺类别", "body": "内容"}), 422)
    vote_elsewhere = insert_vote_session_id(db, other)
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "vote_session_id": vote_elsewhere}), 422, "本村")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "vote_session_id": 10**9}), 422, "本村")
    elsewhere = proposal_at_vote(api, db, other, "外村修路")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "proposal_id": elsewhere}), 422, "本村")
    refused(api.post(path, s.committee, {**VILLAGE_NOTICE, "proposal_id": 10**9}), 422, "本村")
    assert ok(api.post(path, s.committee, {**VILLAGE_NOTICE, "days": 15}), 201)["days"] == 15  # the law's least
    assert ok(api.post(path, s.committee, {**VILLAGE_NOTICE, "days": 365, "title": "题" * 120}), 201)["days"] == 365
    count = db.execute(select(func.count()).select_from(Notice).where(Notice.village_id == s.village.id)).scalar_one()
    assert count == 6


def insert_vote_session_id(db, s: Staff) -> int:
    """A vote session of another village, for a link that must be refused."""
    from app.models import Council, VoteSession

    proposal = Proposal(village_id=s.village.id, author_id=s.committee.id, title="外村事项", body="内容",
                        category="facilities", procedure="simple", state="vote")
    db.add(proposal)
    db.flush()
    council = Council(village_id=s.village.id, kind="assembly", name="村民会议")
    db.add(council)
    db.flush()
    vs = VoteSession(village_id=s.village.id, proposal_id=proposal.id, council_id=council.id, stage="vote",
                     question="外村表决", options=["同意", "反对", "弃权"], secret=True,
                     opens_at=now(), closes_at=now() + timedelta(days=1), created_by=s.committee.id)
    db.add(vs)
    db.commit()
    return vs.id


def test_drafts_are_private_to_the_people_handling_them(api, world):
    s = Staff(world)
    other = Staff(world)
    monitor = world.monitor(s.village.township_id)
    far_monitor = world.monitor(other.village.township_id)
    village = draft(api, s)
    finance = draft(api, s, s.accountant, FINANCE_NOTICE)
    party = draft(api, s, s.party, PARTY_NOTICE)
    nid = village["id"]

    # another village's committee: the drafts do not exist for it, whatever it tries
    refused(api.get(f"/notices/{nid}", other.committee), 404)
    refused(api.put(f"/notices/{nid}", other.committee, VILLAGE_NOTICE), 404)
    refused(api.post(f"/notices/{nid}/submit", other.committee), 404)
    refused(api.post(f"/notices/{nid}/publish", other.committee), 404)
    refused(api.post(f"/notices/{nid}/revise", other.committee, VILLAGE_NOTICE), 404)
    refused(api.post(f"/notices/{nid}/close", other.committee), 404)
    refused(api.post(f"/notices/{nid}/review", other.supervisor, {"approve": True}), 404)
    refused(api.get(f"/notices/{nid}/attachments", other.committee), 404)
    refused(api.upload(f"/notices/{nid}/attachments", other.committee, png()), 404)
    refused(api.get(f"/villages/{s.village.id}/notices", other.committee, state="draft"), 404)
    refused(api.get(f"/villages/{s.village.id}/notices", far_monitor, state="draft"), 404)
    # nor for villagers, the public, or the other township's monitor
    for user in (s.villager, None, far_monitor):
        refused(api.get(f"/notices/{nid}", user), 404)
    refused(api.get(f"/villages/{s.village.id}/notices", s.villager, state="draft"), 403)
    refused(api.get(f"/villages/{s.village.id}/notices", None, state="submitted"), 401)
    # nor its attachments
    file = ok(api.upload(f"/notices/{nid}/attachments", s.committee, png()), 201)
    for user in (None, s.villager, other.committee, far_monitor):
        refused(api.client.get(file["url"], headers=api.headers(user)), 404)
    assert api.client.get(file["url"], headers=api.headers(monitor)).status_code == 200
    assert [f["id"] for f in items(api.get(f"/notices/{nid}/attachments", s.supervisor))] == [file["id"]]
    refused(api.get(f"/notices/{nid}/attachments"), 404)
    refused(api.upload(f"/notices/{nid}/attachments", s.villager, png()), 404)
    refused(api.upload(f"/notices/{nid}/attachments", monitor, png()), 403)
    cleaned = ok(api.upload(f"/notices/{finance['id']}/attachments", s.committee, png(), "../../etc/表.png"), 201)
    assert cleaned["filename"] == "表.png"
    refused(api.upload(f"/notices/{party['id']}/attachments", s.committee, png()), 404)
    refused(api.upload(f"/notices/{party['id']}/attachments", s.supervisor, png()), 403)
    # the public list shows only published notices
    assert ok(api.get(f"/villages/{s.village.id}/notices"))["total"] == 0
    assert ok(api.get(f"/villages/{s.village.id}/notices", s.committee))["total"] == 0

    def drafts(user, **params) -> set[int]:
        page = ok(api.get(f"/villages/{s.village.id}/notices", user, state="draft", **params))
        assert page["total"] == len(page["items"])
        return {n["id"] for n in page["items"]}

    assert drafts(s.committee) == {village["id"], finance["id"]}
    assert drafts(s.accountant) == {finance["id"]}  # the accountant handles finance only
    assert drafts(s.party) == {party["id"]}
    assert drafts(s.supervisor) == {village["id"], finance["id"], party["id"]}
    assert drafts(monitor) == {village["id"], finance["id"], party["id"]}
    assert drafts(world.admin) == {village["id"], finance["id"], party["id"]}
    assert drafts(s.committee, category="finance") == {finance["id"]}
    assert ok(api.get(f"/villages/{s.village.id}/notices", s.committee, state="submitted"))["total"] == 0
    assert ok(api.get(f"/notices/{nid}", monitor))["state"] == "draft"
    assert ok(api.get(f"/notices/{finance['id']}", s.accountant))["id"] == finance["id"]
    refused(api.get(f"/notices/{village['id']}", s.accountant), 404)
    refused(api.get(f"/villages/{s.village.id}/notices", s.committee, state="gone"), 422, "状态")
    refused(api.get(f"/villages/{s.village.id}/notices", category="gossip"), 422, "类别")
    refused(api.get("/villages/999999999/notices"), 404)


# --- review and publication -----------------------------------------------------------------------

def test_village_notice_is_reviewed_by_the_supervisors_then_published(api, world, db):
    s = Staff(world)
    notice = draft(api, s)
    nid = notice["id"]

    # a draft cannot be published before review, whoever tries
    refused(api.post(f"/notices/{nid}/publish", s.committee), 409, "审核通过后才能发布")
    refused(api.post(f"/notices/{nid}/publish", s.villager), 404)  # a villager does not see the draft
    refused(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}), 409, "待审核")
    refused(api.post(f"/notices/{nid}/submit", s.supervisor), 403)

    # the committee attaches the tender document while drafting
    attachment = ok(api.upload(f"/notices/{nid}/attachments", s.committee, png()), 201)
    assert attachment["url"] == f"/api/v1/attachments/{attachment['id']}"
    refused(api.upload(f"/notices/{nid}/attachments", s.supervisor, png()), 403)
    refused(api.upload(f"/notices/{nid}/attachments", s.committee, b"#!/bin/sh\n"), 422, "只能上传")

    submitted = ok(api.post(f"/notices/{nid}/submit", s.committee))
    assert submitted["state"] == "submitted" and submitted["state_name"] == "待审核"
    refused(api.post(f"/notices/{nid}/submit", s.committee), 409)
    refused(api.put(f"/notices/{nid}", s.committee, VILLAGE_NOTICE), 409, "只有草稿")
    refused(api.upload(f"/notices/{nid}/attachments", s.committee, png()), 409, "只有草稿")
    refused(api.post(f"/notices/{nid}/publish", s.committee), 409, "审核通过后才能发布")
    assert {n["id"] for n in ok(api.get(f"/villages/{s.village.id}/notices", s.supervisor,
                                        state="submitted"))["items"]} == {nid}

    # returning needs a note; only the supervisory committee reviews
    refused(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": False}), 422, "意见")
    refused(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": False, "note": "   "}), 422, "意见")
    refused(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": False, "note": "意" * 501}), 422)
    refused(api.post(f"/notices/{nid}/review", s.committee, {"approve": True}), 403, "村务监督委员会")
    refused(api.post(f"/notices/{nid}/review", s.supervisor, {"note": "没说同意与否"}), 422)
    returned = ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": False, "note": "请写明中标价的构成"}))
    assert returned["state"] == "draft" and returned["review_note"] == "请写明中标价的构成"
    notes = ok(api.get("/me/notifications", s.committee))["items"]
    assert any("退回" in n["text"] and "请写明中标价的构成" in n["text"] for n in notes)

    edited = ok(api.put(f"/notices/{nid}", s.committee, {**VILLAGE_NOTICE, "body": VILLAGE_NOTICE["body"]
                                                          + "\n\n其中材料费 40 万元", "days": 20}))
    assert edited["days"] == 20 and "材料费" in edited["body"]
    refused(api.put(f"/notices/{nid}", s.committee, {**VILLAGE_NOTICE, "days": 0}), 422)
    refused(api.put(f"/notices/{nid}", s.villager, VILLAGE_NOTICE), 404)
    ok(api.post(f"/notices/{nid}/submit", s.committee))
    approved = ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True, "note": "同意发布"}))
    assert approved["state"] == "approved" and approved["state_name"] == "审核通过，待发布"
    assert any("通过审核" in n["text"] for n in ok(api.get("/me/notifications", s.committee))["items"])

    refused(api.post(f"/notices/{nid}/publish", s.supervisor), 403)
    refused(api.post(f"/notices/{nid}/publish", s.accountant), 404)  # not a handler of village notices
    before = now()
    notice = ok(api.post(f"/notices/{nid}/publish", s.committee))
    assert notice["state"] == "published" and notice["state_name"] == "公示中"
    published_at, start, until = parse(notice["published_at"]), parse(notice["window_from"]), \
        parse(notice["window_until"])
    assert before - timedelta(seconds=1) <= published_at <= now() and start == published_at
    assert until - start == timedelta(days=20)
    assert [a["sha256"] for a in notice["attachments"]] == [attachment["sha256"]]
    assert notice["content_hash"] == N.content_hash(notice["title"], notice["body"], [attachment["sha256"]])
    assert notice["versions"] == [{"id": nid, "title": notice["title"], "published_at": notice["published_at"],
                                   "content_hash": notice["content_hash"]}]
    refused(api.post(f"/notices/{nid}/publish", s.committee), 409)

    # published: public, and never changed again
    public = ok(api.get(f"/notices/{nid}"))
    assert public["content_hash"] == notice["content_hash"] and public["objections"] is None
    listed = ok(api.get(f"/villages/{s.village.id}/notices"))
    assert [n["id"] for n in listed["items"]] == [nid] and listed["total"] == 1
    assert ok(api.get(f"/villages/{s.village.id}/notices", category="party"))["total"] == 0
    assert ok(api.get(f"/villages/{s.village.id}/notices", state="published"))["total"] == 1
    files = items(api.get(f"/notices/{nid}/attachments"))
    assert [f["id"] for f in files] == [attachment["id"]]
    download = api.client.get(files[0]["url"])
    assert download.status_code == 200 and download.headers["content-type"] == "image/png"
    refused(api.put(f"/notices/{nid}", s.committee, VILLAGE_NOTICE), 409, "更正")
    refused(api.upload(f"/notices/{nid}/attachments", s.committee, png()), 409)
    refused(api.post(f"/notices/{nid}/submit", s.committee), 409)
    db.expire_all()
    assert db.get(Notice, nid).title == VILLAGE_NOTICE["title"]


def test_finance_notice_drafted_by_the_accountant(api, world):
    s = Staff(world)
    nid = draft(api, s, s.accountant, FINANCE_NOTICE)["id"]
    refused(api.post(f"/notices/{nid}/publish", s.accountant), 403)
    refused(api.post(f"/notices/{nid}/publish", s.committee), 409, "审核")
    ok(api.upload(f"/notices/{nid}/attachments", s.accountant, png(), "收支明细表.png"), 201)
    ok(api.post(f"/notices/{nid}/submit", s.accountant))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    refused(api.post(f"/notices/{nid}/publish", s.accountant), 403, "村委会")
    notice = ok(api.post(f"/notices/{nid}/publish", s.committee))
    assert notice["state"] == "published" and notice["links"] == {"proposal_id": None, "vote_session_id": None,
                                                                 "period": "2026-10"}
    assert notice["attachments"][0]["filename"] == "收支明细表.png"


def test_party_notices_are_published_by_the_party_committee_without_review(api, world):
    s = Staff(world)
    nid = draft(api, s, s.party, PARTY_NOTICE)["id"]
    refused(api.post(f"/notices/{nid}/submit", s.party), 409, "不需要审核")
    refused(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}), 409)
    refused(api.post(f"/notices/{nid}/publish", s.committee), 404)  # party drafts are the party's
    refused(api.post(f"/notices/{nid}/publish", s.supervisor), 403)
    notice = ok(api.post(f"/notices/{nid}/publish", s.party))
    assert notice["state"] == "published" and notice["reviewed_at"] is None
    assert notice["content_hash"] == N.content_hash(PARTY_NOTICE["title"], PARTY_NOTICE["body"], [])
    assert parse(notice["window_until"]) - parse(notice["window_from"]) == timedelta(days=N.DEFAULT_DAYS)


def test_the_database_refuses_to_change_or_delete_a_published_notice(api, world, db):
    s = Staff(world)
    nid = published(api, s)["id"]
    for statement in (
        "UPDATE notice SET title = 'quietly changed' WHERE id = :id",
        "UPDATE notice SET body = 'quietly changed' WHERE id = :id",
        "UPDATE notice SET content_hash = 'x' WHERE id = :id",
        "UPDATE notice SET window_until = window_from WHERE id = :id",
        "UPDATE notice SET published_at = NULL WHERE id = :id",
        "DELETE FROM notice WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="immutable"):
            db.execute(text(statement), {"id": nid})
        db.rollback()
    db.expire_all()
    row = db.get(Notice, nid)
    assert row is not None and row.title == VILLAGE_NOTICE["title"]
    # the workflow columns may still move (closing), and a draft is as editable as ever
    draft_id = draft(api, s)["id"]
    db.execute(text("UPDATE notice SET title = 'still a draft' WHERE id = :id"), {"id": draft_id})
    db.commit()
    assert ok(api.get(f"/notices/{draft_id}", s.committee))["title"] == "still a draft"


# --- corrections ----------------------------------------------------------------------------------

def test_a_correction_supersedes_the_published_notice(api, world, db):
    s = Staff(world)
    old = published(api, s, {**VILLAGE_NOTICE, "body": "中标单位：某某建筑公司\n中标价 58 万元\n工期 90 天"})
    oid = old["id"]
    correction = {"title": VILLAGE_NOTICE["title"] + "（更正）",
                  "body": "中标单位：某某建筑公司\n中标价 56 万元\n工期 90 天"}

    refused(api.post(f"/notices/{oid}/revise", s.villager, correction), 403)
    refused(api.post(f"/notices/{oid}/revise", s.accountant, correction), 403)
    refused(api.post(f"/notices/{oid}/revise", None, correction), 401)
    refused(api.post(f"/notices/{oid}/revise", s.committee, {**correction, "title": ""}), 422)
    refused(api.post(f"/notices/{oid}/revise", s.committee, {**correction, "days": 0}), 422, "公示天数")
    new = ok(api.post(f"/notices/{oid}/revise", s.committee, correction), 201)
    nid = new["id"]
    assert new["state"] == "draft" and new["kind"] == "correction" and new["kind_name"] == "更正"
    assert new["supersedes_id"] == oid and new["days"] == old["days"]
    assert [v["id"] for v in new["versions"]] == [oid, nid]
    # a draft correction supersedes nothing yet
    assert ok(api.get(f"/notices/{oid}"))["superseded_by"] is None
    refused(api.post(f"/notices/{nid}/revise", s.committee, correction), 409, "草稿直接修改")

    ok(api.post(f"/notices/{nid}/submit", s.committee))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    new = ok(api.post(f"/notices/{nid}/publish", s.committee))

    old_now = ok(api.get(f"/notices/{oid}"))
    assert old_now["superseded_by"] == nid and old_now["state"] == "published"
    assert old_now["content_hash"] == old["content_hash"] and old_now["body"] == old["body"]
    assert [v["id"] for v in old_now["versions"]] == [oid, nid]
    public_new = ok(api.get(f"/notices/{nid}"))
    assert public_new["superseded_by"] is None and [v["id"] for v in public_new["versions"]] == [oid, nid]
    assert [v["content_hash"] for v in public_new["versions"]] == [old["content_hash"], new["content_hash"]]
    diff = [(d["kind"], d["text"]) for d in public_new["diff"]]
    assert ("removed", "中标价 58 万元") in diff and ("added", "中标价 56 万元") in diff
    assert ("removed", VILLAGE_NOTICE["title"]) in diff and ("added", correction["title"]) in diff
    assert ("same", "工期 90 天") in diff and {k for k, _ in diff} == {"same", "added", "removed"}
    # both stay on the board
    assert {n["id"] for n in ok(api.get(f"/villages/{s.village.id}/notices"))["items"]} == {oid, nid}

    # the old one has a published correction: correct the newest one instead
    refused(api.post(f"/notices/{oid}/revise", s.committee, correction), 409, "最新")
    again = ok(api.post(f"/notices/{nid}/revise", s.committee, {**correction, "body": "再次更正", "days": 30}), 201)
    assert again["days"] == 30 and [v["id"] for v in again["versions"]] == [oid, nid, again["id"]]


def test_two_draft_corrections_cannot_both_be_published(api, world):
    s = Staff(world)
    oid = published(api, s)["id"]
    first = ok(api.post(f"/notices/{oid}/revise", s.committee, {"title": "更正一", "body": "第一种改法"}), 201)["id"]
    second = ok(api.post(f"/notices/{oid}/revise", s.committee, {"title": "更正二", "body": "第二种改法"}), 201)["id"]
    for nid in (first, second):
        ok(api.post(f"/notices/{nid}/submit", s.committee))
        ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    ok(api.post(f"/notices/{first}/publish", s.committee))
    # the versions form one line: the second draft now corrects a superseded notice
    refused(api.post(f"/notices/{second}/publish", s.committee), 409, "更正")
    assert ok(api.get(f"/notices/{second}", s.committee))["state"] == "approved"
    assert ok(api.get(f"/notices/{oid}"))["superseded_by"] == first
    assert [v["id"] for v in ok(api.get(f"/notices/{first}"))["versions"]] == [oid, first]


# --- objections -----------------------------------------------------------------------------------

def test_objections_during_the_window_and_replies(api, world, db, clock):
    s = Staff(world)
    other = Staff(world)
    monitor = world.monitor(s.village.township_id)
    notice = published(api, s)
    nid = notice["id"]
    path = f"/notices/{nid}/objections"

    refused(api.post(path, s.villager, {"body": "  "}), 422, "质询")
    refused(api.post(path, s.villager, {"body": "问" * 2001}), 422, "2000")
    refused(api.post(path, other.villager, {"body": "外村人来问"}), 404)
    refused(api.post(path, other.committee, {"body": "外村人来问"}), 404)
    refused(api.post(path, monitor, {"body": "监督员不提质询"}), 403)
    refused(api.post(path, None, {"body": "匿名"}), 401)
    objection = ok(api.post(path, s.villager, {"body": "中标价为什么比预算高？"}), 201)
    assert objection["notice_id"] == nid and objection["author_name"] == "村民甲" and objection["reply"] is None
    assert objection["overdue"] is False
    assert parse(objection["due_at"]) - parse(objection["created_at"]) == timedelta(days=N.DEFAULT_REPLY_DAYS)
    second = ok(api.post(path, s.neighbour, {"body": "工期能否缩短？"}), 201)

    # members and monitors see the objections; the public and other villages never do
    assert [o["id"] for o in ok(api.get(f"/notices/{nid}", s.neighbour))["objections"]] == [objection["id"],
                                                                                            second["id"]]
    assert len(ok(api.get(f"/notices/{nid}", monitor))["objections"]) == 2
    assert ok(api.get(f"/notices/{nid}"))["objections"] is None
    assert ok(api.get(f"/notices/{nid}", other.committee))["objections"] is None

    inbox = f"/villages/{s.village.id}/objections"
    page = ok(api.get(inbox, s.committee, open="true"))
    assert page["total"] == 2 and page["items"][0]["notice_title"] == notice["title"]
    assert ok(api.get(inbox, s.supervisor))["total"] == 2
    assert ok(api.get(inbox, monitor))["total"] == 2
    assert ok(api.get(inbox, s.committee, per_page=1, page=2))["items"][0]["id"] == second["id"]
    refused(api.get(inbox, s.villager), 403)
    refused(api.get(inbox, other.committee), 404)
    refused(api.get(inbox), 401)

    # the window is still open: cannot be closed
    refused(api.post(f"/notices/{nid}/close", s.committee), 409, "公示期还没结束")

    # the committee replies to one; the author is told
    reply = f"/objections/{objection['id']}/reply"
    refused(api.post(reply, s.villager, {"body": "我来答"}), 403)
    refused(api.post(reply, s.supervisor, {"body": "我来答"}), 403)
    refused(api.post(reply, other.committee, {"body": "外村答"}), 404)
    refused(api.post(reply, s.committee, {"body": ""}), 422, "答复")
    refused(api.post("/objections/999999999/reply", s.committee, {"body": "无"}), 404)
    answered = ok(api.post(reply, s.committee, {"body": "含三年质保费用，详见附件。"}))
    assert answered["reply"] == "含三年质保费用，详见附件。" and answered["replier_name"] == "主任"
    assert answered["author_name"] == "村民甲" and answered["replied_at"] is not None
    refused(api.post(reply, s.committee, {"body": "再答一次"}), 409, "已经答复")
    notes = ok(api.get("/me/notifications", s.villager))["items"]
    assert any("质询已有答复" in n["text"] for n in notes)
    assert ok(api.get(inbox, s.committee))["total"] == 1
    assert ok(api.get(inbox, s.committee, open="false"))["total"] == 2

    # the window ends: no more objections; one is still unanswered, so it cannot be closed
    clock.travel(days=16)
    refused(api.post(path, s.villager, {"body": "过期的质询"}), 409, "公示期已过")
    refused(api.post(f"/notices/{nid}/close", s.committee), 409, "1 条质询没有答复")
    ok(api.post(f"/objections/{second['id']}/reply", s.committee, {"body": "已和施工方商量，争取 80 天完工。"}))
    refused(api.post(f"/notices/{nid}/close", s.villager), 403)
    refused(api.post(f"/notices/{nid}/close", s.supervisor), 403)
    closed = ok(api.post(f"/notices/{nid}/close", s.committee))
    assert closed["state"] == "closed" and closed["state_name"] == "已办结" and closed["closed_at"] is not None
    assert closed["content_hash"] == notice["content_hash"]
    refused(api.post(f"/notices/{nid}/close", s.committee), 409)
    refused(api.post(path, s.villager, {"body": "办结后再问"}), 409)
    assert ok(api.get(f"/villages/{s.village.id}/notices", state="closed"))["total"] == 1
    # a closed notice can still be corrected (a new version)
    ok(api.post(f"/notices/{nid}/revise", s.committee, {"title": "更正", "body": "更正内容"}), 201)


def test_objections_after_the_window_are_refused(api, world, clock):
    s = Staff(world)
    nid = published(api, s, {**VILLAGE_NOTICE, "days": 15})["id"]
    clock.travel(days=14, hours=23, minutes=59)
    ok(api.post(f"/notices/{nid}/objections", s.villager, {"body": "最后一分钟的质询"}), 201)
    clock.travel(minutes=1, seconds=1)
    refused(api.post(f"/notices/{nid}/objections", s.villager, {"body": "晚了"}), 409)


def test_overdue_objections_reach_the_townships_monitor(api, world, db, clock):
    township = world.township()
    s = Staff(world, township)
    quiet = Staff(world, township)
    elsewhere = Staff(world)
    monitor = world.monitor(township)
    far_monitor = world.monitor(elsewhere.village.township_id)
    nid = published(api, s)["id"]
    oid = ok(api.post(f"/notices/{nid}/objections", s.villager, {"body": "账目对不上"}), 201)["id"]
    published(api, quiet)

    def overdue_counts(user) -> dict[int, int]:
        board = ok(api.get(f"/townships/{township}/dashboard", user))
        assert board["township_id"] == township
        return {v["village_id"]: v["overdue_objections"] for v in board["villages"]}

    assert overdue_counts(monitor) == {s.village.id: 0, quiet.village.id: 0}
    clock.travel(days=N.DEFAULT_REPLY_DAYS, hours=1)
    assert overdue_counts(monitor) == {s.village.id: 1, quiet.village.id: 0}
    assert overdue_counts(world.admin)[s.village.id] == 1
    inbox = ok(api.get(f"/villages/{s.village.id}/objections", monitor))["items"]
    assert [(o["id"], o["overdue"]) for o in inbox] == [(oid, True)]
    refused(api.get(f"/townships/{township}/dashboard", far_monitor), 404)
    refused(api.get(f"/townships/{township}/dashboard", s.committee), 404)
    refused(api.get(f"/townships/{township}/dashboard"), 401)
    refused(api.get("/townships/999999999/dashboard", world.admin), 404)
    assert ok(api.get(f"/townships/{elsewhere.village.township_id}/dashboard", far_monitor))["villages"][0][
        "overdue_objections"] == 0
    # a late reply takes it off the list
    ok(api.post(f"/objections/{oid}/reply", s.committee, {"body": "已核对，账目无误。"}))
    assert overdue_counts(monitor)[s.village.id] == 0


# --- the calendar ---------------------------------------------------------------------------------

def test_calendar_flags_a_village_whose_finance_notice_is_over_a_month_old(api, world, db, clock):
    township = world.township()
    late = Staff(world, township)
    punctual = Staff(world, township)
    other = Staff(world)
    monitor = world.monitor(township)
    insert_published(db, late.village.id, "finance", now() - timedelta(days=40), title="八月财务公开")
    insert_published(db, punctual.village.id, "finance", now() - timedelta(days=40), title="八月财务公开")
    published(api, punctual, FINANCE_NOTICE)

    def calendar(s: Staff, user=None) -> dict[str, dict]:
        return {c["category"]: c for c in items(api.get(f"/villages/{s.village.id}/notice-calendar",
                                                        user or s.committee))}

    cal = calendar(late)
    assert cal["finance"]["overdue"] is True and cal["finance"]["limit_months"] == 1
    assert cal["finance"]["name"] == "财务公开"
    assert cal["finance"]["last_published"] == beijing_date(now() - timedelta(days=40)).isoformat()
    assert cal["village"]["overdue"] is False and cal["village"]["last_published"] is None  # joined today
    assert cal["village"]["limit_months"] == 3
    assert calendar(punctual)["finance"]["overdue"] is False
    assert calendar(punctual)["finance"]["last_published"] == beijing_date(now()).isoformat()
    assert calendar(late, late.supervisor) == cal and calendar(late, monitor) == cal
    refused(api.get(f"/villages/{late.village.id}/notice-calendar", late.villager), 403)
    refused(api.get(f"/villages/{late.village.id}/notice-calendar", late.accountant), 403)
    refused(api.get(f"/villages/{late.village.id}/notice-calendar", other.committee), 404)
    refused(api.get(f"/villages/{late.village.id}/notice-calendar"), 401)
    published(api, late, {**FINANCE_NOTICE, "title": "财务情况说明", "period": None})
    assert calendar(late)["finance"]["overdue"] is True  # a finance notice naming no month meets no month

    board = {v["village_id"]: v for v in ok(api.get(f"/townships/{township}/dashboard", monitor))["villages"]}
    assert set(board) == {late.village.id, punctual.village.id}
    assert board[late.village.id]["overdue"] is True and board[punctual.village.id]["overdue"] is False
    assert {c["category"]: c["overdue"] for c in board[late.village.id]["calendar"]} == {
        "village": False, "finance": True}

    # four months on, with nothing new, both villages are behind on both calendars
    clock.travel(days=125)
    assert all(c["overdue"] for c in calendar(punctual).values())
    assert all(v["overdue"] for v in ok(api.get(f"/townships/{township}/dashboard", monitor))["villages"])


def test_calendar_counts_in_beijing_dates(api, world, db, clock):
    s = Staff(world)
    # 01:00 on 15 October in Beijing is still 14 October in UTC
    insert_published(db, s.village.id, "finance", datetime(2026, 10, 14, 17, 0, tzinfo=UTC))
    clock.on_day(date(2026, 11, 14))
    finance = {c["category"]: c for c in items(api.get(f"/villages/{s.village.id}/notice-calendar", s.committee))}[
        "finance"]
    assert finance["last_published"] == "2026-10-15" and finance["overdue"] is False
    clock.on_day(date(2026, 11, 15))
    finance = {c["category"]: c for c in items(api.get(f"/villages/{s.village.id}/notice-calendar", s.committee))}[
        "finance"]
    assert finance["overdue"] is True


# --- the public board ---------------------------------------------------------------------------

def test_public_list_runs_a_constant_number_of_queries(api, world, db, app):
    small, large = Staff(world), Staff(world)
    start = now() - timedelta(days=400)
    for s, n in ((small, 5), (large, 60)):
        for i in range(n):
            insert_published(db, s.village.id, ("party", "village", "finance")[i % 3], start + timedelta(days=i * 6),
                             title=f"公开{i}")
        draft(api, s)  # drafts never show

    counts = []
    for s, n in ((small, 5), (large, 60)):
        with count_queries(app.state.engine) as counter:
            page = ok(api.get(f"/villages/{s.village.id}/notices", per_page=100))
        assert page["total"] == n and len(page["items"]) == n
        dates = [parse(item["published_at"]) for item in page["items"]]
        assert dates == sorted(dates, reverse=True)  # newest first
        counts.append(counter.count)
    assert counts[0] == counts[1], (counts, str(counter))
    assert counts[1] <= 4
    second = ok(api.get(f"/villages/{large.village.id}/notices", page=2))
    assert second["page"] == 2 and second["per_page"] == 20 and len(second["items"]) == 20
    assert ok(api.get(f"/villages/{large.village.id}/notices", category="finance"))["total"] == 20


# --- hooks: votes and proposals -------------------------------------------------------------------

def proposal_at_vote(api: Api, db, s: Staff, title: str = "硬化村东头道路") -> int:
    body = {"title": title, "body": "修 300 米水泥路。", "category": "facilities", "procedure": "yishiyiyi"}
    pid = ok(api.post(f"/villages/{s.village.id}/proposals", s.committee, body), 201)["id"]
    ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "submit"}))
    db.execute(update(Proposal).where(Proposal.id == pid).values(stage_entered_at=now() - timedelta(days=30)))
    db.commit()
    assert ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}))["state"] == "vote"
    return pid


def test_a_closed_vote_drafts_the_resolution_notice_that_completes_the_notice_stage(api, world, db, clock):
    s = Staff(world)
    pid = proposal_at_vote(api, db, s)
    council = ok(api.post(f"/villages/{s.village.id}/councils", s.committee, {"kind": "assembly"}), 201)
    vote = ok(api.post(f"/proposals/{pid}/votes", s.committee, {
        "council_id": council["id"], "question": "是否同意硬化村东头道路？", "secret": True,
        "opens_at": iso(now() - timedelta(minutes=1)), "closes_at": iso(now() + timedelta(days=1))}), 201)
    sid = vote["id"]
    ok(api.post(f"/votes/{sid}/open", s.committee))
    for voter in (s.committee, s.villager, s.neighbour, s.accountant):
        ok(api.post(f"/votes/{sid}/ballots", voter, {"choice": 0}), 201)
    assert ok(api.get(f"/villages/{s.village.id}/notices", s.committee, state="draft"))["total"] == 0
    ok(api.post(f"/votes/{sid}/close", s.committee))

    drafts = ok(api.get(f"/villages/{s.village.id}/notices", s.committee, state="draft"))["items"]
    assert len(drafts) == 1 and drafts[0]["kind"] == "resolution" and drafts[0]["kind_name"] == "决议公开"
    nid = drafts[0]["id"]
    resolution = ok(api.get(f"/notices/{nid}", s.committee))
    assert resolution["links"] == {"proposal_id": pid, "vote_session_id": sid, "period": None}
    assert resolution["category"] == "village" and resolution["author_id"] is None
    assert "硬化村东头道路" in resolution["title"] and "通过" in resolution["body"]
    assert "实到 4 人" in resolution["body"]  # the vote opened today: the 2025 amendment
    assert ("依据《村民委员会组织法》（2025年修正）第二十六条"
            in resolution["body"])
    assert db.get(Notice, nid).proposal_stage == "notice"  # the stage after the vote
    refused(api.get(f"/notices/{nid}"), 404)  # a draft, not yet public

    assert ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}))["state"] == "notice"
    # the notice stage waits for the resolution notice: published and its window ended
    refused(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}), 409)
    refused(api.post(f"/notices/{nid}/publish", s.committee), 409, "审核")  # it is reviewed like any other
    ok(api.post(f"/notices/{nid}/submit", s.committee))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    ok(api.post(f"/notices/{nid}/publish", s.committee))
    assert ok(api.get(f"/notices/{nid}"))["days"] == 15  # drafted with the law's least days
    clock.travel(days=14)
    refused(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}), 409, "公示")
    clock.travel(days=1, minutes=1)
    assert ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}))["state"] == "review"

    verified = ok(api.get(f"/villages/{s.village.id}/audit/verify"))
    assert verified["ok"] is True and verified["checked"] > 0


def test_an_unrelated_published_notice_does_not_complete_the_notice_stage(api, world, db, clock):
    s = Staff(world)
    pid = proposal_at_vote(api, db, s, "修建文化广场")
    db.execute(update(Proposal).where(Proposal.id == pid).values(state="notice", stage_entered_at=now()))
    db.commit()
    published(api, s)  # not linked to the proposal
    clock.travel(days=16)
    refused(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}), 409, "公示")
    # a hand-written notice linked to the proposal while it is in its notice stage does complete it
    linked = published(api, s, {**VILLAGE_NOTICE, "proposal_id": pid})
    assert linked["links"]["proposal_id"] == pid and db.get(Notice, linked["id"]).proposal_stage == "notice"
    clock.travel(days=16)
    assert ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}))["state"] == "review"


def test_accepting_a_yishiyiyi_matter_drafts_the_implementation_result_notice(api, world, db):
    s = Staff(world)
    pid = proposal_at_vote(api, db, s, "修村口水渠")
    db.execute(update(Proposal).where(Proposal.id == pid).values(state="acceptance", stage_entered_at=now()))
    db.commit()
    refused(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "advance"}), 403)
    assert ok(api.post(f"/proposals/{pid}/transitions", s.supervisor, {"action": "advance"}))["state"] == "closed"

    drafts = ok(api.get(f"/villages/{s.village.id}/notices", s.committee, state="draft"))["items"]
    assert [(d["kind"], d["kind_name"]) for d in drafts] == [("implementation", "实施结果公开")]
    notice = ok(api.get(f"/notices/{drafts[0]['id']}", s.committee))
    assert notice["links"]["proposal_id"] == pid and "修村口水渠" in notice["title"]
    assert db.get(Notice, notice["id"]).proposal_stage is None  # the matter is closed: no stage waits for it
    # the committee completes it and it goes through review like any other
    body = notice["body"] + "\n\n实际支出 3.2 万元，验收合格。"
    ok(api.put(f"/notices/{notice['id']}", s.committee, {"title": notice["title"], "body": body, "days": 15}))
    ok(api.post(f"/notices/{notice['id']}/submit", s.committee))
    ok(api.post(f"/notices/{notice['id']}/review", s.supervisor, {"approve": True}))
    done = ok(api.post(f"/notices/{notice['id']}/publish", s.committee))
    assert done["state"] == "published" and done["content_hash"] == N.content_hash(done["title"], body, [])

    verified = ok(api.get(f"/villages/{s.village.id}/audit/verify"))
    assert verified["ok"] is True and verified["checked"] > 0
