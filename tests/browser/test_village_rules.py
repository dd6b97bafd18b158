"""The village's 村规民约 at a phone viewport, against the live demo server: anyone reads the adopted text
from the village's menu; the township's monitor finds it waiting on the dashboard, opens it and files it
(备案) with the township's next number; the committee's director starts a revision as a draft.

Demo accounts: 郑监督 13800000009 (石桥镇), 李建国 13800000001 (杏花村 director). The demo's 村规民约 was
adopted by the 村民会议 that decided 修订《杏花村村规民约》 and waits for the township's filing.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import flash, login
from tests.browser.test_votes import _fits

pytestmark = pytest.mark.browser


def test_the_rules_are_read_filed_and_revised(live_server, new_page):
    problems: list[str] = []
    page = new_page()
    page.goto("/v/xinghua/")
    page.get_by_role("navigation", name="杏花村").get_by_role("link", name="村规民约").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("村规民约")
    page.get_by_role("link", name="杏花村村规民约").click()
    expect(page.locator("main")).to_contain_text("宴席不超过 20 桌")
    expect(page.locator("main")).to_contain_text("村民会议表决通过")
    _fits(page, problems)

    monitor = new_page()
    login(monitor, "13800000009")
    expect(monitor).to_have_url(re.compile(r"/townships/\d+/dashboard$"))
    expect(monitor.locator("main")).to_contain_text("待乡镇备案的村规民约")
    monitor.locator("a[href='/v/xinghua/charter']").first.click()
    monitor.get_by_role("link", name="杏花村村规民约").click()
    _fits(monitor, problems)
    monitor.get_by_label("备案意见（可不填）").fill("内容合法，同意备案。")
    monitor.get_by_role("button", name="备案", exact=True).click()
    expect(flash(monitor)).to_contain_text(re.compile(r"已备案，备案号 .+备〔\d{4}〕\d+号"))
    expect(monitor.locator("main")).to_contain_text("已报乡镇备案")

    chair = new_page()
    login(chair, "13800000001")
    chair.goto("/v/xinghua/charter")
    chair.get_by_role("link", name="杏花村村规民约").click()
    chair.get_by_label("修订说明").fill("增加第十四条：门前三包")
    chair.get_by_label("新版本条文").fill("第十四条 各户做好门前三包。")
    chair.get_by_role("button", name="保存修订草稿").click()
    expect(flash(chair)).to_contain_text("修订草稿已保存")
    expect(chair.locator("main")).to_contain_text("第 2 版")
    _fits(chair, problems)
    assert not problems, problems
