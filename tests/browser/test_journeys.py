"""Real user journeys in headless Chromium on a phone-sized screen, against a live server.

The pages are plain HTML forms; nothing here needs JavaScript. A test that changes something
creates what it changes: its own villagers with phones no other test uses (tests/browser/people.py),
so every test passes in any order and twice in one session; no demo account is activated, locked
or given a new password.

Demo accounts used (see app/demo/__init__.py):
  张大爷 13800000007  log in and out (reads)       李建国 13800000001  new code for his own new villager
  王秀英 13800000002  roster import (new phones)  刘柳溪 13800000101  add a member (柳溪村, new phone)
  郑监督 13800000009  audit page (reads)          黄阿婆 13800000102  another village's roster (reads)
  孙代表 13800000005  layout + screenshot (reads)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.demo import DEMO_PASSWORD
from tests.browser.people import new_villager, spaced, unique_name, unique_phone

pytestmark = pytest.mark.browser

CODE_RE = re.compile(r"\b([A-HJ-NP-Z2-9]{5})-?([A-HJ-NP-Z2-9]{5})\b")
ROSTER_HEADER = "姓名,手机号,出生日期,性别,户号,村民小组,角色"


# --- helpers ------------------------------------------------------------------------------------

def fill_login(page: Page, phone: str, password: str) -> None:
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def login(page: Page, phone: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    fill_login(page, phone, password)
    expect(page.locator(".flash")).to_contain_text("欢迎回来")


def flash(page: Page):
    return page.locator(".flash")


def activate(page: Page, phone: str, code: str, password: str) -> None:
    """A villager's own phone: activate with the code, then log in with the new password."""
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="激活账号").click()
    expect(page).to_have_url(re.compile(r"/activate$"))
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("激活码").fill(code)
    page.get_by_label(re.compile(r"^新密码")).fill(password)
    page.get_by_label("再输一次新密码").fill(password)
    page.get_by_role("button", name="激活").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(flash(page)).to_contain_text("激活成功")


def code_in(text: str) -> str:
    match = CODE_RE.search(text)
    assert match, f"no activation code in {text!r}"
    return match.group(1) + match.group(2)


def roster_file(*rows: str) -> dict:
    body = "\n".join([ROSTER_HEADER, *rows]) + "\n"
    return {"name": "名册.csv", "mimeType": "text/csv", "buffer": body.encode("utf-8")}


def upload_roster(page: Page, slug: str, file: dict) -> None:
    page.goto(f"/v/{slug}/")
    page.locator(".village-nav").get_by_role("link", name="导入名册").click()
    expect(page).to_have_url(re.compile(rf"/v/{slug}/roster"))
    upload = page.locator('input[name="file"]')
    assert upload.count() == 1, f"no roster upload form: {page.locator('main').inner_text()}"
    form = page.locator("form", has=page.locator('input[name="file"]'))
    form.locator('input[name="file"]').set_input_files(file)
    form.locator('button, input[type="submit"]').last.click()
    page.wait_for_load_state()


def page_widths(page: Page) -> tuple[int, int]:
    return tuple(page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]"))


# --- a. a villager logs in and out ----------------------------------------------------------------

def test_villager_logs_in_sees_village_and_logs_out(page: Page):
    page.goto("/")
    expect(page.get_by_role("heading", name="村庄目录")).to_be_visible()
    expect(page.get_by_role("link", name="杏花村")).to_be_visible()

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="登录").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
    fill_login(page, "13800000007", DEMO_PASSWORD)

    expect(page).to_have_url(re.compile(r"/me$"))  # 我的待办
    expect(flash(page)).to_have_text("张大爷，欢迎回来")
    expect(page.get_by_role("heading", name="我的待办", level=1)).to_be_visible()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的村").click()
    expect(page).to_have_url(re.compile(r"/v/xinghua/$"))
    expect(page.get_by_role("heading", name="杏花村", level=1)).to_be_visible()
    facts = page.locator("section", has=page.get_by_role("heading", name="本村概况"))
    expect(facts).to_contain_text("登记村民")
    expect(facts).to_contain_text("户数")
    expect(page.locator(".whoami")).to_contain_text("张大爷")
    # a plain villager is not offered the committee's pages
    expect(page.locator(".village-nav").get_by_role("link", name="村民名册")).to_have_count(0)

    page.get_by_role("link", name="我的账号").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", name="我的账号")).to_be_visible()
    expect(page.locator("main")).to_contain_text("138****0007")

    page.get_by_role("button", name="退出", exact=True).click()
    expect(flash(page)).to_contain_text("已退出登录")
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="登录")).to_be_visible()

    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)account$"))
    expect(flash(page)).to_contain_text("请先登录")


# --- b. a wrong password --------------------------------------------------------------------------

def test_wrong_password_is_refused_and_keeps_the_phone(page: Page, live_server):
    villager = new_villager(live_server)  # the failed attempt counts against an account of this test's own
    page.goto("/login")
    fill_login(page, villager.phone, "not-the-password")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_contain_text("手机号或密码不对")
    expect(page.get_by_label("手机号")).to_have_value(villager.phone)
    expect(page.get_by_label("密码", exact=True)).to_have_value("")
    expect(page.locator(".whoami")).to_have_count(0)


# --- c. the committee hands a pending villager a new code; the villager activates -----------------

def test_committee_issues_code_and_villager_activates(page: Page, new_page, live_server):
    # a villager who has not activated yet, added for this test (whose first code was lost)
    pending = new_villager(live_server, surname="何", activated=False)
    name, phone = pending.name, pending.phone

    login(page, "13800000001")
    expect(page).to_have_url(re.compile(r"/me$"))
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的村").click()
    expect(page).to_have_url(re.compile(r"/v/xinghua/$"))
    page.locator(".village-nav").get_by_role("link", name="村民名册").click()
    expect(page).to_have_url(re.compile(r"/v/xinghua/members$"))
    expect(page.get_by_role("heading", name="杏花村 · 村民名册")).to_be_visible()

    page.get_by_label("查找").fill(name)
    page.get_by_role("button", name="查找").click()
    expect(page).to_have_url(re.compile(r"[?&]q="))
    row = page.locator("ul.members > li").filter(has_text=phone)
    expect(row).to_have_count(1)
    expect(row.locator(".tag", has_text="未激活")).to_be_visible()
    row.get_by_role("link", name=name).click()

    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("未激活")
    page.get_by_role("button", name="生成新激活码").click()
    expect(page).to_have_title(re.compile("激活码"))
    expect(flash(page)).to_contain_text(f"已为 {name} 生成新的激活码")
    codes = page.locator("table.codes tbody tr")
    expect(codes).to_have_count(1)
    expect(codes).to_contain_text(phone)
    code = code_in(codes.inner_text())

    # the villager, on their own phone, not logged in
    villager = new_page()
    activate(villager, phone, code, "Xinghua-new-2026")
    fill_login(villager, phone, "Xinghua-new-2026")
    expect(villager).to_have_url(re.compile(r"/me$"))
    expect(flash(villager)).to_have_text(f"{name}，欢迎回来")

    # the code is single-use
    again = new_page()
    again.goto("/activate")
    again.get_by_label("手机号").fill(phone)
    again.get_by_label("激活码").fill(code)
    again.get_by_label(re.compile(r"^新密码")).fill("Another-pass-2026")
    again.get_by_label("再输一次新密码").fill("Another-pass-2026")
    again.get_by_role("button", name="激活").click()
    expect(again.get_by_role("alert")).to_contain_text("用过")

    # the committee now sees the account as activated
    page.go_back()
    page.reload()
    expect(page.locator(".facts")).to_contain_text("已激活")


# --- c'. the committee adds a villager by hand; the new villager activates ------------------------

def test_committee_adds_member_who_activates(page: Page, new_page):
    name, phone, twin = unique_name("欧阳"), unique_phone(), unique_name("欧阳")
    login(page, "13800000101")
    page.goto("/v/liuxi/members")
    page.get_by_role("link", name="添加村民").click()
    expect(page).to_have_url(re.compile(r"/v/liuxi/members/new$"))
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号").fill(spaced(phone))
    page.get_by_label(re.compile(r"^出生日期")).fill("1979-06-15")
    page.get_by_label("性别").select_option("男")
    page.get_by_label("户号").fill("LX-900")
    page.get_by_label("村民小组").fill("河边组")
    page.get_by_label("村民代表", exact=True).check()
    page.get_by_role("button", name="添加").click()

    expect(page).to_have_title(re.compile("激活码"))
    expect(flash(page)).to_contain_text(f"已添加 {name}")
    row = page.locator("table.codes tbody tr").filter(has_text=name)
    expect(row).to_contain_text(phone)
    code = code_in(row.inner_text())

    # the same phone cannot be added twice
    page.goto("/v/liuxi/members/new")
    page.get_by_label("姓名").fill(twin)
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_role("alert")).to_contain_text("已经登记过")
    expect(page.get_by_label("姓名")).to_have_value(twin)

    page.goto(f"/v/liuxi/members?q={phone}")
    row = page.locator("ul.members > li").filter(has_text=name)
    expect(row).to_contain_text("未激活")
    expect(row).to_contain_text("村民代表")
    expect(row).to_contain_text("河边组")

    villager = new_page()
    activate(villager, phone, code, "Liuxi-ouyang-88")
    fill_login(villager, phone, "Liuxi-ouyang-88")
    expect(villager).to_have_url(re.compile(r"/me$"))
    expect(flash(villager)).to_have_text(f"{name}，欢迎回来")
    villager.goto("/v/liuxi/")
    expect(villager.locator("section", has_text="我在本村")).to_contain_text("村民代表")


# --- d. roster import -----------------------------------------------------------------------------

def test_roster_with_an_error_row_is_reported_and_imports_nothing(page: Page):
    good = unique_phone()
    login(page, "13800000002")
    upload_roster(page, "xinghua", roster_file(
        f"钱新民,{good},1970-01-02,男,RB-001,第一村民小组,村民",
        "孙错号,12345,1980-05-01,女,RB-001,第一村民小组,村民",
    ))
    main = page.locator("main")
    expect(main).to_contain_text("行有问题")
    expect(main).to_contain_text("手机号")
    # the bad row is named by its number as Excel shows it (header = row 1), with the reason
    bad_row = page.locator("tr").filter(has=page.locator("td", has_text=re.compile(r"^\s*3\s*$")))
    expect(bad_row).to_have_count(1)
    expect(bad_row).to_contain_text("手机号")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)

    # nothing was imported, not even the good row
    page.goto(f"/v/xinghua/members?q={good}")
    expect(page.locator("ul.members")).to_contain_text("没有找到村民")


def test_clean_roster_is_confirmed_and_a_new_villager_activates(page: Page, new_page):
    father, daughter = unique_name("钱"), unique_name("钱")
    father_phone, daughter_phone = unique_phone(), unique_phone()
    household = f"RB-{daughter_phone[-8:]}"
    login(page, "13800000002")
    upload_roster(page, "xinghua", roster_file(
        f"{father},{father_phone},1968-02-03,男,{household},第二村民小组,村民",
        f"{daughter},{daughter_phone},1971-11-20,女,{household},第二村民小组,村民代表",
    ))
    expect(page.locator("main")).not_to_contain_text(re.compile(r"[1-9]\d*\s*行有问题"))
    expect(page.locator("main")).to_contain_text(father)
    confirm = page.get_by_role("button", name="确认导入")
    expect(confirm).to_have_count(1)
    confirm.click()

    expect(page).to_have_title(re.compile("激活码"))
    row = page.locator("tr").filter(has_text=daughter)
    expect(row).to_contain_text(daughter_phone)
    expect(page.locator("tr").filter(has_text=father)).to_contain_text(father_phone)
    code = code_in(row.inner_text())

    page.goto(f"/v/xinghua/members?q={household}")
    expect(page.locator("ul.members > li")).to_have_count(2)
    expect(page.locator("ul.members > li").filter(has_text=daughter)).to_contain_text("村民代表")

    villager = new_page()
    activate(villager, daughter_phone, code, "Qian-xiaoman-7")
    fill_login(villager, daughter_phone, "Qian-xiaoman-7")
    expect(villager).to_have_url(re.compile(r"/me$"))
    expect(flash(villager)).to_have_text(f"{daughter}，欢迎回来")


# --- e. a township monitor audits; another village's villager is kept out -------------------------

def test_monitor_sees_the_audit_chain_verified(page: Page):
    login(page, "13800000009")
    expect(page.locator(".whoami")).to_contain_text("乡镇监督员")
    expect(page).to_have_url(re.compile(r"/townships/\d+/dashboard$"))  # a monitor lands on the dashboard
    expect(page.get_by_role("heading", level=1)).to_contain_text("公开监督")
    page.goto("/")
    page.get_by_role("link", name="杏花村").click()
    page.locator(".village-nav").get_by_role("link", name="审计记录").click()
    expect(page).to_have_url(re.compile(r"/v/xinghua/audit$"))
    expect(page.get_by_role("heading", name="核验通过")).to_be_visible()
    expect(page.locator("ol.audit-events li").first).to_be_visible()


def test_villager_of_another_village_gets_not_found(page: Page):
    login(page, "13800000102")
    expect(page).to_have_url(re.compile(r"/me$"))
    response = page.goto("/v/xinghua/members")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("找不到")
    expect(page.locator("main")).not_to_contain_text("13")  # no phone number leaks onto the page
    expect(page.get_by_role("link", name="回到首页")).to_be_visible()


# --- f. layout on a phone -------------------------------------------------------------------------

SMALLEST_TEXT_JS = """() => {
  let smallest = null;
  for (const el of document.querySelectorAll('body *')) {
    const visible = el.offsetParent !== null || getComputedStyle(el).position === 'fixed';
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!visible || !own) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (smallest === null || size < smallest.size)
      smallest = {size, tag: el.tagName, text: el.textContent.trim().slice(0, 30)};
  }
  return smallest;
}"""

WIDEST_JS = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(el => el.tagName + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 30))"""


def test_login_page_fits_a_phone_and_uses_large_type(page: Page):
    page.goto("/login")
    scroll_width, inner_width = page_widths(page)
    assert scroll_width <= inner_width, page.evaluate(WIDEST_JS)
    base = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert base >= 18, f"base font size {base}px"
    field = page.get_by_label("手机号").bounding_box()
    assert field and field["height"] >= 44, f"phone field is {field} (too small to tap)"


def test_pages_fit_a_phone_and_village_screenshot(page: Page, tmp_path: Path):
    login(page, "13800000005")
    expect(page).to_have_url(re.compile(r"/me$"))
    page.goto("/v/xinghua/")
    shot = tmp_path / "village.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    problems = []
    for path in ("/", "/me", "/v/xinghua/", "/account", "/v/xinghua/audit", "/v/liuxi/", "/activate"):
        page.goto(path)
        scroll_width, inner_width = page_widths(page)
        if scroll_width > inner_width:
            problems.append(f"{path}: scrollWidth {scroll_width} > {inner_width}: {page.evaluate(WIDEST_JS)}")
        smallest = page.evaluate(SMALLEST_TEXT_JS)
        if smallest and smallest["size"] < 14:
            problems.append(f"{path}: text at {smallest['size']}px: {smallest}")
    assert not problems, "\n".join(problems)


def test_committee_pages_fit_a_phone(page: Page):
    login(page, "13800000001")
    problems = []
    for path in ("/v/xinghua/members", "/v/xinghua/members/new", "/v/xinghua/members?q=XH-001"):
        page.goto(path)
        scroll_width, inner_width = page_widths(page)
        if scroll_width > inner_width:
            problems.append(f"{path}: scrollWidth {scroll_width} > {inner_width}: {page.evaluate(WIDEST_JS)}")
    page.locator("ul.members > li a").first.click()
    scroll_width, inner_width = page_widths(page)
    if scroll_width > inner_width:
        problems.append(f"member page: scrollWidth {scroll_width} > {inner_width}: {page.evaluate(WIDEST_JS)}")
    assert not problems, "\n".join(problems)
