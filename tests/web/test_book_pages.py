"""The village's books on the web (账务), except vouchers (tests/web/test_voucher_pages.py): the books'
home and 建账, the chart with sub-accounts, the opening balances form, and a month with its close
(结账 → the drafted finance notice) and reopening (反结账) — for each kind of viewer, with the
refusals and the forms re-shown with their messages."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.domain import books as B
from app.domain.money import yuan
from app.services import books, notices, periods, statements, vouchers
from app.services.access import load_actor
from tests.conftest import page_csrf
from tests.factories import Staff, login
from tests.querycount import count_queries
from tests.web.test_proposal_pages import flash, follow, main

L = B.Line


def actor(db, user):
    return load_actor(db, user)


class Books(Staff):
    """A village with everyone who keeps or reads its books, a second committee member (to post what
    the first reviewed), its township's monitor and a member of another village."""

    def __init__(self, world):
        super().__init__(world)
        self.db = world.db
        self.slug = self.village.slug
        self.second = world.member(self.village, "committee", name="副主任")
        self.monitor = world.monitor(self.village.township_id)
        self.outsider = world.member(world.village(self.village.township_id), "committee", name="邻村主任")

    def url(self, tail: str = "") -> str:
        return f"/v/{self.slug}/accounts{tail}"

    def open(self, first: str = "2026-03", bank: int = 1_000_000) -> None:
        books.open_ledger(self.db, actor(self.db, self.accountant), self.village, "2023", first)
        if bank:
            books.set_openings(self.db, actor(self.db, self.accountant), self.village,
                               [books.OpeningIn("102", debit=bank), books.OpeningIn("301", credit=bank)])

    def draft(self, day: date, summary: str, *lines: B.Line):
        return vouchers.create(self.db, actor(self.db, self.accountant), self.village,
                               vouchers.VoucherIn(day, summary, list(lines)))

    def posted(self, day: date, summary: str, *lines: B.Line):
        v = self.draft(day, summary, *lines)
        vouchers.review(self.db, actor(self.db, self.committee), v.id)
        return vouchers.post(self.db, actor(self.db, self.second), v.id)

    def close(self, period: str):
        return periods.close(self.db, actor(self.db, self.accountant), self.village, period)

    def publish(self, notice_id: int):
        notices.submit(self.db, actor(self.db, self.committee), notice_id)
        notices.review(self.db, actor(self.db, self.supervisor), notice_id, approve=True)
        return notices.publish(self.db, actor(self.db, self.committee), notice_id)


@pytest.fixture
def bk(world, clock) -> Books:
    """On 2026-05-10 (Beijing), a village without books yet."""
    clock.on_day(date(2026, 5, 10))
    return Books(world)


@pytest.fixture
def kept(bk) -> Books:
    """Books from 2026-03 with 10,000 元 in the bank; in March a rent received and an electricity bill paid."""
    bk.open()
    bk.posted(date(2026, 3, 5), "收鱼塘承包费", L("102", debit=500_000), L("501", credit=500_000))
    bk.posted(date(2026, 3, 9), "付路灯电费", L("514", debit=12_345), L("102", credit=12_345))
    return bk


def as_user(client, user) -> str:
    """Log in as `user` (a fresh session), or be an anonymous visitor when `user` is None."""
    client.cookies.clear()
    return login(client, user) if user is not None else page_csrf(client, "/login")


def anonymous(client) -> str:
    client.cookies.clear()
    return page_csrf(client, "/login")


def nav(html: str) -> str:
    part = html[html.index('class="village-nav"'):]
    return part[:part.index("</nav>")]


# --- the books' home and 建账 ------------------------------------------------------------------------

def test_without_books_keepers_see_the_open_form_and_others_are_told(client, bk):
    for user in (bk.accountant, bk.committee):
        as_user(client, user)
        r = client.get(bk.url())
        assert r.status_code == 200
        assert f'action="/v/{bk.slug}/accounts/open"' in r.text
        assert "农村集体经济组织会计制度（2023）（默认）" in main(r.text) and "村集体经济组织会计制度（2004）" in r.text
        assert 'type="month" value="2026-05"' in r.text  # this month by default
        assert re.search(r'value="2023" checked', r.text)
    for user in (bk.supervisor, bk.villager, bk.monitor, None):
        as_user(client, user)
        r = client.get(bk.url())
        assert r.status_code == 200 and "本村还没有建账" in main(r.text)
        assert "/accounts/open" not in r.text


def test_every_member_and_monitor_finds_the_books_in_the_village_menu(client, bk):
    for user in (bk.villager, bk.monitor, bk.accountant):
        as_user(client, user)
        assert f'href="/v/{bk.slug}/accounts"' in nav(client.get(bk.url()).text)
    as_user(client, bk.outsider)
    assert "/accounts" not in nav(client.get(bk.url()).text)


def test_opening_the_books_through_the_form(client, bk):
    token = as_user(client, bk.accountant)
    r = client.post(bk.url("/open"), data={"chart": "2004", "first_period": "2026-02", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == bk.url("/openings")
    page = follow(client, r)
    assert "已建账，从2026年2月开始" in flash(page.text)
    ledger = books.ledger_of(bk.db, bk.village)
    assert (ledger.chart, ledger.first_period) == ("2004", "2026-02")
    home = main(client.get(bk.url()).text)
    assert "村集体经济组织会计制度（2004）" in home and "2026年2月起记账" in home and "财会〔2004〕12号" in home
    # a second time: a flash, the books unchanged
    r = client.post(bk.url("/open"), data={"chart": "2023", "first_period": "2026-03", "csrf_token": token})
    assert "这个村已经建账了" in flash(follow(client, r).text)
    assert books.ledger_of(bk.db, bk.village).chart == "2004"


@pytest.mark.parametrize("first, message", [("2026-13", "起始月份的格式是 2026-01"), ("2026-06", "不能晚于本月")])
def test_a_bad_first_month_shows_the_form_again_with_what_was_typed(client, bk, first, message):
    token = as_user(client, bk.committee)
    r = client.post(bk.url("/open"), data={"chart": "2004", "first_period": first, "csrf_token": token})
    assert r.status_code == 422
    assert message in r.text and 'class="field-error"' in r.text
    assert f'value="{first}"' in r.text and re.search(r'value="2004" checked', r.text)
    assert books.ledger_of(bk.db, bk.village) is None


def test_only_keepers_open_the_books(client, bk):
    for user, status in ((bk.villager, 403), (bk.supervisor, 403), (bk.monitor, 403), (bk.outsider, 404)):
        token = as_user(client, user)
        r = client.post(bk.url("/open"), data={"chart": "2023", "first_period": "2026-05", "csrf_token": token})
        assert r.status_code == status, user.name
    token = anonymous(client)
    r = client.post(bk.url("/open"), data={"chart": "2023", "first_period": "2026-05", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert books.ledger_of(bk.db, bk.village) is None


def test_keepers_see_what_waits_and_the_months(client, kept):
    kept.draft(date(2026, 4, 2), "买办公用品", L("513", debit=100), L("101", credit=100))
    kept.close("2026-03")
    as_user(client, kept.accountant)
    r = client.get(kept.url())
    text = main(r.text)
    assert "农村集体经济组织会计制度（2023）" in text and "财会〔2023〕14号" in text
    assert f'href="/v/{kept.slug}/accounts/vouchers?state=draft">待审核 1 张' in r.text
    assert f'href="/v/{kept.slug}/accounts/vouchers?state=reviewed">待记账 0 张' in r.text
    assert f'href="/v/{kept.slug}/accounts/vouchers/new"' in r.text and "记一张凭证" in text
    months = re.findall(r'href="/v/[^/]+/accounts/periods/(\d{4}-\d{2})"', r.text)
    assert months == ["2026-05", "2026-04", "2026-03"]
    assert "2026年3月 已结账 已记账凭证 2 张 财务公开：草稿" in text
    assert "2026年4月 未结账 已记账凭证 0 张 还有 1 张没记账" in text
    assert f'href="/v/{kept.slug}/accounts/chart"' in r.text and f'href="/v/{kept.slug}/accounts/openings"' in r.text


def test_readers_see_the_counts_but_no_voucher_button(client, kept):
    for user in (kept.supervisor, kept.monitor, kept.party):
        as_user(client, user)
        r = client.get(kept.url())
        assert "待审核 0 张" in r.text and "/accounts/vouchers/new" not in r.text, user.name
        assert "/accounts/openings" not in r.text and "2026-03" in r.text


def test_villagers_and_visitors_see_only_published_months(client, kept):
    row = kept.close("2026-03")
    for user in (kept.villager, None):
        as_user(client, user)
        r = client.get(kept.url())
        assert r.status_code == 200
        assert "/accounts/periods/" not in r.text and "还没有公开的月份" in r.text
        assert "待审核" not in r.text and "/vouchers/new" not in r.text
    kept.publish(row.notice_id)
    for user in (kept.villager, None):
        as_user(client, user)
        r = client.get(kept.url())
        assert re.findall(r'/accounts/periods/(\d{4}-\d{2})"', r.text) == ["2026-03"]
        assert "财务公开：公示中" in main(r.text)
    assert "/accounts/chart" not in r.text  # a visitor: the chart is for the village's members


def test_an_unknown_village_is_the_chinese_404(client, bk):
    r = client.get("/v/no-such-village/accounts")
    assert r.status_code == 404 and "找不到这个村" in r.text


# --- the chart ------------------------------------------------------------------------------------------

def test_the_chart_for_keepers_with_forms_and_for_others_to_read(client, kept):
    as_user(client, kept.accountant)
    r = client.get(kept.url("/chart"))
    assert r.status_code == 200
    text = main(r.text)
    assert "资产类" in text and "损益类" in text and "112 应收款 余额在借方" in text and "301 资本 余额在贷方" in text
    assert 'name="parent" value="112"' in r.text and 'id="code-112" name="code"' in r.text
    assert re.search(r'id="code-112"[^>]*value="11201"', r.text)  # the next free code, suggested
    assert "/accounts/receipts" not in r.text  # the receipts switch is the committee's
    assert "/accounts/chart/switch" not in r.text  # vouchers exist: the chart stays
    for user in (kept.villager, kept.supervisor, kept.monitor):
        as_user(client, user)
        r = client.get(kept.url("/chart"))
        assert r.status_code == 200 and "112 应收款" in main(r.text), user.name
        assert 'name="parent"' not in r.text and "/rename" not in r.text
        assert "只给本村村民看" in main(r.text)
    as_user(client, kept.outsider)
    assert client.get(kept.url("/chart")).status_code == 404
    anonymous(client)
    r = client.get(kept.url("/chart"))
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_sub_account_is_added_and_renamed_through_the_chart(client, kept):
    token = as_user(client, kept.accountant)
    r = client.post(kept.url("/chart"), data={"parent": "112", "code": "11201", "name": "张三", "csrf_token": token})
    assert "已添加明细科目 11201 张三" in flash(follow(client, r).text)
    page = client.get(kept.url("/chart")).text
    assert '<li class="account depth-1" id="a11201">' in page and re.search(r'id="code-112"[^>]*value="11202"', page)
    assert f'action="/v/{kept.slug}/accounts/chart/11201/rename"' in page
    assert f'action="/v/{kept.slug}/accounts/chart/112/rename"' not in page  # statutory accounts keep their names
    r = client.post(kept.url("/chart/11201/rename"), data={"name": "张三（借款）", "csrf_token": token})
    assert "已改名为 张三（借款）" in flash(follow(client, r).text)
    assert [a.name for a in books.accounts(kept.db, kept.village) if a.code == "11201"] == ["张三（借款）"]


@pytest.mark.parametrize("code, name, message", [
    ("11201", "", "请填写科目名称"),
    ("11301", "李四", "明细科目编号是上级编号 112 后面加两位数字"),
    ("11200", "李四", "最后两位从 01 开始"),
])
def test_a_bad_sub_account_shows_the_chart_again_with_the_message_by_its_form(client, kept, code, name, message):
    token = as_user(client, kept.committee)
    r = client.post(kept.url("/chart"), data={"parent": "112", "code": code, "name": name, "csrf_token": token})
    assert r.status_code == 422
    form = r.text[r.text.index('id="a112"'):r.text.index('id="a113"')]
    assert "<details class=\"quiet\" open>" in form and message in form
    assert f'value="{code}"' in form and f'value="{name}"' in form
    assert len(books.accounts(kept.db, kept.village)) == 42


def test_chart_refusals(client, kept):
    token = as_user(client, kept.accountant)
    r = client.post(kept.url("/chart/112/rename"), data={"name": "别的名字", "csrf_token": token})
    assert "国家统一规定的会计科目不能改名" in flash(follow(client, r).text)
    r = client.post(kept.url("/chart/99999/rename"), data={"name": "别的名字", "csrf_token": token})
    assert r.status_code == 404 and "找不到这个科目" in r.text
    r = client.post(kept.url("/chart"), data={"parent": "102", "code": "10201", "name": "农商行", "csrf_token": token})
    assert "已经有凭证了，不能再加明细科目" in flash(follow(client, r).text)  # 102 has lines: it stays a leaf
    r = client.post(kept.url("/chart/switch"), data={"chart": "2004", "csrf_token": token})
    assert "已经有凭证了，会计制度不能再换" in flash(follow(client, r).text)
    r = client.post(kept.url("/chart"), data={"parent": "999", "code": "99901", "name": "无", "csrf_token": token})
    assert r.status_code == 422 and '<div class="flash flash-error" role="alert">上级科目不存在</div>' in r.text
    r = client.post(kept.url("/receipts"), data={"public": "1", "csrf_token": token})
    assert r.status_code == 403 and "这项操作需要村委会身份" in r.text
    for user, status in ((kept.villager, 403), (kept.supervisor, 403), (kept.monitor, 403), (kept.outsider, 404)):
        token = as_user(client, user)
        data = {"parent": "112", "code": "11201", "name": "张三", "csrf_token": token}
        assert client.post(kept.url("/chart"), data=data).status_code == status, user.name
        assert client.post(kept.url("/chart/switch"), data={"chart": "2004", "csrf_token": token}
                           ).status_code == status
    assert len(books.accounts(kept.db, kept.village)) == 42


def test_the_chart_is_switched_while_there_is_no_voucher(client, bk):
    bk.open(bank=0)
    token = as_user(client, bk.committee)
    page = client.get(bk.url("/chart")).text
    assert f'action="/v/{bk.slug}/accounts/chart/switch"' in page and 'value="2004"' in page
    r = client.post(bk.url("/chart/switch"), data={"chart": "2004", "csrf_token": token})
    assert "会计制度已改为：村集体经济组织会计制度（2004）" in flash(follow(client, r).text)
    assert books.ledger_of(bk.db, bk.village).chart == "2004"
    r = client.post(bk.url("/chart/switch"), data={"chart": "1999", "csrf_token": token})
    assert r.status_code == 422 and "会计制度只能选 2023 或 2004" in r.text


def test_the_committee_makes_receipts_public_and_back(client, kept):
    token = as_user(client, kept.committee)
    page = client.get(kept.url("/chart")).text
    assert "原始凭证图片默认只给本村村民看；打开后所有人都能看" in page and "让所有人都能看" in page
    r = client.post(kept.url("/receipts"), data={"public": "1", "csrf_token": token})
    assert "原始凭证图片现在所有人都能看" in flash(follow(client, r).text)
    assert books.ledger_of(kept.db, kept.village).receipts_public
    page = client.get(kept.url("/chart")).text
    assert "现在： 所有人都能看" in main(page) and "改回只给本村村民看" in page
    r = client.post(kept.url("/receipts"), data={"public": "0", "csrf_token": token})
    assert "只给本村村民看" in flash(follow(client, r).text)
    assert not books.ledger_of(kept.db, kept.village).receipts_public


def test_pages_of_books_not_yet_opened_say_so(client, bk):
    as_user(client, bk.accountant)
    for tail in ("/chart", "/openings", "/periods/2026-04"):
        r = client.get(bk.url(tail))
        assert r.status_code == 404 and "这个村还没有建账" in r.text, tail


# --- opening balances ---------------------------------------------------------------------------------

def test_the_openings_form_shows_every_leaf_with_its_balance_and_the_totals(client, bk):
    bk.open()
    books.add_sub_account(bk.db, actor(bk.db, bk.accountant), bk.village, "112", "11201", "张三")
    as_user(client, bk.accountant)
    r = client.get(bk.url("/openings"))
    assert r.status_code == 200
    assert 'name="debit.102" inputmode="decimal" maxlength="20" value="10000.00"' in r.text
    assert 'name="credit.301" inputmode="decimal" maxlength="20" value="10000.00"' in r.text
    assert 'name="debit.11201"' in r.text and 'name="debit.112"' not in r.text  # leaves only
    assert "合计 10,000.00 10,000.00" in main(r.text)
    assert "2026年3月初各科目的余额" in main(r.text)


def test_openings_are_saved_through_the_form(client, bk):
    bk.open(bank=0)
    token = as_user(client, bk.accountant)
    r = client.post(bk.url("/openings"), data={"debit.101": "1,200.50", "debit.102": "8800", "credit.301": "10000.5",
                                               "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == bk.url()
    assert "期初余额已保存，3 个科目有余额" in flash(follow(client, r).text)
    saved = {a.code: o for a, o in books.opening_rows(bk.db, bk.village) if o}
    assert saved == {"101": 120_050, "102": 880_000, "301": 1_000_050}


@pytest.mark.parametrize("data, where, message", [
    ({"debit.101": "abc", "credit.301": "1"}, "debit.101", "101 库存现金：金额要写数字"),
    ({"debit.101": "1.234", "credit.301": "1"}, "debit.101", "金额最多两位小数"),
    ({"debit.101": "5", "credit.101": "5"}, "row.101", "借方和贷方只能填一个"),
])
def test_openings_errors_are_shown_by_their_row_with_what_was_typed(client, bk, data, where, message):
    bk.open(bank=0)
    token = as_user(client, bk.accountant)
    r = client.post(bk.url("/openings"), data={**data, "csrf_token": token})
    assert r.status_code == 422
    assert f'<p class="field-error" id="{where}-error">' in r.text and message in r.text
    for key, typed in data.items():
        assert f'name="{key}" inputmode="decimal" maxlength="20" value="{typed}"' in r.text
    assert not any(o for _, o in books.opening_rows(bk.db, bk.village))


def test_unbalanced_openings_are_refused_with_both_totals(client, bk):
    bk.open(bank=0)
    token = as_user(client, bk.accountant)
    r = client.post(bk.url("/openings"), data={"debit.102": "100", "credit.301": "90", "csrf_token": token})
    assert r.status_code == 422
    assert "期初借方合计 100.00 元，贷方合计 90.00 元，不相等" in r.text
    assert "合计 100.00 90.00" in main(r.text) and "相差 10.00 元" in r.text
    assert 'value="100"' in r.text and 'value="90"' in r.text


def test_openings_are_read_only_for_readers_and_once_something_is_posted(client, kept):
    as_user(client, kept.supervisor)
    r = client.get(kept.url("/openings"))
    assert r.status_code == 200 and "<input id=\"debit.102\"" not in r.text and "10000.00" in r.text
    token = as_user(client, kept.accountant)
    r = client.get(kept.url("/openings"))
    assert "已经有记账凭证了，期初余额不能再改" in main(r.text) and "保存期初余额" not in r.text
    r = client.post(kept.url("/openings"), data={"debit.102": "1", "credit.301": "1", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == kept.url("/openings")
    assert "已经有记账凭证了，期初余额不能再改" in flash(follow(client, r).text)
    for user, status in ((kept.villager, 403), (kept.outsider, 404)):
        token = as_user(client, user)
        assert client.get(kept.url("/openings")).status_code == status
        assert client.post(kept.url("/openings"), data={"debit.102": "1", "csrf_token": token}).status_code == status
    token = as_user(client, kept.supervisor)
    assert client.post(kept.url("/openings"), data={"debit.102": "1", "csrf_token": token}).status_code == 403
    anonymous(client)
    assert client.get(kept.url("/openings")).headers["location"].startswith("/login")


# --- one month ----------------------------------------------------------------------------------------

def test_the_month_page_shows_the_statement_figures(client, kept):
    books.add_sub_account(kept.db, actor(kept.db, kept.accountant), kept.village, "112", "11201", "张三")
    lent = kept.posted(date(2026, 3, 12), "借给张三", L("11201", debit=30_000), L("102", credit=30_000))
    s = periods.statement(kept.db, actor(kept.db, kept.accountant), kept.village, "2026-03")
    as_user(client, kept.accountant)
    r = client.get(kept.url("/periods/2026-03"))
    assert r.status_code == 200
    text = main(r.text)
    c = s.cash
    assert (f"上月结余 {yuan(c.opening)} 元 + 收入 {yuan(c.received)} 元 − 支出 {yuan(c.paid)} 元 = "
            f"本月结余 {yuan(c.closing)} 元") in text
    assert "上月结余 10,000.00 元 + 收入 5,000.00 元 − 支出 423.45 元 = 本月结余 14,576.55 元" in text
    income = text[text.index("收入明细"):text.index("支出明细")]
    assert "501 经营收入 记字第 1 号 收鱼塘承包费 5,000.00 0 张" in income and "合计 5,000.00" in income
    expense = text[text.index("支出明细"):text.index("科目余额表")]
    assert "514 公益支出 记字第 2 号 付路灯电费 123.45 0 张" in expense and "借给张三" not in expense
    for line in s.income[0].lines + s.expense[0].lines:
        assert f'href="/v/{kept.slug}/accounts/vouchers/{line.voucher_id}">记字第 {line.number} 号' in r.text
    balances = text[text.index("科目余额表"):]
    for row in s.rows:
        if not row.quiet:
            assert (f"{row.account.code} {row.account.name} {yuan(row.opening)} {yuan(row.debit)} "
                    f"{yuan(row.credit)} {yuan(row.closing)}") in balances
    t = s.totals
    assert (f"合计 借 {yuan(t['opening_debit'])} 贷 {yuan(t['opening_credit'])} {yuan(t['debit'])} "
            f"{yuan(t['credit'])} 借 {yuan(t['closing_debit'])} 贷 {yuan(t['closing_credit'])}") in balances
    assert '<tr class="depth-1"><th scope="row" class="account-name">11201 张三</th>' in r.text
    assert lent.number == 3
    # quiet accounts wait behind a link
    assert "101 库存现金" not in balances and "显示全部科目" in text
    everything = client.get(kept.url("/periods/2026-03?all=1"))
    assert "101 库存现金 0.00 0.00 0.00 0.00" in main(everything.text) and "只看有余额或发生额的科目" in everything.text


def test_the_year_to_date_balances(client, kept):
    kept.posted(date(2026, 4, 3), "付办公用品", L("513", debit=2_000), L("102", credit=2_000))
    as_user(client, kept.committee)
    r = client.get(kept.url("/periods/2026-04?ytd=1"))
    text = main(r.text)
    assert r.status_code == 200 and "2026年3月至4月" in text and "本年累计" in text
    assert "102 银行存款 10,000.00 5,000.00 143.45 14,856.55" in text  # March and April together, from March's opening
    assert "收入明细" not in text and "本月资金" not in text
    month = main(client.get(kept.url("/periods/2026-04")).text)
    assert "102 银行存款 14,876.55 0.00 20.00 14,856.55" in month and "本年累计" in month


def test_a_malformed_month_is_the_chinese_404(client, kept):
    as_user(client, kept.accountant)
    for period in ("2026-13", "202603", "March", "2026-3"):
        r = client.get(kept.url(f"/periods/{period}"))
        assert r.status_code == 404 and "月份的格式是 2026-10" in r.text, period
        assert r.headers["content-type"].startswith("text/html")


def test_readers_see_every_month_villagers_only_published_ones(client, kept):
    for user in (kept.accountant, kept.committee, kept.supervisor, kept.party, kept.monitor):
        as_user(client, user)
        assert client.get(kept.url("/periods/2026-03")).status_code == 200, user.name
    for user in (kept.villager, kept.outsider, None):
        as_user(client, user)
        r = client.get(kept.url("/periods/2026-03"))
        assert r.status_code == 404 and "这个月的账目还没有公开" in r.text


def test_a_published_month_is_public_without_sub_accounts_for_visitors(client, kept):
    books.add_sub_account(kept.db, actor(kept.db, kept.accountant), kept.village, "112", "11201", "张三")
    kept.posted(date(2026, 3, 12), "借款", L("11201", debit=30_000), L("102", credit=30_000))
    row = kept.close("2026-03")
    kept.publish(row.notice_id)
    anonymous(client)
    r = client.get(kept.url("/periods/2026-03"))
    assert r.status_code == 200 and "收鱼塘承包费" in r.text and "112 应收款" in main(r.text)
    assert "张三" not in r.text  # a person's sub-account stays inside the village
    assert "结账" not in main(r.text).replace("已结账", "") and "/reopen" not in r.text
    assert f'href="/v/{kept.slug}/notices/{row.notice_id}"' in r.text
    notice = client.get(f"/v/{kept.slug}/notices/{row.notice_id}")  # and back from the notice to the books
    assert f'href="/v/{kept.slug}/accounts/periods/2026-03">查看本月账目、凭证和原始凭证</a>' in notice.text
    as_user(client, kept.villager)
    r = client.get(kept.url("/periods/2026-03"))
    assert r.status_code == 200 and "11201 张三" in main(r.text)


def test_closing_through_the_page_leads_to_the_drafted_notice(client, kept):
    token = as_user(client, kept.accountant)
    page = client.get(kept.url("/periods/2026-03")).text
    assert f'action="/v/{kept.slug}/accounts/periods/2026-03/close"' in page and "未结账" in main(page)
    r = client.post(kept.url("/periods/2026-03/close"), data={"csrf_token": token})
    assert r.status_code == 303
    row = periods.row_of(kept.db, kept.village.id, "2026-03")
    assert row.state == B.CLOSED and r.headers["location"] == f"/v/{kept.slug}/notices/{row.notice_id}"
    notice = follow(client, r)
    assert "2026年3月已结账。本月财务收支公开已按账簿起草好" in flash(notice.text)
    assert "财务收支公开" in notice.text
    assert f'href="/v/{kept.slug}/accounts/periods/2026-03">查看本月账目、凭证和原始凭证</a>' in notice.text
    page = client.get(kept.url("/periods/2026-03")).text
    assert "已结账" in main(page) and "/close" not in page
    assert f'href="/v/{kept.slug}/notices/{row.notice_id}"' in page


def test_closing_at_the_wrong_moment_is_a_flash_and_others_may_not(client, kept):
    token = as_user(client, kept.committee)
    assert "/close" not in client.get(kept.url("/periods/2026-05")).text  # this month has not ended
    r = client.post(kept.url("/periods/2026-05/close"), data={"csrf_token": token})
    assert r.headers["location"] == kept.url("/periods/2026-05")
    assert "还没有过完，不能结账" in flash(follow(client, r).text)
    r = client.post(kept.url("/periods/2026-04/close"), data={"csrf_token": token})
    assert "请先给2026年3月结账" in flash(follow(client, r).text)
    kept.draft(date(2026, 3, 20), "没记账", L("102", debit=1), L("501", credit=1))
    r = client.post(kept.url("/periods/2026-03/close"), data={"csrf_token": token})
    assert "这个月还有 1 张凭证没有记账" in flash(follow(client, r).text)
    for user, status in ((kept.supervisor, 403), (kept.villager, 403), (kept.monitor, 403), (kept.outsider, 404)):
        token = as_user(client, user)
        assert client.post(kept.url("/periods/2026-03/close"), data={"csrf_token": token}).status_code == status
    for user in (kept.supervisor, kept.monitor):  # they read the month, without the button
        as_user(client, user)
        assert "/close" not in client.get(kept.url("/periods/2026-03")).text
    token = anonymous(client)
    r = client.post(kept.url("/periods/2026-03/close"), data={"csrf_token": token})
    assert r.headers["location"].startswith("/login")
    token = as_user(client, kept.accountant)
    r = client.post(kept.url("/periods/2026-3/close"), data={"csrf_token": token})
    assert r.status_code == 404 and "月份的格式" in r.text
    assert periods.row_of(kept.db, kept.village.id, "2026-03") is None


def test_a_monitor_reopens_a_closed_month_with_a_reason(client, kept):
    kept.close("2026-03")
    as_user(client, kept.accountant)
    assert "/reopen" not in client.get(kept.url("/periods/2026-03")).text
    token = as_user(client, kept.monitor)
    page = client.get(kept.url("/periods/2026-03")).text
    assert f'action="/v/{kept.slug}/accounts/periods/2026-03/reopen"' in page
    r = client.post(kept.url("/periods/2026-03/reopen"), data={"reason": "  ", "csrf_token": token})
    assert r.status_code == 422 and "请写明反结账的原因" in r.text and "/reopen" in r.text
    long = "漏" * 201
    r = client.post(kept.url("/periods/2026-03/reopen"), data={"reason": long, "csrf_token": token})
    assert r.status_code == 422 and "原因最多 200 个字" in r.text and long in r.text  # what was typed stays
    r = client.post(kept.url("/periods/2026-03/reopen"), data={"reason": "漏记一张电费发票", "csrf_token": token})
    assert r.headers["location"] == kept.url("/periods/2026-03")
    page = follow(client, r)
    assert "2026年3月已反结账" in flash(page.text)
    assert "未结账" in main(page.text) and "曾被乡镇监督员反结账，原因：漏记一张电费发票" in main(page.text)
    r = client.post(kept.url("/periods/2026-03/reopen"), data={"reason": "再来", "csrf_token": token})
    assert "2026年3月没有结账" in flash(follow(client, r).text)


def test_only_monitors_reopen(client, kept):
    kept.close("2026-03")
    for user, status in ((kept.committee, 403), (kept.accountant, 403), (kept.supervisor, 403),
                         (kept.villager, 403), (kept.outsider, 404)):
        token = as_user(client, user)
        r = client.post(kept.url("/periods/2026-03/reopen"), data={"reason": "想改", "csrf_token": token})
        message = "只有乡镇监督员可以反结账" if status == 403 else "找不到这个村"
        assert r.status_code == status and message in r.text, user.name
    token = anonymous(client)
    r = client.post(kept.url("/periods/2026-03/reopen"), data={"reason": "想改", "csrf_token": token})
    assert r.headers["location"].startswith("/login")
    assert periods.row_of(kept.db, kept.village.id, "2026-03").state == B.CLOSED


def test_the_month_page_runs_as_many_queries_for_20_vouchers_as_for_2(client, world, clock):
    clock.on_day(date(2026, 5, 10))
    counts = []
    for n in (2, 20):
        village = Books(world)
        village.open()
        for i in range(n):
            village.posted(date(2026, 3, 1 + i), f"收租金{i}", L("102", debit=100 + i), L("501" if i % 2 else "504",
                                                                                          credit=100 + i))
            if i % 3 == 0:
                village.posted(date(2026, 3, 1 + i), f"付电费{i}", L("514", debit=50), L("102", credit=50))
        as_user(client, village.accountant)
        client.get(village.url("/periods/2026-03"))  # warm up
        with count_queries(client.app.state.engine) as counter:
            r = client.get(village.url("/periods/2026-03"))
        assert r.status_code == 200 and f"收租金{n - 1}" in r.text
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 16, counts  # the caller (4), the village, the statement in SQL, the month's row


def test_statement_and_page_agree_on_a_closed_month(client, kept):
    kept.close("2026-03")
    s = statements.statement(kept.db, kept.village, "2026-03")
    as_user(client, kept.supervisor)
    text = main(client.get(kept.url("/periods/2026-03")).text)
    assert f"本月结余 {yuan(s.cash.closing)} 元" in text and s.closed
    assert f"已记账凭证 {s.vouchers} 张" in text



def test_openings_come_from_a_file_and_go_back_as_one(client, bk):
    bk.open(bank=0)
    token = as_user(client, bk.accountant)
    workbook = client.get(bk.url("/openings.xlsx"))
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    bad = "科目编号,期初借方,期初贷方\n102,100,\n301,,99\n".encode()
    upload = bk.url("/openings/file")
    r = client.post(upload, data={"csrf_token": token}, files={"file": ("期初.csv", bad, "text/csv")})
    assert r.status_code == 422 and "不相等" in r.text
    good = "科目名称,科目编号,期初借方,期初贷方\n银行存款,102,\"1,000.50\",\n资本,301,,1000.50\n".encode("gb18030")
    r = client.post(upload, data={"csrf_token": token}, files={"file": ("期初.csv", good, "text/csv")})
    assert flash(follow(client, r).text) == "ok: 已从文件导入期初余额，2 个科目有余额"
    assert 'value="1000.50"' in client.get(bk.url("/openings")).text
    as_user(client, bk.villager)
    assert client.get(bk.url("/openings.xlsx")).status_code == 403
