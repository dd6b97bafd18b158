"""The village's own rules (村规民约、村民自治章程), on both engines: the committee drafts a rule, records
its adoption by a passing vote of the 村民会议 (which drafts its publication for the board), revises it;
the township's monitor files it with a number of the township's one filing series or orders it
corrected; anyone reads the adopted text; refusals change nothing; the database refuses any change to
an adopted text (raw SQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.models import AuditEvent, Filing, Notice, Township, VillageRuleVersion
from tests.api.test_decision_files import full_matter
from tests.conftest import page_csrf
from tests.factories import login
from tests.web.test_proposal_pages import main

FROZEN = "已通过的村规民约版本不能修改或删除"
CODE = "第一条 爱护公共设施，损坏照价赔偿。\n第二条 红白喜事从简。"


def post(client, url: str, **form):
    return client.post(url, data={**form, "csrf_token": page_csrf(client, url.split("/versions")[0]
                                                                  if "/versions" in url else url)})


def as_user(client, user):
    client.cookies.clear()
    login(client, user)


@pytest.fixture
def adopted(client, api, world, db, clock):
    """A 村规民约 adopted by the passing assembly vote of a matter; its publication drafted."""
    s, monitor, pid, vote, nid = full_matter(api, world, db, clock, objections=0)
    slug = s.village.slug
    as_user(client, s.committee)
    r = post(client, f"/v/{slug}/charter", kind="code", title="杏花村村规民约", body=CODE, note="首次制定")
    assert r.status_code == 303, r.text[:500]
    url = r.headers["location"].split("?")[0]
    rid = int(url.rsplit("/", 1)[1])
    page = client.get(url).text
    assert "草稿" in page and "登记为已通过" in page and vote["question"] in page  # the vote on offer
    version = db.execute(select(VillageRuleVersion).where(VillageRuleVersion.rule_id == rid)).scalar_one()
    r = post(client, f"{url}/versions/{version.id}/adopt", vote_session_id=str(vote["id"]))
    assert r.status_code == 303 and "已登记通过" in client.get(r.headers["location"]).text
    return s, monitor, rid, version.id, vote, url


def test_the_committee_adopts_a_rule_and_everyone_reads_it(client, db, adopted):
    s, monitor, rid, vid, vote, url = adopted
    db.expire_all()
    version = db.get(VillageRuleVersion, vid)
    assert version.state == "adopted" and version.vote_session_id == vote["id"] and len(version.content_hash) == 64
    notice = db.get(Notice, version.notice_id)
    assert notice.state == "draft" and "杏花村村规民约" in notice.title and CODE.split("\n")[0] in notice.body
    client.cookies.clear()  # anyone, no login
    listing = main(client.get(f"/v/{s.village.slug}/charter").text)
    assert "杏花村村规民约" in listing and "第 1 版" in listing and "待乡镇备案" in listing
    page = client.get(url).text
    assert "红白喜事从简" in page and version.content_hash in page and "第二十七条" not in page  # 2026: the 2025 text
    assert "第三十一条" in page and "登记为已通过" not in page and "责令改正" not in main(page).split("第 1 版")[0]
    vote_link = f'href="/v/{s.village.slug}/votes/{vote["id"]}"'
    assert vote_link not in page and vote["question"] in page  # the vote named; its page is the village's
    as_user(client, s.villager)
    member_page = client.get(url).text
    assert vote_link in member_page and client.get(f"/v/{s.village.slug}/votes/{vote['id']}").status_code == 200
    client.cookies.clear()
    for action in ("adopt", "edit"):  # the anonymous cannot act
        r = client.post(f"{url}/versions/{vid}/{action}", data={"csrf_token": page_csrf(client, "/login")})
        assert r.status_code == 303 and "/login" in r.headers["location"]


def test_the_monitor_files_it_with_a_number_of_the_township_series(client, db, adopted):
    s, monitor, rid, vid, vote, url = adopted
    as_user(client, s.committee)  # the committee may not file
    assert post(client, f"{url}/versions/{vid}/file").status_code == 403
    as_user(client, monitor)
    board = client.get(f"/townships/{s.village.township_id}/dashboard").text
    assert "待乡镇备案的村规民约：" in board and f'href="/v/{s.village.slug}/charter">1 件' in board
    page = client.get(url).text
    assert "备案" in page and "责令改正的理由" in page
    r = post(client, f"{url}/versions/{vid}/file", note="符合法律规定")
    assert r.status_code == 303
    db.expire_all()
    filing = db.execute(select(Filing).where(Filing.rule_version_id == vid)).scalar_one()
    township = db.get(Township, s.village.township_id)
    assert filing.number == f"{township.name}备〔{filing.year}〕{filing.serial}号" and filing.proposal_id is None
    assert f"备案号 {filing.number}" in client.get(url).text
    assert "待乡镇备案的村规民约" not in client.get(f"/townships/{s.village.township_id}/dashboard").text
    assert post(client, f"{url}/versions/{vid}/file").status_code == 303  # twice: refused, flashed
    assert db.execute(select(func.count()).select_from(Filing).where(Filing.rule_version_id == vid)).scalar_one() == 1


def test_an_order_to_correct_needs_a_reason_and_the_village_sees_it(client, db, adopted):
    s, monitor, rid, vid, vote, url = adopted
    as_user(client, monitor)
    r = post(client, f"{url}/versions/{vid}/return", reason="  ")
    assert r.status_code == 422 and "请写明需要改正的地方" in r.text
    r = post(client, f"{url}/versions/{vid}/return", reason="第二条与婚姻自由相抵触，请删去")
    assert r.status_code == 303
    as_user(client, s.villager)
    assert "乡镇责令改正" in client.get(url).text and "婚姻自由" in client.get(url).text


def test_a_revision_and_the_refusals(client, db, adopted):
    s, monitor, rid, vid, vote, url = adopted
    as_user(client, s.committee)
    heads = db.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert post(client, f"{url}/versions/{vid}/edit", body="改了").status_code in (303, 409)  # adopted: refused
    r = post(client, f"{url}/versions", body="", note="")
    assert r.status_code == 422 and "请填写条文" in r.text
    r = post(client, f"/v/{s.village.slug}/charter", kind="bogus", title="", body="")
    assert r.status_code == 422 and "请选择村民自治章程或村规民约" in r.text and "请填写名称" in r.text
    r = post(client, f"/v/{s.village.slug}/charter", kind="code", title="杏花村村规民约", body="重名")
    assert r.status_code == 303 and "同名" in client.get(r.headers["location"]).text
    db.expire_all()
    assert db.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == heads  # nothing written
    r = post(client, f"{url}/versions", body=CODE + "\n第三条 门前三包。", note="增加门前三包")
    assert r.status_code == 303
    page = client.get(url).text
    assert "第 2 版" in page and "门前三包" in page and "现行" in page
    r = post(client, f"{url}/versions", body="又一稿")
    assert r.status_code == 303 and "已有一份修订草稿" in client.get(r.headers["location"]).text
    as_user(client, s.villager)  # the draft is the committee's
    assert "门前三包" not in client.get(url).text


def test_the_database_refuses_to_change_an_adopted_text(database, db, adopted):
    s, monitor, rid, vid, vote, url = adopted
    db.commit()
    for sql in ("UPDATE village_rule_version SET body = 'x' WHERE id = :v",
                "UPDATE village_rule_version SET content_hash = 'x' WHERE id = :v",
                "UPDATE village_rule_version SET vote_session_id = NULL WHERE id = :v",
                "UPDATE village_rule_version SET state = 'draft' WHERE id = :v",
                "DELETE FROM village_rule_version WHERE id = :v"):
        with pytest.raises(DBAPIError, match=FROZEN), database.engine.begin() as conn:
            conn.execute(text(sql), {"v": vid})
    with database.engine.begin() as conn:  # the township's steps still go through
        conn.execute(text("UPDATE village_rule_version SET state = 'filed' WHERE id = :v"), {"v": vid})
    with pytest.raises(DBAPIError, match=FROZEN), database.engine.begin() as conn:
        conn.execute(text("UPDATE village_rule_version SET state = 'returned' WHERE id = :v"), {"v": vid})
