"""The village's books in headless Chromium on phone-sized screens, against the live demo server.

Each person on their own phone, in a village of the test's own (建账 and closing a month happen once
per village): the accountant opens the books and enters a voucher with a receipt photo; a committee
member reviews and posts it; the accountant closes the month, which drafts its finance notice, and
submits it; the supervisory committee opens the voucher and its receipt from the notice and approves;
the committee publishes; a villager reads it on the board. The notice's figures equal the month page
and the Excel workbook.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app.domain import books as B
from tests.browser.people import FRESH_PASSWORD, new_member, new_village
from tests.browser.test_journeys import flash, login
from tests.browser.test_votes import _fits
from tests.factories import png

pytestmark = pytest.mark.browser


def last_month() -> str:
    from app.clock import local_today

    return B.previous_period(B.period_of(local_today()))


def test_a_voucher_from_the_phone_to_the_public_board(live_server, new_page, tmp_path):
    village = new_village(live_server)
    accountant = new_member(live_server, village, surname="陈", roles=("accountant",))
    chair = new_member(live_server, village, surname="李", roles=("committee",))
    supervisor = new_member(live_server, village, surname="赵", roles=("supervisor",))
    villager = new_member(live_server, village, surname="张")
    month = last_month()
    day = f"{month}-15"
    label = B.period_label(month)
    problems: list[str] = []
    receipt = tmp_path / "发票.png"
    receipt.write_bytes(png())

    # 1. The accountant opens the books from last month and enters a voucher with a photo
    acc = new_page()
    login(acc, accountant.phone, FRESH_PASSWORD)
    acc.goto(f"/v/{village.slug}/")
    acc.locator(".village-nav").get_by_role("link", name="账务").click()
    acc.get_by_label(re.compile("起始月份")).fill(month)
    acc.get_by_role("button", name=re.compile("建账")).click()
    expect(flash(acc)).to_be_visible()
    acc.goto(f"/v/{village.slug}/accounts")
    acc.get_by_role("link", name="记一张凭证").click()
    acc.get_by_label("日期", exact=True).fill(day)
    acc.get_by_label("摘要", exact=True).fill("收到镇财政转移支付")
    acc.locator("[name='account']").nth(0).fill("102 银行存款")
    acc.locator("[name='debit']").nth(0).fill("5000")
    acc.locator("[name='account']").nth(1).fill("503")
    acc.locator("[name='credit']").nth(1).fill("5,000.00")
    acc.locator("input[type=file]").set_input_files(str(receipt))
    _fits(acc, problems)
    acc.get_by_role("button", name="保存凭证").click()
    expect(flash(acc)).to_be_visible()
    expect(acc.locator("body")).to_contain_text("待审核")
    voucher_url = acc.url
    assert re.search(rf"/v/{village.slug}/accounts/vouchers/\d+$", voucher_url), voucher_url

    # 2. A committee member reviews and posts it
    com = new_page()
    login(com, chair.phone, FRESH_PASSWORD)
    com.goto(voucher_url)
    com.get_by_role("button", name="审核通过").click()
    expect(flash(com)).to_be_visible()
    com.get_by_role("button", name="记账").click()
    expect(com.locator("body")).to_contain_text("记字第 1 号")

    # 3. The accountant closes the month: its finance notice is drafted from the books; submitted
    acc.goto(f"/v/{village.slug}/accounts/periods/{month}")
    expect(acc.locator(".cash-line")).to_contain_text("本月结余 5,000.00 元")
    _fits(acc, problems)
    acc.get_by_role("button", name="结账").click()
    expect(flash(acc)).to_contain_text("已结账")
    notice_url = acc.url
    assert re.search(rf"/v/{village.slug}/notices/\d+$", notice_url), notice_url
    expect(acc.get_by_role("heading", level=1)).to_contain_text(f"{label}财务收支公开")
    acc.get_by_role("button", name="提交审核").click()
    expect(flash(acc)).to_have_text("已提交村务监督委员会审核")

    # 4. The supervisor opens the voucher and its receipt from the notice, then approves
    sup = new_page()
    login(sup, supervisor.phone, FRESH_PASSWORD)
    sup.goto(notice_url)
    sup.get_by_role("link", name="查看本月账目、凭证和原始凭证").click()
    sup.get_by_role("link", name="记字第 1 号").first.click()
    photo = sup.get_by_role("img", name=re.compile("原始凭证"))
    expect(photo).to_be_visible()
    photo.scroll_into_view_if_needed()
    sup.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    sup.goto(notice_url)
    sup.get_by_label("通过，可以发布").check()
    sup.get_by_role("button", name="提交审核意见").click()
    expect(flash(sup)).to_be_visible()

    # 5. The committee publishes it
    com.goto(notice_url)
    com.get_by_role("button", name="发布", exact=True).click()
    expect(flash(com)).to_be_visible()

    # 6. A villager finds it on the board; its figures are the month page's and the workbook's
    vil = new_page()
    login(vil, villager.phone, FRESH_PASSWORD)
    vil.goto(f"/v/{village.slug}/")
    vil.get_by_role("link", name=re.compile(f"{label}财务收支公开")).first.click()
    body = vil.locator("main").inner_text()
    assert "本月结余 5,000.00 元" in body and "记字第 1 号" in body and "审核通过" in body
    month_page = vil.request.get(f"{live_server}/v/{village.slug}/accounts/periods/{month}").text()
    assert "本月结余 5,000.00 元" in month_page
    book = vil.request.get(f"{live_server}/v/{village.slug}/accounts/periods/{month}/statements.xlsx")
    assert book.status == 200
    bank = next(r for r in load_workbook(io.BytesIO(book.body()))["科目余额表"].iter_rows(values_only=True)
                if r[0] == "102")
    assert Decimal(str(bank[5])) == Decimal("5000")
    _fits(vil, problems)
    assert not problems, problems
