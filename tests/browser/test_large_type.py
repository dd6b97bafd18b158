"""大字显示, tap targets and a draft's buttons (issue 12, items 5 and 8) in headless Chromium on a small
phone (360 x 740), against the live demo server.

- A villager turns on 大字显示 on 我的账号; after logging out and in again every page is in the larger
  type and still fits the phone; then they turn it off.
- Every link and button of the header and of the village's menu is at least 44 x 44 px, and 退出 sits
  on the same line as the links beside it.
- A draft's 提交 is on the first screen; a draft never submitted offers 删除草稿, not 撤回; a draft
  the committee returned for revision (it was public) still offers 撤回.

Each journey uses a villager of its own (tests/browser/people.py), so it runs twice in a session and in
any order; 李建国 (13800000001) returns one draft through the API.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, PHONE
from tests.browser.people import CHAIR, api_as, my_village, new_villager
from tests.browser.test_journeys import flash, login
from tests.browser.test_votes import _fits

pytestmark = pytest.mark.browser

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
ROOT_FONT_JS = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
TARGETS_JS = """() => [...document.querySelectorAll(
    'header.top a, header.top button, .village-nav a')].map(el => {
  const r = el.getBoundingClientRect();
  return {text: el.textContent.trim(), top: r.top, bottom: r.bottom, width: r.width, height: r.height};
})"""


@pytest.fixture
def phone(browser, live_server):
    """A fresh 360 x 740 phone (its own cookies)."""
    context = browser.new_context(base_url=live_server, **SMALL_PHONE)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def header_problems(page: Page) -> list[str]:
    """Tap targets under 44 x 44 px in the header and the village's menu, and 退出 out of line with the
    header links on its row."""
    boxes = page.evaluate(TARGETS_JS)
    problems = [f"{page.url}: {b['text']} is {b['width']:.0f} x {b['height']:.0f} px"
                for b in boxes if b["width"] < 44 or b["height"] < 44]
    logout = next(b for b in boxes if b["text"] == "退出")
    beside = [b for b in boxes[:boxes.index(logout)]
              if b["text"] != "村议" and logout["top"] <= (b["top"] + b["bottom"]) / 2 <= logout["bottom"]]
    if not beside:
        problems.append(f"{page.url}: 退出 has no header link on its line: {boxes}")
    problems += [f"{page.url}: 退出 top {logout['top']:.1f}, {b['text']} top {b['top']:.1f}"
                 for b in beside if abs(b["top"] - logout["top"]) > 2]
    return problems


def log_out(page: Page) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("button", name="退出", exact=True).click()
    expect(flash(page)).to_have_text("已退出登录")


def test_large_type_follows_the_villager_until_turned_off(live_server, phone: Page):
    person = new_villager(live_server)
    page = phone
    login(page, person.phone, person.password)
    page.goto("/v/xinghua/")
    standard = page.evaluate(ROOT_FONT_JS)
    heading = page.locator("main h1").bounding_box()["height"]

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的账号").click()
    expect(page.get_by_role("heading", name="大字显示")).to_be_visible()
    page.get_by_role("button", name="打开大字显示").click()
    expect(flash(page)).to_have_text("已打开大字显示")
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge-type\b"))

    # it is the person's: after logging out and in again, every page is larger, and still fits
    log_out(page)
    expect(page.locator("html")).not_to_have_class(re.compile(r"\blarge-type\b"))  # a visitor's page
    login(page, person.phone, person.password)
    problems: list[str] = []
    page.goto("/v/xinghua/")
    assert page.evaluate(ROOT_FONT_JS) >= 1.2 * standard
    assert page.locator("main h1").bounding_box()["height"] >= 1.2 * heading
    first_notice = page.locator("main a.title[href*='/notices/']").first.get_attribute("href")
    page.goto("/v/xinghua/proposals")
    matter = page.locator("main a.title[href*='/proposals/']").first.get_attribute("href")
    for path in ("/me", "/v/xinghua/", "/v/xinghua/proposals", matter, f"{matter}/file", first_notice,
                 "/v/xinghua/councils", "/v/xinghua/audit", "/me/notifications", "/account", "/rules"):
        page.goto(path)
        assert page.evaluate(ROOT_FONT_JS) >= 1.2 * standard, path
        _fits(page, problems)
        problems += header_problems(page)
    assert not problems, "\n".join(problems)

    # and off again
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的账号").click()
    page.get_by_role("button", name="关闭大字显示").click()
    expect(flash(page)).to_contain_text("已关闭大字显示")
    expect(page.locator("html")).not_to_have_class(re.compile(r"\blarge-type\b"))
    page.goto("/v/xinghua/")
    assert page.evaluate(ROOT_FONT_JS) == standard


def test_header_and_menu_targets_are_44px_and_logout_is_in_line(live_server, phone: Page):
    person = new_villager(live_server)
    login(phone, person.phone, person.password)
    problems: list[str] = []
    for path in ("/me", "/v/xinghua/", "/account"):
        phone.goto(path)
        problems += header_problems(phone)
    assert not problems, "\n".join(problems)
    phone.goto("/v/xinghua/")
    assert phone.locator(".village-nav a").count() >= 3  # the menu was measured too


def draft(page: Page, title: str) -> None:
    """The villager writes a draft of some length and saves it; the draft's page opens at its top."""
    page.goto("/v/xinghua/proposals/new")
    page.get_by_label("标题").fill(title)
    page.get_by_label("内容").fill("赶集的日子村口人多车多，老人和孩子没有地方方便。\n\n" * 12)
    page.get_by_label("类别").select_option(label="公共设施")
    page.get_by_label("预算（元）").fill("24000")
    page.get_by_label("人均筹资（元）").fill("12")
    page.get_by_role("button", name="保存草稿").click()
    expect(flash(page)).to_have_text("草稿已保存，提交后其他村民才能看到")


def on_first_screen(page: Page, name: str) -> None:
    button = page.get_by_role("button", name=name, exact=True)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert page.evaluate("() => window.scrollY") == 0
    assert box and box["y"] + box["height"] <= 740, f"{name} at {box} (the screen is 740 px tall)"


def test_a_draft_offers_submit_first_and_delete_not_withdraw(live_server, phone: Page):
    person = new_villager(live_server)
    page = phone
    login(page, person.phone, person.password)
    title = f"村口修一个公共厕所，方便赶集的老人和孩子（{secrets.token_hex(2)}）"
    draft(page, title)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    on_first_screen(page, "提交")
    actions = page.locator("#actions")
    expect(actions.get_by_role("link", name="修改草稿")).to_be_visible()
    expect(actions.locator("summary", has_text="删除草稿")).to_be_visible()
    expect(actions).not_to_contain_text("撤回")
    actions.locator("summary", has_text="删除草稿").click()
    expect(actions).to_contain_text("这份草稿还没有提交，别人看不到它")
    actions.get_by_role("button", name="确定删除草稿").click()
    expect(page.get_by_role("button", name="提交", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="修改草稿")).to_have_count(0)


def test_a_draft_returned_for_revision_still_offers_withdraw(live_server, phone: Page):
    person = new_villager(live_server)
    title = f"村西头修排水沟（{secrets.token_hex(2)}）"
    with api_as(live_server, person.phone, person.password) as api:
        r = api.post(f"/villages/{my_village(api)}/proposals", json={
            "title": title, "body": "下大雨时村西头积水，建议修 200 米排水沟。", "category": "facilities",
            "procedure": "yishiyiyi"})
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        assert api.post(f"/proposals/{pid}/transitions", json={"action": "submit"}).status_code == 200
    with api_as(live_server, CHAIR) as api:
        r = api.post(f"/proposals/{pid}/transitions", json={"action": "return", "note": "请写明排水沟的走向和预算。"})
        assert r.status_code == 200 and r.json()["state"] == "draft", r.text
    login(phone, person.phone, person.password)
    phone.goto(f"/v/xinghua/proposals/{pid}")
    on_first_screen(phone, "提交")
    actions = phone.locator("#actions")
    expect(actions.locator("summary", has_text="撤回这个事项")).to_be_visible()
    expect(actions).not_to_contain_text("删除草稿")
