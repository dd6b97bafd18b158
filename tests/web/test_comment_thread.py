"""The comment thread's HTML (routers/web/comment_thread.py), branch by branch, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from app.services.comments import CommentView
from routers.web.comment_thread import NONE_YET, comment_thread

BASE = CommentView(
    id=41, proposal_id=7, parent_id=None, depth=2, indent=2, author_id=5, author_name="王<b>&大",
    body="先修东头", body_html="<p>先修<strong>东头</strong></p>", hidden=False, hidden_reason=None, hidden_at=None,
    created_at=datetime(2026, 4, 30, 16, 30), edited_at=None, versions=0, reports=0,
)
NAME = "王&lt;b&gt;&amp;大"


def html(**changes) -> str:
    return str(comment_thread([replace(BASE, **changes)], "xinghua"))


def test_an_empty_thread_says_so():
    assert str(comment_thread([], "xinghua")) == NONE_YET


def test_a_comment_shows_its_author_escaped_its_beijing_time_and_its_body():
    page = html()
    assert '<article class="comment indent-2" id="c41">' in page
    assert f"<strong>{NAME}</strong>" in page and "<b>" not in page
    # 16:30 UTC on 30 April is 00:30 on 1 May in Beijing
    assert '<time datetime="2026-05-01T00:30">2026-05-01 00:30</time>' in page
    assert '<div class="prose"><p>先修<strong>东头</strong></p></div>' in page
    assert "comment-actions" not in page and "已编辑" not in page and "被举报" not in page


@pytest.mark.parametrize(("flags", "links"), [
    ({"can_reply": True, "can_report": True}, ["reply", "report"]),
    ({"can_reply": True, "can_edit": True}, ["reply", "edit"]),
    ({"can_hide": True}, ["hide"]),
    ({"can_reply": True, "can_edit": True, "can_report": True, "can_hide": True}, ["reply", "edit", "report", "hide"]),
])
def test_only_the_actions_this_viewer_may_take_are_linked(flags, links):
    page = html(**flags)
    found = [a for a in ("reply", "edit", "report", "hide") if f'href="/v/xinghua/comments/41/{a}"' in page]
    assert found == links
    assert page.count('<p class="comment-actions">') == 1
    if "reply" in links:
        assert f'aria-label="回复 {NAME}"' in page
    if "report" in links:
        assert f'aria-label="举报 {NAME} 的意见"' in page


def test_an_edited_comment_links_its_versions_unless_its_text_is_withheld():
    assert '<a href="/v/xinghua/comments/41/versions">已编辑</a>' in html(versions=2)
    withheld = html(versions=2, hidden=True, hidden_reason="广告", body=None, body_html="")
    assert '<span class="muted">已编辑</span>' in withheld and "/versions" not in withheld


def test_a_hidden_comment_shows_the_reason_and_only_those_who_may_see_it_get_the_text():
    villager = html(hidden=True, hidden_reason="<广告>", body=None, body_html="")
    assert 'class="comment indent-2 is-hidden"' in villager
    assert '<p class="hidden-note">此评论已被村委会隐藏，理由：&lt;广告&gt;</p>' in villager
    assert "先修" not in villager and "<details" not in villager and 'class="prose"' not in villager
    committee = html(hidden=True, hidden_reason="广告")
    assert '<details class="quiet"><summary>查看原文（只有村委会、监委会和乡镇看得到）</summary>' in committee
    assert '<div class="prose"><p>先修<strong>东头</strong></p></div></details>' in committee


def test_reports_and_the_assisted_mark_are_tags():
    page = html(reports=3, assisted="由李<委>代录、赵委员确认")
    assert '<span class="tag">被举报 3 次</span>' in page
    assert '<span class="tag assisted-mark">由李&lt;委&gt;代录、赵委员确认</span>' in page


def test_comments_come_out_in_the_order_given():
    page = str(comment_thread([replace(BASE, id=3), replace(BASE, id=1, indent=0)], "xinghua"))
    assert page.index('id="c3"') < page.index('id="c1"') and '<article class="comment indent-0" id="c1">' in page
