"""三公开 in headless Chromium on phone-sized screens, against the live demo server.

Each person on their own phone: the committee drafts a village notice and submits it, the
supervisory committee approves it, the committee publishes it, and a visitor who is not logged in
finds it on the public board; a villager raises an objection (质询), the committee answers it from
its inbox, and the villager reads the answer; the A4 print sheet shows its QR code.

Demo accounts used (see app/demo/__init__.py): 李建国 13800000001 (committee: drafts, publishes,
replies), 赵监委 13800000004 (supervisory committee: approves). The villager who objects is the test's
own (added by 李建国 through the API); the notice and the question carry the run's tag, so the test
runs twice in a session and in any order.
Screenshots go to each test's own temp folder (phone board, A4-sized print sheet).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.people import new_villager
from tests.browser.test_journeys import flash, login
from tests.browser.test_votes import _fits

pytestmark = pytest.mark.browser

CHAIR, SUPERVISOR = "13800000001", "13800000004"
A4 = {"viewport": {"width": 794, "height": 1123}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def test_notice_review_publication_objection_and_print(live_server, new_page, browser, tmp_path: Path):
    tag = secrets.token_hex(2)
    title = f"村道硬化工程结算公示（{tag}）"
    question = f"施工单位是怎么选定的？有没有招标？（{tag}）"
    objector = new_villager(live_server, surname="龚")
    problems: list[str] = []

    # 1. 李建国 drafts a village notice from 公开管理 and submits it for review
    chair = new_page()
    login(chair, CHAIR)
    chair.goto("/v/xinghua/")
    chair.locator(".village-nav").get_by_role("link", name="公开管理").click()
    expect(chair.get_by_role("heading", name="杏花村 · 公开管理")).to_be_visible()
    chair.get_by_role("link", name="新建公开").click()
    chair.get_by_label("公开类别").select_option(label="村务公开")
    chair.get_by_label("标题").fill(title)
    chair.get_by_label("内容").fill("## 结算\n\n- 工程款 **58,000 元**\n- 施工单位：青山县路桥公司\n\n"
                                  "有疑问请在公示期内提出。")
    expect(chair.get_by_label("公示天数")).to_have_value("15")  # the law's least for village affairs
    _fits(chair, problems)
    chair.get_by_role("button", name="保存草稿").click()
    expect(flash(chair)).to_contain_text("草稿已保存")
    expect(chair.get_by_role("heading", name=title, level=1)).to_be_visible()
    notice_url = chair.url
    assert re.search(r"/v/xinghua/notices/\d+$", notice_url), notice_url
    chair.get_by_role("button", name="提交审核").click()
    expect(flash(chair)).to_have_text("已提交村务监督委员会审核")
    expect(chair.get_by_role("button", name="发布")).to_have_count(0)

    # 2. 赵监委 finds it among those to review and approves it
    supervisor = new_page()
    login(supervisor, SUPERVISOR)
    supervisor.goto("/v/xinghua/notices/manage")
    supervisor.locator("section", has=supervisor.get_by_role("heading", name=re.compile("^待审核"))) \
        .get_by_role("link", name=title).click()
    expect(supervisor.locator("main")).to_contain_text("58,000 元")
    supervisor.get_by_label("通过，可以发布").check()
    supervisor.get_by_label("审核意见（退回时必填）").fill("金额与合同一致。")
    _fits(supervisor, problems)
    supervisor.get_by_role("button", name="提交审核意见").click()
    expect(flash(supervisor)).to_have_text("已审核通过，村委会可以发布了")

    # 3. 李建国 publishes it
    chair.reload()
    chair.get_by_role("button", name="发布").click()
    expect(flash(chair)).to_contain_text("已发布，公示到")
    expect(chair.locator(".content-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    content_hash = chair.locator(".content-hash").inner_text()

    # 4. a visitor, not logged in, finds it on the public board
    visitor = new_page()
    visitor.goto("/v/xinghua/")
    expect(visitor.get_by_role("navigation", name="主导航").get_by_role("link", name="登录")).to_be_visible()
    current = visitor.locator("section", has=visitor.get_by_role("heading", name="正在公示"))
    expect(current.get_by_role("link", name=title)).to_be_visible()
    visitor.get_by_role("navigation", name="公开类别").get_by_role("link", name="村务").click()
    expect(visitor).to_have_url(re.compile(r"\?category=village$"))
    expect(current.get_by_role("link", name=title)).to_be_visible()
    visitor.get_by_role("navigation", name="公开类别").get_by_role("link", name="党务").click()
    expect(visitor.get_by_role("link", name=title)).to_have_count(0)
    visitor.get_by_role("navigation", name="公开类别").get_by_role("link", name="全部").click()
    _fits(visitor, problems)
    visitor.screenshot(path=str(tmp_path / "board.png"), full_page=True)
    visitor.get_by_role("link", name=title).first.click()
    expect(visitor.locator(".content-hash")).to_have_text(content_hash)
    expect(visitor.locator("#objections")).to_have_count(0)
    _fits(visitor, problems)

    # 5. a villager raises an objection during the window
    villager = new_page()
    login(villager, objector.phone, objector.password)
    villager.goto(notice_url)
    villager.get_by_label("提出质询").fill(question)
    villager.get_by_role("button", name="提交质询").click()
    expect(flash(villager)).to_contain_text("质询已提交")
    expect(villager.locator("#objections")).to_contain_text("等待村委会答复")
    _fits(villager, problems)

    # 6. 李建国 answers it from the objection inbox
    chair.goto("/v/xinghua/")
    chair.locator(".village-nav").get_by_role("link", name="质询").click()
    objection = chair.locator("article.objection", has_text=question)
    expect(objection).to_be_visible()
    objection.get_by_label("答复").fill("经村民代表会议决定邀请三家比价，青山县路桥公司报价最低。")
    _fits(chair, problems)
    objection.get_by_role("button", name="发出答复").click()
    expect(flash(chair)).to_contain_text("答复已发出")
    expect(chair.locator("article.objection", has_text=question)).to_have_count(0)

    # 7. the villager reads the answer under the notice; the visitor still sees no objections
    villager.reload()
    expect(villager.locator("#objections .reply")).to_contain_text("青山县路桥公司报价最低")
    visitor.reload()
    expect(visitor.locator("main")).not_to_contain_text("施工单位是怎么选定的")

    # 8. the A4 print sheet, not logged in: the QR code is drawn, the hash is printed
    context = browser.new_context(base_url=live_server, **A4)
    try:
        sheet = context.new_page()
        sheet.goto(notice_url)
        sheet.get_by_role("link", name="打印张贴版（A4）").click()
        expect(sheet.locator("svg.qr")).to_be_visible()
        box = sheet.locator("svg.qr").bounding_box()
        assert box and box["width"] >= 100 and abs(box["width"] - box["height"]) < 1, box
        expect(sheet.locator("main")).to_contain_text(content_hash)
        expect(sheet.locator("main")).to_contain_text("打印时间")
        expect(sheet.get_by_role("heading", name=title)).to_be_visible()
        expect(sheet.locator(".village-nav")).to_have_count(0)
        sheet.screenshot(path=str(tmp_path / "print.png"), full_page=True)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
