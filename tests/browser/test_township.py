"""A township monitor at a phone viewport, against the live demo server: login lands on the township
dashboard; from there the queue of matters waiting for 乡镇审核备案, one matter's decision file (一事一档)
with its compliance summary, its A4 sheet, and filing it (备案) with the year's next number.

Demo account: 郑监督 13800000009 (石桥镇). The demo has one matter waiting in review (清理村前水塘淤泥);
the journey files whichever matter is first in the queue.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import flash, login
from tests.browser.test_votes import _fits

pytestmark = pytest.mark.browser


def test_monitor_files_a_matter_from_the_queue(live_server, new_page):
    problems: list[str] = []
    page = new_page()
    login(page, "13800000009")
    expect(page).to_have_url(re.compile(r"/townships/\d+/dashboard$"))
    _fits(page, problems)
    page.get_by_role("link", name="审核备案").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("审核备案")
    first = page.locator("ol.queue > li").first
    expect(first).to_contain_text("一事一档")
    title = first.locator(".title a").inner_text()
    _fits(page, problems)
    first.get_by_role("link", name="查看一事一档").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator("main")).to_contain_text(re.compile("合规|不合规|未完成"))
    _fits(page, problems)
    file_url = page.url
    sheet = new_page()
    login(sheet, "13800000009")
    sheet.goto(file_url + "/print")
    expect(sheet.locator("body")).to_contain_text(title)
    page.go_back()
    first = page.locator("ol.queue > li").filter(has_text=title)
    first.get_by_role("button", name="备案").click()
    expect(flash(page)).to_contain_text(re.compile(r"已备案：.+备〔\d{4}〕\d+号"))
    expect(page.locator("ol.queue")).not_to_contain_text(title)
    assert not problems, problems
