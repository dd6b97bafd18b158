"""Assisted participation (代办, issue 12 item 3) in headless Chromium on phones (390 x 844), on both
engines, against the live demo server.

A villager of 杏花村 without a phone (the test's own, added by 李建国 through the API and never
activated) signed the paper co-sign sheet of 修建村东头便民桥, the matter gathering co-signs.
李建国 (13800000001) follows "为不会用手机的村民代录纸质联署" from the matter's page, picks the villager
(offered first, as one without an account), uploads the photo of the sheet and records it; it waits.
王秀英 (13800000002) opens 代录 from the village's menu and confirms it; the matter's page then shows
the villager's paper co-sign "由李建国代录、王秀英确认", counted. When the villager is given an account
and logs in for the first time, 我的待办 says there is a message, and 消息 tells what was recorded and
who confirmed it. axe-core finds no WCAG 2.1 AA violation on the pages visited.

The villager is the test's own, so the journey runs twice in a session: the matter gains one
co-signature a run (9 of 16 in the demo), never enough to leave its co-sign stage.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.people import CHAIR, FRESH_PASSWORD, activate, activation_code, api_as, new_villager
from tests.browser.test_accessibility import Audit
from tests.browser.test_journeys import flash, login
from tests.factories import png

pytestmark = pytest.mark.browser

CLERK = "13800000002"  # 王秀英, the committee's clerk
MATTER = "修建村东头便民桥"
MARK = "由李建国代录、王秀英确认"


def test_a_paper_cosign_recorded_for_a_villager_without_a_phone(live_server, new_page, tmp_path: Path):
    elder = new_villager(live_server, surname="孙", activated=False)
    sheet = tmp_path / "联署单.png"
    sheet.write_bytes(png())

    # 李建国 records the paper co-sign from the matter's page
    chair = new_page()
    login(chair, CHAIR)
    chair.goto("/v/xinghua/proposals?state=cosign")
    chair.get_by_role("link", name=MATTER).click()
    expect(chair.locator("#cosign")).to_contain_text("已联署")
    before = int(re.search(r"已联署 (\d+)", chair.locator("#cosign").inner_text()).group(1))
    chair.get_by_role("link", name="为不会用手机的村民代录纸质联署").click()
    expect(chair).to_have_url(re.compile(r"/v/xinghua/assisted\?kind=cosign&target=\d+#record-cosign$"))
    form = chair.locator("#record-cosign")
    expect(form.get_by_label("联署哪个事项")).to_have_value(re.compile(r"\d+"))
    expect(form.get_by_label("联署哪个事项").locator("option:checked")).to_have_text(MATTER)
    people = form.get_by_label("替哪位村民代录")
    label = people.locator(f'option[value="{elder.user_id}"]').inner_text()
    assert label.startswith(elder.name) and "未激活" in label
    people.select_option(str(elder.user_id))
    form.get_by_label("村民签字的联署单（扫描件或照片）").set_input_files(str(sheet))
    audit = Audit(chair)
    audit.check()
    form.get_by_role("button", name="录入，等待确认").click()
    expect(flash(chair)).to_contain_text("已录入。须由另一名村委会成员核对确认后才计入")
    record = chair.locator("article.assisted", has_text=elder.name)
    expect(record).to_contain_text("待确认")
    expect(record.get_by_role("button", name="核对无误，确认")).to_have_count(0)  # not the recorder's to confirm

    # 王秀英 confirms it from the village's menu
    clerk = new_page()
    login(clerk, CLERK)
    clerk.goto("/v/xinghua/")
    clerk.locator(".village-nav").get_by_role("link", name="代录").click()
    record = clerk.locator("article.assisted", has_text=elder.name)
    expect(record).to_contain_text(MATTER)
    expect(record.get_by_role("link", name="联署单")).to_be_visible()
    clerk_audit = Audit(clerk)
    clerk_audit.check()
    record.get_by_role("button", name="核对无误，确认").click()
    expect(flash(clerk)).to_contain_text("已确认，纸质联署已经计入")
    expect(clerk.locator("article.assisted", has_text=elder.name)).to_contain_text(MARK)

    # the matter's page shows it, counted
    clerk.get_by_role("link", name=f"《{MATTER}》").first.click()
    expect(clerk.locator("#paper-cosigns")).to_contain_text(f"{elder.name}：{MARK}")
    expect(clerk.locator("#cosign")).to_contain_text(f"已联署 {before + 1}")
    clerk_audit.check()

    # the villager gets an account later: at the first login, the message is waiting
    with api_as(live_server, CHAIR) as api:
        code = activation_code(api, elder.village_id, {"member": {"user_id": elder.user_id}})
    activate(live_server, elder.phone, code)
    villager = new_page()
    login(villager, elder.phone, FRESH_PASSWORD)
    expect(villager).to_have_url(re.compile(r"/me$"))
    villager.get_by_role("link", name=re.compile(r"您有 \d+ 条未读消息")).click()
    expect(villager.locator("main")).to_contain_text(f"村委会李建国为你代录的纸质联署（《{MATTER}》）已由王秀英确认")

    audit.assert_clean(at_least=1)
    clerk_audit.assert_clean(at_least=2)
