"""民主提事、民主商事 in headless Chromium on phone-sized screens, against the live demo server.

The journey needs a village small enough that one co-signer besides the author carries a
proposal (the demo villages need 15). The system administrator sets one up through the JSON API,
as a provincial deployment would script it: a village, a roster of 11 adults (so ≥ 1/10 is 2
people), activation of the three whose phones the test then drives. Everything after that is done
through the pages, each person in their own browser context.

Demo accounts used (see app/demo/__init__.py): 周管理 13900000000 (API set-up of the new village),
李建国 13800000001 (committee pages and screenshot: reads only). The village, its phones and its
proposal are new on every run, so the journey runs twice in a session and in any order.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import ADMIN, api_as, items, unique_phone
from tests.browser.test_journeys import WIDEST_JS, flash, login, page_widths

pytestmark = pytest.mark.browser

PASSWORD = "Taoyuan-2026-pass"  # noqa: S105 — a test village's made-up password


# --- set-up through the API ------------------------------------------------------------------------

@pytest.fixture
def small_village(live_server) -> dict:
    """A fresh village of 11 adults: an author, a co-signer, a committee member and 8 others.
    Returns {"slug", "name", "author", "neighbour", "chair"} with the three activated phones."""
    phones = [unique_phone() for _ in range(11)]
    author, neighbour, chair = phones[:3]
    with api_as(live_server, ADMIN) as api:
        r = api.get("/townships")
        assert r.status_code == 200, r.text
        township = items(r.json())[0]["id"]
        slug = f"taoyuan{secrets.token_hex(4)}"
        name = f"桃源村{slug[-4:]}"
        r = api.post("/villages", json={"name": name, "slug": slug, "township_id": township})
        assert r.status_code == 201, r.text
        vid = r.json()["id"]
        rows = ["姓名,手机号,出生日期,性别,户号,村民小组,角色",
                f"陶春花,{author},1975-03-02,女,TY-001,一组,村民",
                f"陶秋生,{neighbour},1969-08-15,男,TY-002,一组,村民",
                f"陶主任,{chair},1972-01-20,男,TY-003,一组,村委会"]
        rows += [f"陶邻{i},{phone},1980-05-0{i},男,TY-{10 + i:03d},二组,村民" for i, phone in enumerate(phones[3:], 1)]
        r = api.post(f"/villages/{vid}/roster", data={"dry_run": "false"},
                     files={"file": ("名册.csv", ("\n".join(rows) + "\n").encode(), "text/csv")})
        assert r.status_code == 200, r.text
        codes = {a["phone"]: a["code"] for a in r.json()["activation"]}
        for phone in (author, neighbour, chair):
            r = api.post("/auth/activate", json={"phone": phone, "code": codes[phone], "password": PASSWORD})
            assert r.status_code == 200, r.text
    return {"slug": slug, "name": name, "author": author, "neighbour": neighbour, "chair": chair}


def comment(page: Page, text: str):
    """The comment (article) that holds this text."""
    return page.locator("article.comment").filter(has_text=text)


# --- the journey -----------------------------------------------------------------------------------

def test_draft_submit_cosign_discuss_and_hide(small_village, new_page, tmp_path: Path):
    slug = small_village["slug"]

    # 1. 陶春花 drafts a proposal on her phone and submits it
    author = new_page()
    login(author, small_village["author"], PASSWORD)
    expect(author).to_have_url(re.compile(r"/me$"))  # 我的待办
    author.goto(f"/v/{slug}/")
    author.locator(".village-nav").get_by_role("link", name="议事").click()
    expect(author.get_by_role("heading", name=f"{small_village['name']} · 议事")).to_be_visible()
    author.get_by_role("link", name="提出新事项").click()
    author.get_by_label("标题").fill("村道安装太阳能路灯")
    author.get_by_label("内容").fill("村里主干道晚上太黑，老人走路不安全。\n\n建议安装**太阳能路灯** 20 盏。")
    author.get_by_label("类别").select_option(label="公共设施")
    author.get_by_label("预算（元）").fill("24000")
    author.get_by_label("人均筹资（元）").fill("二十")
    author.get_by_role("button", name="保存草稿").click()
    # a wrong amount is explained, and nothing typed is lost
    expect(author.get_by_role("alert")).to_contain_text("金额格式不对")
    expect(author.get_by_label("标题")).to_have_value("村道安装太阳能路灯")
    expect(author.get_by_label("预算（元）")).to_have_value("24000")
    author.get_by_label("人均筹资（元）").fill("12")
    author.get_by_label("减免对象").fill("五保户")
    author.get_by_role("button", name="保存草稿").click()

    expect(flash(author)).to_have_text("草稿已保存，提交后其他村民才能看到")
    expect(author.get_by_role("heading", name="村道安装太阳能路灯", level=1)).to_be_visible()
    expect(author.locator(".facts")).to_contain_text("24,000.00 元")
    author.get_by_role("button", name="提交").click()
    expect(flash(author)).to_contain_text("已提交，现在是「提事（联署）」")
    expect(author.locator("#cosign")).to_contain_text("已联署 1 / 需 2")
    expect(author.locator('.stages li[aria-current="step"]')).to_contain_text("提事（联署）")
    proposal_url = author.url

    # 2. her neighbour 陶秋生 finds it in the list and co-signs: it enters deliberation
    neighbour = new_page()
    login(neighbour, small_village["neighbour"], PASSWORD)
    neighbour.goto(f"/v/{slug}/proposals")
    neighbour.locator("summary", has_text="查找和筛选").click()
    neighbour.get_by_label("阶段").select_option("cosign")
    neighbour.get_by_role("button", name="查找").click()
    neighbour.get_by_role("link", name="村道安装太阳能路灯").click()
    expect(neighbour.locator("#cosign")).to_contain_text("已联署 1 / 需 2")
    neighbour.get_by_role("button", name="联署", exact=True).click()
    expect(flash(neighbour)).to_contain_text("联署人数已够，事项进入「商事（公开商议）」")
    expect(neighbour.locator('.stages li[aria-current="step"]')).to_contain_text("商事（公开商议）")
    expect(neighbour.locator(".stages li.done")).to_contain_text("提事（联署）")

    # 3. they discuss: he asks, she replies under his comment
    neighbour.get_by_label("发表意见").fill("路灯装在哪几段？晚上几点关？")
    neighbour.get_by_role("button", name="发表", exact=True).click()
    expect(flash(neighbour)).to_have_text("意见已发表")
    neighbour.get_by_label("发表意见").fill("听说上次修路的钱被某人私吞了！")
    neighbour.get_by_role("button", name="发表", exact=True).click()
    expect(comment(neighbour, "私吞")).to_be_visible()

    author.goto(proposal_url)
    question = comment(author, "路灯装在哪几段")
    question.get_by_role("link", name="回复 陶秋生").click()  # the reply's own page, the question above it
    expect(author.locator("main article.comment")).to_contain_text("路灯装在哪几段")
    author.get_by_label("回复 陶秋生").fill("主干道和村口小桥两段，天亮自动关。")
    author.get_by_role("button", name="发表回复").click()
    expect(flash(author)).to_have_text("已回复")
    reply = comment(author, "天亮自动关")
    expect(reply).to_have_class(re.compile(r"\bindent-1\b"))
    # she reports the accusation to the committee
    accusation = comment(author, "私吞")
    accusation.get_by_role("link", name=re.compile("^举报")).click()
    author.get_by_label("举报理由（可不填）").fill("没有根据的指控")
    author.get_by_role("button", name="举报给村委会").click()
    expect(flash(author)).to_contain_text("已举报")

    # 4. the committee finds the report in its queue and hides the comment with a reason
    chair = new_page()
    login(chair, small_village["chair"], PASSWORD)
    chair.get_by_role("link", name=re.compile("^待村委会处理的事项")).click()  # from 我的待办
    reported = chair.locator("ul.reported > li").filter(has_text="私吞")
    expect(reported).to_contain_text("没有根据的指控")
    reported.get_by_role("link").click()
    target = comment(chair, "私吞")
    target.get_by_role("link", name=re.compile("^隐藏")).click()
    chair.get_by_label(re.compile("^隐藏理由")).fill("未经核实的指控，请向村务监督委员会反映")
    chair.get_by_role("button", name="隐藏这条评论").click()
    expect(flash(chair)).to_contain_text("评论已隐藏")

    # 5. the villager sees the reason in place of his words, and a message tells him
    neighbour.goto(proposal_url)
    hidden = neighbour.locator("article.comment.is-hidden")
    expect(hidden).to_contain_text("此评论已被村委会隐藏，理由：未经核实的指控，请向村务监督委员会反映")
    expect(neighbour.locator("main")).not_to_contain_text("私吞")
    expect(comment(neighbour, "天亮自动关")).to_be_visible()
    neighbour.get_by_role("navigation", name="主导航").get_by_role("link", name="消息").click()
    expect(neighbour.locator("ul.notifications")).to_contain_text("你在《村道安装太阳能路灯》下的评论已被村委会隐藏")
    neighbour.get_by_role("button", name="全部标为已读").click()
    expect(flash(neighbour)).to_have_text("已全部标为已读")

    # the page fits a phone
    neighbour.goto(proposal_url)
    scroll_width, inner_width = page_widths(neighbour)
    assert scroll_width <= inner_width, neighbour.evaluate(WIDEST_JS)


# --- the demo village's pages on a phone -----------------------------------------------------------

def test_proposal_pages_fit_a_phone_and_screenshot(page: Page, tmp_path: Path):
    login(page, "13800000001")
    page.goto("/v/xinghua/")
    page.locator(".village-nav").get_by_role("link", name="议事").click()
    expect(page).to_have_url(re.compile(r"/v/xinghua/proposals$"))
    page.get_by_role("link", name="硬化村东头道路").click()
    expect(page.get_by_role("heading", name="硬化村东头道路", level=1)).to_be_visible()
    expect(page.locator('.stages li[aria-current="step"]')).to_contain_text("商事")
    shot = tmp_path / "proposal.png"
    page.screenshot(path=str(shot), full_page=True)

    problems = []
    detail = page.url
    for path in ("/v/xinghua/proposals", "/v/xinghua/proposals/new", "/v/xinghua/queue", "/v/xinghua/settings",
                 "/me/notifications", detail):
        page.goto(path)
        scroll_width, inner_width = page_widths(page)
        if scroll_width > inner_width:
            problems.append(f"{path}: scrollWidth {scroll_width} > {inner_width}: {page.evaluate(WIDEST_JS)}")
    assert not problems, "\n".join(problems)
