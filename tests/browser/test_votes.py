"""民主决事 in headless Chromium on phone-sized screens, against the live demo server.

The committee sets up a council and a vote on a proposal of its own (created through the JSON API and
moved to its vote stage with the village's deliberation minimum briefly set to 0 days, then put back),
so the demo's own open vote on the street lights is left for visitors. Then, each person on their own
phone: a new villager of the test's own (added and activated through the API, so no demo person's
ballot is used up) votes and keeps the receipt; the clerk records the meeting's sign-in sheet and paper
count; a second committee member confirms it and closes the vote; the result shows the rule and its
citation, and the villager finds the ballot in the public ballot box with "查我的回执".

Demo accounts used (see app/demo/__init__.py): 李建国 13800000001 (committee: API set-up, the new
villager, council, vote, confirmation, close), 王秀英 13800000002 (clerk: paper tally). Everything the
test changes is its own (proposal, council, vote, voter), so it runs twice in a session and in any order.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.people import api_as, my_village, new_villager
from tests.browser.test_journeys import WIDEST_JS, flash, login, page_widths

pytestmark = pytest.mark.browser

CHAIR, CLERK = "13800000001", "13800000002"
# votes opened today (2026 on): the 2025 amendment
CITATION = ("依据《村民委员会组织法》（2025年修正）第二十六条"
            "：到会人员的过半数同意")
RECEIPT_RE = re.compile(r"^[A-Z0-9]{5}-[A-Z0-9]{5}$")


def _proposal_in_vote_stage(base: str, title: str) -> int:
    """As 李建国 through the API: a 一事一议 proposal of the committee (no co-signing), submitted and
    advanced past deliberation with its minimum set to 0 days for the moment; the setting is restored."""
    with api_as(base, CHAIR) as api:
        vid = my_village(api)
        r = api.post(f"/villages/{vid}/proposals", json={
            "title": title, "body": "村西头到小学的路段晚上没有照明，建议安装太阳能路灯 12 盏。",
            "category": "facilities", "procedure": "yishiyiyi"})
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        r = api.post(f"/proposals/{pid}/transitions", json={"action": "submit"})
        assert r.status_code == 200 and r.json()["state"] == "deliberation", r.text
        saved = api.get(f"/villages/{vid}/settings").json()
        quick = {**saved, "min_days": {**saved["min_days"], "yishiyiyi.deliberation": 0}}
        assert api.put(f"/villages/{vid}/settings", json=quick).status_code == 200
        try:
            r = api.post(f"/proposals/{pid}/transitions", json={"action": "advance"})
            assert r.status_code == 200 and r.json()["state"] == "vote", r.text
        finally:
            assert api.put(f"/villages/{vid}/settings", json=saved).status_code == 200
        return pid


def _fits(page: Page, problems: list[str]) -> None:
    """Nothing wider than the phone. (A mobile viewport zooms out to fit wide content, which widens
    window.innerWidth with it; the layout viewport's clientWidth stays the phone's.)"""
    scroll_width, inner_width = page_widths(page)
    client_width = page.evaluate("() => document.documentElement.clientWidth")
    if max(scroll_width, inner_width) > client_width:
        problems.append(f"{page.url}: scrollWidth {scroll_width}, innerWidth {inner_width} > {client_width}: "
                        f"{page.evaluate(WIDEST_JS)}")


def test_vote_paper_tally_result_and_receipt(live_server, new_page, tmp_path: Path):
    tag = secrets.token_hex(2)
    title = f"村西头安装路灯 12 盏（{tag}）"
    council_name = f"路灯表决村民会议{tag}"
    voter = new_villager(live_server, surname="严")  # in the village before the vote opens: on its list
    pid = _proposal_in_vote_stage(live_server, title)
    problems: list[str] = []

    # 1. 李建国 sets up a villagers' assembly and a secret vote on the proposal, then opens it
    chair = new_page()
    login(chair, CHAIR)
    chair.goto("/v/xinghua/")
    chair.locator(".village-nav").get_by_role("link", name="表决机构").click()
    expect(chair.get_by_role("heading", name="杏花村 · 议事机构")).to_be_visible()
    chair.get_by_label("类别").select_option(label="村民会议")
    chair.get_by_label("名称").fill(council_name)
    chair.get_by_role("button", name="设立").click()
    expect(flash(chair)).to_have_text(f"已设立：{council_name}")
    expect(chair.locator("main")).to_contain_text("本村 18 周岁以上村民的过半数")
    _fits(chair, problems)

    chair.goto(f"/v/xinghua/proposals/{pid}")
    votes = chair.locator("#votes")
    expect(votes).to_contain_text("这个阶段还没有表决")
    votes.get_by_role("link", name="发起表决").click()
    expect(chair.get_by_role("heading", name="发起表决")).to_be_visible()
    expect(chair.get_by_label("表决事项")).to_have_value(f"是否同意《{title}》？")
    council = chair.locator("#council_id option", has_text=council_name).get_attribute("value")
    chair.get_by_label("由哪个议事机构表决").select_option(council)
    _fits(chair, problems)
    chair.get_by_role("button", name="创建表决").click()
    expect(flash(chair)).to_contain_text("表决已创建")
    vote_url = chair.url
    chair.get_by_role("button", name="开始表决").click()
    expect(flash(chair)).to_contain_text("表决已开始：名单")
    expect(chair.locator(".fingerprint code")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(chair.locator(".turnout")).to_contain_text("已投票 0 人")

    # 2. the villager finds the vote on 我的待办 and votes; the receipt is shown once
    villager = new_page()
    login(villager, voter.phone, voter.password)
    # 我的待办 lists the open vote with one tap to the ballot
    villager.locator("#votes li", has_text=f"是否同意《{title}》？").get_by_role("link", name="去投票").click()
    expect(villager.locator(".vote-state")).to_have_text("进行中")
    villager.get_by_label("同意").check()
    villager.get_by_role("button", name="投票", exact=True).click()
    expect(flash(villager)).to_have_text("投票成功")
    expect(villager.get_by_role("heading", name="请记下您的回执码")).to_be_visible()
    expect(villager.locator("#receipt")).to_contain_text("只显示这一次")
    expect(villager.locator("#receipt")).to_contain_text("您投的是：同意")  # only here, right after casting
    receipt = villager.locator(".receipt-code").inner_text().strip()
    assert RECEIPT_RE.match(receipt), receipt
    _fits(villager, problems)
    villager.reload()
    expect(villager.locator("#cast")).to_contain_text("您已投票")
    expect(villager.locator(".receipt-code")).to_have_count(0)
    expect(villager.locator("main")).not_to_contain_text(receipt)

    # before close: turnout only, for the committee too
    chair.reload()
    expect(chair.locator(".turnout")).to_contain_text("已投票 1 人")
    expect(chair.locator("#result")).to_have_count(0)

    # 3. 王秀英, the clerk, records the meeting: the sign-in sheet and the paper count
    clerk = new_page()
    login(clerk, CLERK)
    clerk.goto(vote_url)
    clerk.locator("summary", has_text="录入签到表和纸质计票").click()
    sheet = clerk.locator('#paper input[name="present"]')
    expect(sheet.first).to_be_visible()
    # a hundred names on the sheet signed in (ticked in the page): the villager who voted online, and
    # the first 99 others
    clerk.locator("#paper label.pick", has_text=voter.name).locator("input").check()
    clerk.evaluate("""() => {
      const boxes = [...document.querySelectorAll('#paper input[name="present"]')];
      let ticked = boxes.filter(box => box.checked).length;
      for (const box of boxes) { if (ticked < 100 && !box.checked) { box.checked = true; ticked += 1; } }
    }""")
    expect(clerk.locator("#paper label.pick", has_text=voter.name).locator("input")).to_be_checked()
    signed = clerk.locator('#paper input[name="present"]:checked').count()
    assert signed == 100, signed
    clerk.get_by_label("同意（张）").fill("85")
    clerk.get_by_label("反对（张）").fill("9")
    clerk.get_by_label("弃权（张）").fill("5")
    clerk.get_by_label("废票（张）").fill("2")
    clerk.get_by_label("会议记录（可选）").fill("村民会议在村委会大院召开，举手签到后投纸质票。")
    clerk.get_by_role("button", name="保存纸质计票").click()
    # the villager voted online, so he got no paper ballot: 101 ballots from the 99 others do not add up;
    # the form says so and keeps everything
    expect(clerk.locator("#paper .field-error")).to_contain_text("超过签到人数 99 人")
    expect(clerk.get_by_label("同意（张）")).to_have_value("85")
    expect(clerk.locator('#paper input[name="present"]:checked')).to_have_count(100)
    clerk.get_by_label("反对（张）").fill("7")
    clerk.get_by_role("button", name="保存纸质计票").click()
    expect(flash(clerk)).to_contain_text("纸质计票已录入")
    expect(clerk.locator("#paper")).to_contain_text("待确认")
    expect(clerk.get_by_role("button", name="确认纸质计票")).to_have_count(0)
    _fits(clerk, problems)

    # 4. 李建国 checks the count, confirms it, and closes the vote
    chair.goto(vote_url)
    paper = chair.locator("#paper")
    expect(paper).to_contain_text("王秀英")
    expect(paper.locator("table.tally")).to_contain_text("100 人")
    chair.get_by_role("button", name="确认纸质计票").click()
    expect(flash(chair)).to_have_text("纸质计票已确认，结束表决时计入结果")
    expect(chair.locator("#paper")).to_contain_text("已确认")
    chair.locator("summary", has_text="结束表决").click()
    chair.get_by_role("button", name="确定结束表决").click()
    expect(flash(chair)).to_have_text("表决已结束，结果：通过")
    result = chair.locator("#result")
    expect(result.locator(".verdict")).to_have_text("通过")
    expect(result).to_contain_text(CITATION)
    expect(result).to_contain_text("本村 18 周岁以上村民的过半数")
    expect(result.locator("table.tally tr", has_text="同意")).to_contain_text("86")  # 85 on paper, 1 online
    expect(result.locator(".duplicates")).to_contain_text(voter.name)  # signed in and voted online: counted once

    # 5. the villager finds his ballot in the public ballot box by its receipt
    villager.goto(vote_url)
    expect(villager.locator("#result .verdict")).to_have_text("通过")
    expect(villager.locator("#result")).to_contain_text(CITATION)
    expect(villager.locator(".duplicates")).to_have_count(0)
    expect(villager.locator("ul.codes li.code", has_text=receipt)).to_have_count(1)  # receipts apart from choices
    villager.get_by_label("回执码", exact=True).fill(receipt.replace("-", "").lower())
    villager.get_by_role("button", name="查找").click()
    expect(villager.locator("#lookup")).to_contain_text(f"回执码 {receipt} 在票箱中：这张票已经计入")
    villager.get_by_label("回执码", exact=True).fill("AAAAA-BBBBB")
    villager.get_by_role("button", name="查找").click()
    expect(villager.locator("#lookup")).to_contain_text("没有找到这个回执码")
    villager.get_by_label("回执码", exact=True).fill(receipt)
    villager.get_by_role("button", name="查找").click()
    expect(villager.locator("#lookup [role=status]")).to_have_text(f"回执码 {receipt} 在票箱中：这张票已经计入。")
    _fits(villager, problems)
    villager.goto(vote_url)
    shot = tmp_path / "vote.png"
    villager.screenshot(path=str(shot), full_page=True)

    # the printable sheet: no menus, the result with its rule, lines to sign
    chair.get_by_role("link", name="打印结果（A4）").click()
    expect(chair.get_by_role("heading", name="表决结果")).to_be_visible()
    expect(chair.locator("main")).to_contain_text(CITATION)
    expect(chair.locator("main")).to_contain_text("记录人（签字）")
    expect(chair.locator(".village-nav")).to_have_count(0)
    _fits(chair, problems)
    assert not problems, "\n".join(problems)
