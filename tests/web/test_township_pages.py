"""The township's pages: the monitors' dashboard (each village's calendar and overdue objections)
and the province's rules the township sets for its villages from it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.models import Objection, utcnow
from tests.conftest import page_csrf
from tests.factories import login
from tests.web.test_notice_pages import Village
from tests.web.test_proposal_pages import main


@pytest.fixture
def v(world) -> Village:
    return Village(world)


def test_monitor_dashboard(client, world, v):
    v.archived(1, category="finance", days_ago=120)
    notice = v.published(title="公开")
    v.db.add(Objection(village_id=v.village.id, notice_id=notice.id, author_id=v.villager.id, body="？",
                       created_at=utcnow() - timedelta(days=20), due_at=utcnow() - timedelta(days=1)))
    v.db.commit()
    township = v.village.township_id
    sibling = world.village(township)
    monitor = world.monitor(township)
    login(client, monitor)
    nav = client.get(v.url()).text
    assert f'href="/townships/{township}/dashboard"' in nav
    r = client.get(f"/townships/{township}/dashboard")
    assert r.status_code == 200
    text = main(r.text)
    assert v.village.name in text and sibling.name in text
    assert "逾期未答复质询： 1 条" in text and "财务公开：从未公开" in text
    assert re.search(r"财务公开：\d{4}-\d{2}-\d{2}（逾期）", text)  # 120 days ago: overdue
    assert "1 个村需要督促" in text  # a village that just joined is not overdue yet
    other = world.township()
    assert client.get(f"/townships/{other}/dashboard").status_code == 404
    client.cookies.clear()
    login(client, v.committee)
    assert client.get(f"/townships/{township}/dashboard").status_code == 404
    client.cookies.clear()
    assert client.get(f"/townships/{township}/dashboard").status_code == 303


def test_the_monitor_sets_the_rules_from_the_dashboard(client, world):
    township = world.township()
    village = world.village(township)
    monitor = world.monitor(township)
    token = login(client, monitor)
    page = client.get(f"/townships/{township}/dashboard")
    assert page.status_code == 200 and "本省规定" in page.text
    r = client.post(f"/townships/{township}/settings",
                    data={"per_capita_cap": "12.5", "labour_days_cap": "", "proxy_cap": "2", "csrf_token": token})
    assert r.status_code == 303
    assert 'value="12.50"' in client.get(f"/townships/{township}/dashboard").text
    committee = world.member(village, "committee")
    client.post("/logout", data={"csrf_token": page_csrf(client, "/account")})
    login(client, committee)
    settings_page = client.get(f"/v/{village.slug}/settings").text
    assert "由乡镇按本省规定统一设定" in settings_page and 'value="12.50" readonly' in settings_page


def test_the_dashboard_flags_books_kept_late_below_zero_or_without_receipts(client, world, db, clock):
    from datetime import date

    from app.domain import books as B
    from app.services import books, vouchers
    from app.services.access import load_actor
    from tests.factories import Staff, login

    clock.on_day(date(2026, 5, 10))
    township = world.township()
    staff = Staff(world, township)
    quiet = world.village(township)
    keeper = load_actor(db, staff.accountant)
    books.open_ledger(db, keeper, staff.village, "2023", "2026-02")
    v = vouchers.create(db, keeper, staff.village, vouchers.VoucherIn(
        date(2026, 3, 2), "付电费", [B.Line("514", debit=5000), B.Line("102", credit=5000)]))
    vouchers.review(db, load_actor(db, staff.committee), v.id)
    vouchers.post(db, load_actor(db, staff.committee), v.id)
    login(client, world.monitor(township))
    page = client.get(f"/townships/{township}/dashboard").text
    assert "账务：3 个月没有结账" in page  # February, March and April have ended
    assert "现金和银行存款为负数：-50.00 元" in page
    assert "没有原始凭证的记账凭证：1 张" in page
    assert page.count("账务：还没有建账") == 1 and quiet.name in page


def test_a_monitor_lands_on_the_township_dashboard(client, world):
    from tests.conftest import page_csrf
    from tests.factories import PASSWORD

    township = world.township()
    monitor = world.monitor(township)
    token = page_csrf(client, "/login")
    r = client.post("/login", data={"phone": monitor.phone, "password": PASSWORD, "next": "/", "csrf_token": token})
    assert r.headers["location"] == f"/townships/{township}/dashboard"
    assert client.get("/login").headers["location"] == f"/townships/{township}/dashboard"


def test_the_dashboard_shows_stuck_matters_and_the_last_seal(client, world, db, settings):
    from datetime import timedelta

    from app.clock import utcnow
    from app.domain.proposals import ProposalDraft
    from app.models import Proposal
    from app.services import proposals, seals
    from app.services.access import load_actor
    from tests.factories import Staff, login

    township = world.township()
    staff = Staff(world, township)
    chair = load_actor(db, staff.committee)
    p = proposals.create(db, chair, staff.village, ProposalDraft(title="修桥", body="方案", category="facilities",
                                                                 procedure="yishiyiyi"))
    proposals.transition(db, chair, p.id, "submit")
    row = db.get(Proposal, p.id)
    row.stage_entered_at = utcnow() - timedelta(days=90)
    db.add(row)
    db.commit()
    login(client, world.monitor(township))
    page = client.get(f"/townships/{township}/dashboard").text
    assert "停在同一阶段超过 60 天的事项：1 件" in page and "审计链封存：还没有封存" in page
    seals.seal_chain(db, settings, staff.village.id)
    db.commit()
    assert "审计链封存：还没有封存" not in client.get(f"/townships/{township}/dashboard").text
