"""A 村民代表会议 at a phone viewport, against the live demo server: 李建国 (13800000001) creates the meeting
with an agenda item from the village's menu and announces it; 赵监委 (13800000004) approves the notice and
李建国 publishes it, so it is on the board; 李建国 opens check-in by phone, 孙代表 (13800000005) checks in
with the code shown; 李建国 records the minutes."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from app.domain.calendar import format_local
from tests.browser.test_journeys import flash, login
from tests.browser.test_votes import _fits

pytestmark = pytest.mark.browser


def test_a_representatives_meeting_on_phones(live_server, new_page):
    problems: list[str] = []
    title = f"村民代表会议（{secrets.token_hex(2)}）"
    chair = new_page()
    login(chair, "13800000001")
    chair.goto("/v/xinghua/")
    chair.get_by_role("navigation", name="杏花村").get_by_role("link", name="会议", exact=True).click()
    expect(chair.get_by_role("heading", level=1)).to_contain_text("会议")
    chair.get_by_label("议事机构").select_option(label="村民代表会议")
    chair.get_by_label("会议名称").fill(title)
    chair.get_by_label("会议时间（北京时间）").fill(
        format_local(datetime.now(UTC) + timedelta(minutes=30), "%Y-%m-%dT%H:%M"))
    chair.get_by_label("地点").fill("村委会二楼会议室")
    chair.get_by_label("议程（每行一项）").fill("通报村道硬化工程进度")
    _fits(chair, problems)
    chair.get_by_role("button", name="保存草稿").click()
    expect(flash(chair)).to_contain_text("会议草稿已保存")
    expect(chair.locator("#agenda")).to_contain_text("通报村道硬化工程进度")
    expect(chair.locator("#signin")).to_contain_text("列席：赵监委")
    meeting_url = chair.url.split("?")[0].split("#")[0]
    chair.get_by_role("button", name="发出会议通知").click()
    expect(flash(chair)).to_contain_text("送村务监督委员会审核")
    notice_title = f"会议通知：{title}"

    supervisor = new_page()
    login(supervisor, "13800000004")
    supervisor.goto("/v/xinghua/notices/manage")
    supervisor.get_by_role("link", name=notice_title).click()
    expect(supervisor.locator("main")).to_contain_text("通报村道硬化工程进度")
    supervisor.get_by_label("通过，可以发布").check()
    supervisor.get_by_role("button", name="提交审核意见").click()
    expect(flash(supervisor)).to_have_text("已审核通过，村委会可以发布了")

    chair.locator("#notice").get_by_role("link", name=notice_title).click()
    chair.get_by_role("button", name="发布").click()
    expect(flash(chair)).to_contain_text("已发布，公示到")
    chair.goto("/v/xinghua/")
    expect(chair.locator("main")).to_contain_text(notice_title)

    chair.goto(meeting_url)
    chair.get_by_role("button", name="开启手机签到").click()
    expect(flash(chair)).to_contain_text("手机签到已开启")
    code = re.search(r"签到码 (\d{6})", flash(chair).inner_text()).group(1)
    _fits(chair, problems)

    rep = new_page()
    login(rep, "13800000005")
    rep.goto(meeting_url)
    rep.get_by_label("签到码（会场上展示的 6 位数字）").fill(code)
    _fits(rep, problems)
    rep.get_by_role("button", name="签到", exact=True).click()
    expect(flash(rep)).to_contain_text("签到成功")
    expect(rep.locator("#signin")).to_contain_text("孙代表 · 手机签到")

    chair.reload()
    chair.get_by_label("纪要", exact=True).fill("一、村道硬化已完成八成。\n二、下次会议议路灯维修。")
    chair.get_by_role("button", name="保存纪要").click()
    expect(flash(chair)).to_contain_text("会议纪要已保存")
    expect(chair.locator("#minutes")).to_contain_text("村道硬化已完成八成")
    expect(chair.locator("main")).to_contain_text("已召开")
    _fits(chair, problems)
    assert not problems, problems
