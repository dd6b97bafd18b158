"""axe-core on every page the journeys visit (issue 12): no WCAG 2.1 A or AA violation, on a phone.

Each demo role walks its pages on a 360 x 740 phone, following links as a person would (no id is
guessed), and axe-core runs on each page with the WCAG 2.1 A and AA rules (tags wcag2a, wcag2aa,
wcag21a, wcag21aa), plus the heading-order check (a best practice, not a WCAG rule: issue 12 names a
print page that skipped a heading level). Every page must also fit the phone without sideways
scrolling (WCAG 1.4.10, which axe cannot see). A failure lists each violation with its rule id,
impact, the element (axe's CSS selector) and the page.

axe-core comes inside the axe-playwright-python package (axe.min.js) and is injected into the page:
nothing is fetched from the network.

The demo's people only read (see README): 张大爷 13800000007, 李建国 13800000001, 赵监委 13800000004,
郑监督 13800000009, 周管理 13900000000. What changes anything is done to villagers of the test's own
(tests/browser/people.py): one mistypes a password and turns on 大字显示, another gets a new activation
code; the roster uploaded has a bad row, so nothing is imported. Each test runs twice in a session and
in any order; the pages are found from what the demo and earlier journeys leave, whatever they are.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEFAULT_TIMEOUT_MS, PHONE
from tests.browser.people import ADMIN, CHAIR, new_villager
from tests.browser.test_journeys import fill_login, flash, login, roster_file, upload_roster

pytestmark = pytest.mark.browser

VILLAGER = "13800000007"  # 张大爷
SUPERVISOR = "13800000004"  # 赵监委
MONITOR = "13800000009"  # 郑监督

WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG21_AA},
    "rules": {"heading-order": {"enabled": True}},
    "resultTypes": ["violations"],
}
AXE = Axe()  # the axe.min.js shipped in the package
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
WIDTHS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth]"
# what sticks out of the phone (boxes, or text running out of its box), outside the boxes that scroll
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement)
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true; return false; };
  return [...document.querySelectorAll('body *')]
    .filter(el => (el.getBoundingClientRect().right > width + 1
                   || (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'visible'))
                  && !scrolls(el))
    .slice(-5)
    .map(el => el.tagName.toLowerCase() + '.' + el.className + ': ' + (el.textContent || '').trim().slice(0, 30));
}"""


class Audit:
    """One person's phone: visits pages, runs axe on each, and keeps what it finds."""

    def __init__(self, page: Page):
        self.page = page
        self.visited: list[str] = []
        self.problems: list[str] = []

    def here(self) -> str:
        parts = urlsplit(self.page.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def visit(self, path: str, status: int = 200, check: bool = True) -> Page:
        """Open `path`, which must answer `status` (a page that failed to open proves nothing), and check it
        (unless it was checked already and is only passed through)."""
        response = self.page.goto(path)
        assert response is not None and response.status == status, (
            f"{path}: {response.status if response else 'no response'}, expected {status}")
        if check:
            self.check()
        return self.page

    def links(self, pattern: str, within: str = "main") -> list[str]:
        """The links on the current page (inside `within`) whose href matches `pattern`, in page order."""
        return self.page.eval_on_selector_all(
            f"{within} a[href]", "(links, source) => links.map(a => a.getAttribute('href'))"
            ".filter(h => new RegExp(source).test(h))", pattern)

    def link(self, pattern: str, within: str = "main") -> str:
        """The first link on the current page whose href matches `pattern`: pages are found by following
        links, never by guessing ids."""
        hrefs = self.links(pattern, within)
        assert hrefs, f"{self.here()}: no link matching {pattern!r} in {within}"
        return hrefs[0]

    def find(self, *steps: str) -> list[str]:
        """Follow links matching each step in turn, trying each candidate, to a page that offers a link
        matching the last step (a matter whose vote has closed: a matter, then its vote, which offers a
        print sheet). Returns the hrefs followed; the page reached is open, not yet checked."""
        found = self._search(list(steps))
        assert found is not None, f"{self.here()}: no page reached through {steps}"
        return found

    def _search(self, steps: list[str]) -> list[str] | None:
        *path, offering = steps
        if not path:
            return [] if self.links(offering) else None
        here = self.here()
        for href in self.links(path[0]):
            self.visit(href, check=False)
            rest = self._search([*path[1:], offering])
            if rest is not None:
                return [href, *rest]
            self.visit(here, check=False)
        return None

    def follow(self, pattern: str, within: str = "main") -> Page:
        """Open and check the page of the first link matching `pattern`."""
        return self.visit(self.link(pattern, within))

    def menu(self, pattern: str, village: str = "/v/xinghua/") -> Page:
        """A page of the village's menu, as its board offers it to this person."""
        self.visit(village, check=False)
        return self.follow(pattern, within=".village-nav")

    def check(self, again: bool = False) -> None:
        """axe-core on the page as it is now, and the phone's width (once per address, unless `again`)."""
        self.page.wait_for_load_state()
        where = self.here()
        if where in self.visited and not again:
            return
        self.visited.append(where)
        results = AXE.run(self.page, options=AXE_OPTIONS).response
        for violation in results["violations"]:
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                self.problems.append(f"{violation['id']} ({violation['impact']}) {target} at {where}: "
                                     f"{violation['help']}")
        # a mobile viewport zooms out to fit wide content, which widens innerWidth with it (test_votes._fits)
        scroll_width, inner_width, phone_width = self.page.evaluate(WIDTHS_JS)
        if max(scroll_width, inner_width) > phone_width:
            self.problems.append(f"reflow at {where}: {max(scroll_width, inner_width)} px wide on a {phone_width} px "
                                 f"phone: {self.page.evaluate(OVERFLOW_JS)}")

    def assert_clean(self, at_least: int) -> None:
        assert len(self.visited) >= at_least, f"only {len(self.visited)} pages checked: {self.visited}"
        assert not self.problems, (f"{len(self.problems)} accessibility problems on {len(self.visited)} pages:\n"
                                   + "\n".join(self.problems))



@pytest.fixture
def phone(browser, live_server):
    """A fresh 360 x 740 phone (its own cookies), the smallest the pages are made for; logged out after."""
    context = browser.new_context(base_url=live_server, **SMALL_PHONE)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    audit = Audit(context.new_page())
    yield audit
    # log out, so the demo person is left with no session of this test's (a page like 我的账号 counts them)
    audit.page.goto("/")
    logout = audit.page.get_by_role("navigation", name="主导航").get_by_role("button", name="退出", exact=True)
    if logout.count():
        logout.click()
        expect(flash(audit.page)).to_contain_text("已退出登录")
    context.close()


# --- the walks: what each person's journeys open --------------------------------------------------

def walk_visitor(audit: Audit) -> None:
    """No login: the directory, the board, notices and their A4 sheets, the village rules, the law, login."""
    audit.visit("/")
    audit.follow(r"^/v/xinghua/$")
    board = audit.here()
    notice = audit.link(r"/notices/\d+$")
    audit.visit(notice)
    audit.follow(r"/notices/\d+/print$")
    audit.visit(board, check=False)
    audit.follow(r"category=finance")
    audit.follow(r"/notices/\d+$")  # a finance notice: its tables come from the books
    audit.follow(r"/notices/\d+/print$")
    audit.visit(board, check=False)
    audit.follow(r"/subscribe$")
    audit.menu(r"/charter$")
    audit.follow(r"/charter/\d+$")
    audit.visit("/rules")
    audit.visit("/login")
    audit.visit("/activate")
    audit.visit("/v/no-such-village/", status=404)


def walk_villager(audit: Audit) -> None:
    """张大爷: his home, a matter and its decision file, the open vote's ballot, messages, his account."""
    login(audit.page, VILLAGER)
    audit.check()  # /me, where a villager lands
    me = audit.here()
    assert me == "/me", me
    audit.follow(r"/votes/\d+")  # 去投票: the open vote he may still cast
    audit.visit(me, check=False)
    audit.follow(r"/proposals/\d+$")
    audit.follow(r"/file$")
    for page in ("proposals", "councils", "audit", "accounts"):
        audit.menu(rf"/{page}$")
    audit.visit("/v/xinghua/proposals", check=False)
    audit.find(r"/proposals/\d+$", r"/comments/\d+/reply$")  # a matter under discussion
    audit.follow(r"/comments/\d+/reply$")  # replying to a comment, on its own page
    audit.visit(me, check=False)
    audit.follow(r"/reports/new$")
    audit.visit(me, check=False)
    audit.follow(r"^/me/reports$")
    audit.follow(r"^/me/notifications$", within="header")  # 消息
    audit.follow(r"^/me/notifications/settings$")
    audit.follow(r"^/account$", within="header")  # 我的账号


def walk_large_type(audit: Audit, base: str) -> None:
    """A villager of the test's own: a mistyped password first, then he turns on 大字显示, and his pages
    in the larger type."""
    person = new_villager(base)
    audit.visit("/login", check=False)
    fill_login(audit.page, person.phone, "not-the-password")
    expect(audit.page.get_by_role("alert")).to_contain_text("手机号或密码不对")
    audit.check()  # the refused login, with its error
    login(audit.page, person.phone, person.password)
    audit.visit("/account")
    audit.page.get_by_role("button", name="打开大字显示").click()
    expect(flash(audit.page)).to_have_text("已打开大字显示")
    expect(audit.page.locator("html")).to_have_class(re.compile(r"\blarge-type\b"))
    audit.check(again=True)
    audit.visit("/me")
    audit.visit("/v/xinghua/")
    audit.follow(r"/notices/\d+$")
    audit.visit("/v/xinghua/proposals")
    audit.follow(r"/proposals/\d+$")
    audit.visit("/me/notifications")


def walk_committee(audit: Audit) -> None:
    """李建国: matters, the queue, notices, members, the audit record, the books, the settings."""
    login(audit.page, CHAIR)
    audit.check()
    audit.visit("/v/xinghua/")
    audit.menu(r"/proposals$")
    audit.follow(r"/proposals/new$")
    audit.menu(r"/queue$")
    audit.follow(r"/proposals/\d+$")  # a matter waiting for the committee: its actions
    audit.menu(r"/proposals$")
    audit.find(r"/proposals/\d+$", r"/votes/new$")  # a matter waiting for its vote
    audit.check()
    audit.follow(r"/votes/new$")
    audit.menu(r"/proposals$")
    matter, _ = audit.find(r"/proposals/\d+$", r"/votes/\d+$", r"/votes/\d+/print$")  # a closed vote
    audit.check()  # its result, ballot box and receipts
    audit.follow(r"/votes/\d+/print$")
    audit.visit(matter)
    audit.follow(r"/file$")
    audit.menu(r"/proposals$")
    audit.find(r"/proposals/\d+$", r"/fund$")  # a decided matter raising money
    audit.follow(r"/fund$")
    audit.menu(r"/councils$")
    audit.follow(r"/councils/\d+$")
    audit.menu(r"/notices/manage$")
    audit.follow(r"/notices/new$")
    audit.menu(r"/notices/manage$")
    audit.follow(r"/notices/\d+$")
    audit.menu(r"/objections$")
    audit.menu(r"/members$")
    members = audit.here()
    audit.follow(r"/members/\d+$")
    audit.visit(members, check=False)
    audit.follow(r"/members/new$")
    audit.menu(r"/roster$")
    audit.menu(r"/audit$")
    audit.menu(r"/accounts$")
    books = audit.here()
    audit.follow(r"/accounts/periods/\d{4}-\d{2}$")  # this month
    audit.follow(r"/periods/\d{4}-\d{2}$")  # ‹ 上个月, closed and published
    audit.follow(r"/periods/\d{4}-\d{2}$")  # and the one before
    month = audit.here()
    audit.follow(r"\?ytd=1$")
    audit.visit(month, check=False)
    audit.follow(r"/print$")
    audit.visit(month, check=False)
    audit.follow(r"/annual$")
    audit.visit(books, check=False)
    audit.follow(r"/accounts/vouchers$")
    audit.follow(r"/accounts/vouchers/\d+$")
    audit.visit(books, check=False)
    audit.follow(r"/accounts/vouchers/new$")
    for page in ("chart", "contracts", "assets", "openings"):
        audit.visit(books, check=False)
        audit.follow(rf"/accounts/{page}$")
        if page == "contracts":
            audit.follow(r"/contracts/\d+$")
    audit.menu(r"/settings$")
    audit.menu(r"/meetings$")  # 会议, 提议召开会议 and 代录 (for villagers without a phone)
    audit.menu(r"/petitions$")
    audit.menu(r"/assisted$")


def walk_committee_forms(audit: Audit, base: str) -> None:
    """李建国's forms answered: a new activation code for a villager of the test's own, a roster with a
    bad row (reported, nothing imported), a member form refused."""
    pending = new_villager(base, surname="何", activated=False)
    login(audit.page, CHAIR)
    audit.visit(f"/v/xinghua/members?q={pending.phone}", check=False)
    audit.follow(r"/members/\d+$")
    audit.page.get_by_role("button", name="生成新激活码").click()
    expect(flash(audit.page)).to_contain_text(f"已为 {pending.name} 生成新的激活码")
    audit.check()  # the sheet of codes
    upload_roster(audit.page, "xinghua", roster_file("孙错号,12345,1980-05-01,女,RB-001,第一村民小组,村民"))
    expect(audit.page.locator("main")).to_contain_text("行有问题")
    audit.check()  # the roster's report
    audit.visit("/v/xinghua/members/new", check=False)
    audit.page.get_by_label("姓名").fill(pending.name)
    audit.page.get_by_label("手机号").fill(pending.phone)
    audit.page.get_by_role("button", name="添加").click()
    expect(audit.page.get_by_role("alert")).to_contain_text("已经登记过")
    audit.check()  # the form again, with its error


def walk_supervisor(audit: Audit) -> None:
    """赵监委: the notices waiting for his review, one of them with its review form."""
    login(audit.page, SUPERVISOR)
    audit.check()
    audit.menu(r"/notices/manage$")  # 公开管理: what waits for his review first
    waiting = audit.links(r"/notices/\d+$")
    assert waiting, "the supervisor's page of notices lists none"
    for notice in waiting[:3]:
        audit.visit(notice)


def walk_monitor(audit: Audit) -> None:
    """郑监督: the township's dashboard, its queue, a village's matters, a decision file and its A4 sheet,
    the cases, a village rule to file, the audit record."""
    login(audit.page, MONITOR)
    audit.check()  # lands on the dashboard
    assert re.fullmatch(r"/townships/\d+/dashboard", audit.here()), audit.here()
    dashboard = audit.here()
    audit.follow(r"/queue$")  # (another journey may have filed what waited in it)
    audit.menu(r"/proposals$")
    audit.find(r"/proposals/\d+$", r"/votes/\d+$")  # a matter that came to a vote
    audit.check()
    audit.follow(r"/file$")  # its decision file
    audit.follow(r"/file/print$")
    audit.visit(dashboard, check=False)
    audit.follow(r"/cases$")
    audit.follow(r"/cases\?all=1$")  # answered ones too
    audit.follow(r"/reports/\d+$")
    audit.menu(r"/charter$")
    audit.follow(r"/charter/\d+$")  # filed by the township, or waiting for it
    audit.menu(r"/audit$")


def walk_admin(audit: Audit) -> None:
    """周管理: the administration page and the deliveries."""
    login(audit.page, ADMIN)
    audit.visit("/admin")
    audit.follow(r"^/admin/deliveries$")


# --- the tests ------------------------------------------------------------------------------------

def test_public_pages_have_no_wcag_violation(phone: Audit):
    walk_visitor(phone)
    phone.assert_clean(at_least=12)


def test_a_villagers_pages_have_no_wcag_violation(phone: Audit):
    walk_villager(phone)
    phone.assert_clean(at_least=12)


def test_pages_in_large_type_have_no_wcag_violation(phone: Audit, live_server):
    walk_large_type(phone, live_server)
    phone.assert_clean(at_least=8)


def test_the_committees_pages_have_no_wcag_violation(phone: Audit):
    walk_committee(phone)
    phone.assert_clean(at_least=35)


def test_the_committees_answered_forms_have_no_wcag_violation(phone: Audit, live_server):
    walk_committee_forms(phone, live_server)
    phone.assert_clean(at_least=4)


def test_the_supervisors_review_pages_have_no_wcag_violation(phone: Audit):
    walk_supervisor(phone)
    phone.assert_clean(at_least=3)


def test_the_townships_pages_have_no_wcag_violation(phone: Audit):
    walk_monitor(phone)
    phone.assert_clean(at_least=12)


def test_the_administrators_pages_have_no_wcag_violation(phone: Audit):
    walk_admin(phone)
    phone.assert_clean(at_least=2)
