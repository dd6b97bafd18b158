"""Downloads at a phone viewport, against the live demo server: 李建国 takes the member list, a closed vote's
workbook and the board's notices of this year, each a workbook a clerk opens in Excel; a visitor sees no export
form on the board. Each download is audited (tests/web/test_notices_export.py and tests/api for the rows).

Demo account: 李建国 13800000001 (杏花村 director).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.test_journeys import login

pytestmark = pytest.mark.browser


def download(page, button: str):
    with page.expect_download() as caught:
        page.get_by_role("button", name=button).click()
    return caught.value.suggested_filename, load_workbook(io.BytesIO(Path(caught.value.path()).read_bytes()))


def test_the_director_takes_the_villages_workbooks(live_server, new_page):
    visitor = new_page()
    visitor.goto("/v/xinghua/")
    expect(visitor.locator("main")).not_to_contain_text("导出公开记录")

    page = new_page()
    login(page, "13800000001")
    page.goto("/v/xinghua/members")
    name, book = download(page, "导出名册（Excel）")
    assert name.endswith(".xlsx") and book.sheetnames == ["村民名册"]
    assert book.active.max_row > 100  # the demo village's people, one row each

    page.goto("/v/xinghua/proposals")
    page.get_by_role("link", name="修缮村文化室屋顶").first.click()
    page.locator("main a[href*='/votes/']").first.click()
    name, book = download(page, "下载表决结果（Excel）")
    assert {"结果", "票箱", "回执"} <= set(book.sheetnames) and "签到" in book.sheetnames  # a member: the sign-in too

    page.goto("/v/xinghua/")
    expect(page.get_by_role("heading", name="导出公开记录")).to_be_visible()
    name, book = download(page, "下载表格")
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("类别", "种类", "标题") and len(rows) > 1 and "公开记录" in name
