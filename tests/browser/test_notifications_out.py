"""Notifications that leave the site, in headless Chromium on a phone (390x844), on both engines.

A villager of the demo's 杏花村 (the test's own, added by 李建国 through the API) opens 消息 → 通知设置 on
their phone, turns on e-mail with their address; 李建国 publishes a party notice; the timed jobs run as
cron runs them (`cunyi jobs run-due --job fanout`, then `--job deliver`); the mail arrives at a real
local SMTP server (aiosmtpd), and the villager's 消息 page shows the same message.

The server here is this module's own: the demo county like the shared one, with e-mail configured
(CUNYI_SMTP_* pointing at the local SMTP server) and the in-process scheduler off, so the test runs
the jobs itself, when it chooses.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _cunyi, demo_server
from tests.browser.people import CHAIR, FRESH_PASSWORD, api_as, my_village, new_villager
from tests.browser.test_journeys import flash, login
from tests.conftest import ENGINES
from tests.outside import SmtpInbox, body_of

pytestmark = pytest.mark.browser

SERVERS: dict[str, dict[str, str]] = {}  # base URL → the server's environment (to run its jobs)


@pytest.fixture(scope="module")
def inbox() -> Iterator[SmtpInbox]:
    server = SmtpInbox().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=ENGINES)
def live_server(request, tmp_path_factory, inbox) -> Iterator[str]:
    """This module's demo server, with e-mail going to the local SMTP server and no scheduler."""
    mail = {"CUNYI_SMTP_HOST": "127.0.0.1", "CUNYI_SMTP_PORT": str(inbox.port), "CUNYI_SMTP_STARTTLS": "false",
            "CUNYI_SMTP_FROM": "cunyi@example.cn", "CUNYI_SCHEDULER": "false"}
    with demo_server(request.param, tmp_path_factory.mktemp(f"live-mail-{request.param}"), mail) as (base_url, env):
        SERVERS[base_url] = env
        yield base_url


def run_job(base_url: str, name: str) -> None:
    _cunyi("jobs", "run-due", "--job", name, env=SERVERS[base_url])


def wait_for_mail(inbox: SmtpInbox, address: str, subject: str, seconds: float = 10.0):
    """The mails to `address` with this subject, once at least one has arrived (or none after `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [m for m in inbox.to(address) if m["Subject"] == subject]
        if found:
            return found
        time.sleep(0.1)
    return []


def test_a_villager_turns_on_email_and_a_published_notice_reaches_their_mailbox(live_server, new_page, inbox):
    tag = secrets.token_hex(2)
    title = f"第四季度党员活动安排（{tag}）"
    villager = new_villager(live_server, surname="邮")
    address = f"you{villager.user_id}-{tag}@example.com"

    # 1. on their phone: 消息 → 通知设置 → e-mail on, with an address
    page = new_page()
    login(page, villager.phone, FRESH_PASSWORD)
    page.goto("/me/notifications")
    expect(page.get_by_role("heading", name="我的消息", level=1)).to_be_visible()
    page.get_by_role("link", name="通知设置：短信、邮件、每日汇总").click()
    expect(page.get_by_role("heading", name="通知设置", level=1)).to_be_visible()
    expect(page.get_by_text("短信通知暂未开通")).to_be_visible()  # no access key on this server
    page.get_by_label("邮件：每条消息发一封邮件").check()
    page.get_by_label("邮箱地址（选了邮件或每日汇总时要填）").fill("not-an-address")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-error")).to_contain_text("邮箱地址格式不对")
    page.get_by_label("邮箱地址（选了邮件或每日汇总时要填）").fill(address)
    page.get_by_role("button", name="保存").click()
    expect(flash(page)).to_contain_text("通知设置已保存")
    expect(page.get_by_label("邮件：每条消息发一封邮件")).to_be_checked()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the settings page is {width}px wide on a 390px phone"

    # 2. 李建国 publishes a party notice (the party committee publishes directly)
    with api_as(live_server, CHAIR) as api:
        vid = my_village(api)
        r = api.post(f"/villages/{vid}/notices", json={"category": "party", "title": title,
                                                        "body": "每月第一个周六上午，村委会议室。", "days": 7})
        assert r.status_code == 201, r.text
        r = api.post(f"/notices/{r.json()['id']}/publish")
        assert r.status_code == 200, r.text
    assert inbox.to(address) == []  # nothing leaves from a request

    # 3. the timed jobs, as cron runs them: the fan-out, then the outbox
    run_job(live_server, "fanout")
    run_job(live_server, "deliver")
    subject = f"村议消息：杏花村发布了党务公开：《{title}》"
    mails = wait_for_mail(inbox, address, subject)
    assert len(mails) == 1, [m["Subject"] for m in inbox.to(address)]
    assert "每月" not in body_of(mails[0]) and "请登录村议查看" in body_of(mails[0])  # the message, not the notice

    # 4. the same message under 消息
    page.goto("/me/notifications")
    expect(page.locator("ul.notifications")).to_contain_text(f"杏花村发布了党务公开：《{title}》")
    sent = len(inbox.to(address))
    run_job(live_server, "fanout")  # a second run of each sends nothing again
    run_job(live_server, "deliver")
    assert len(inbox.to(address)) == sent
    # the demo's notices of long ago are no news: none of them reached the new villager's mailbox
    assert all("低保户" not in m["Subject"] and "第一季度" not in m["Subject"] for m in inbox.to(address))
