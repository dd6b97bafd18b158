"""朗读 in headless Chromium at a phone viewport: the button appears only with speech synthesis and
reads the page's title and text in Mandarin; without JavaScript the page is the same, with no button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RECORD = """
window.__spoken = [];
window.speechSynthesis.speak = function (u) { window.__spoken.push({text: u.text, lang: u.lang}); };
"""


def test_a_notice_is_read_aloud_in_mandarin(live_server, new_page):
    page = new_page()
    page.add_init_script(RECORD)
    page.goto("/v/xinghua/")
    page.locator("main a[href*='/notices/']").first.click()
    title = page.locator("main h1").inner_text()
    button = page.get_by_role("button", name="朗读")
    expect(button).to_be_visible()
    button.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken and spoken[0]["lang"] == "zh-CN" and spoken[0]["text"].startswith(title)


def test_without_javascript_there_is_no_button(live_server, browser):
    context = browser.new_context(java_script_enabled=False, base_url=live_server,
                                  viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.goto("/v/xinghua/")
    page.locator("main a[href*='/notices/']").first.click()
    expect(page.locator("main h1")).to_be_visible()
    expect(page.get_by_role("button", name="朗读")).to_have_count(0)  # hidden: not in the accessibility tree
    context.close()
