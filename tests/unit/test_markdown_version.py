"""The renderer's version (`markdown.VERSION`) and the choice between stored and fresh HTML.

Stored HTML is trusted as long as it carries the current `VERSION`, so the renderer's output must
not change without a new version. `OUTPUTS` pins, per version, a digest of what it makes of a
corpus that touches every rule (Markdown, headings moved down, the sanitiser's tags, attributes and
URL schemes). If this test fails after a change to the renderer, its policy or an upgrade of
markdown-it-py or nh3, bump `VERSION` and add its digest here; stored rows are then re-rendered
by `services/rendering.refresh_stale` and shown rendered afresh until they are.
"""

from __future__ import annotations

import hashlib

import pytest

from app.domain import markdown
from app.domain.markdown import VERSION, current_html, render

CORPUS = [
    "",
    "**粗**和*斜*，`代码`",
    "# 一级\n## 二级\n### 三级\n#### 四级",
    "第一行\n第二行\n\n另起一段",
    "- 一\n- 二\n\n1. 甲\n2. 乙",
    "> 引用\n\n---\n\n```\n代码块 <b>\n```",
    "| 项目 | 金额 |\n|:--|--:|\n| 水泥 | 100 |",
    "[镇政府](https://example.cn/a?b=1 \"标题\") [邮件](mailto:a@example.cn) [坏](javascript:alert(1))",
    "<script>alert(1)</script><img src=x onerror=alert(1)><b onclick=x>粗</b>",
    "<a href=\"https://example.cn\" style=\"color:red\">链接</a>",
    "![图](https://example.cn/x.png)",
]
OUTPUTS = {
    1: "a7b81de5421c85fb7c61ba1eca9d00854b6f1391bec19419f2b9c363fe4f499f",
    2: "1b034262faaf6110607b0b0b0b9d0396efdde65b2cd5493421e00f257abbf9cc",  # tables in their scrolling box
}


def corpus_digest() -> str:
    return hashlib.sha256("\x00".join(render(text) for text in CORPUS).encode()).hexdigest()


def test_the_renderers_output_is_pinned_to_its_version():
    assert VERSION in OUTPUTS, f"no pinned output for renderer version {VERSION}"
    assert corpus_digest() == OUTPUTS[VERSION], (
        "the renderer's output changed: bump markdown.VERSION and pin the new digest "
        f"({corpus_digest()}) in OUTPUTS")


@pytest.mark.parametrize(("text", "expected"), [
    ("**粗**", "<p><strong>粗</strong></p>\n"),
    ("# 标题", "<h2>标题</h2>\n"),  # the page's own title is the only h1
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
    ("[坏](javascript:alert(1))", "<p>[坏](javascript:alert(1))</p>\n"),
    ("[好](https://example.cn)",
     '<p><a href="https://example.cn" rel="noopener noreferrer nofollow">好</a></p>\n'),
    (None, ""),
    ("| 项 | 元 |\n|--|--|\n| 水泥 | 100 |",  # a table scrolls sideways in a named, focusable box
     '<div class="table-scroll" tabindex="0" role="region" aria-label="表格，可左右滑动"><table>\n<thead>\n'
     "<tr>\n<th>项</th>\n<th>元</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>水泥</td>\n<td>100</td>\n</tr>\n"
     "</tbody>\n</table></div>\n"),
    ("a &lt;table&gt; b", "<p>a &lt;table&gt; b</p>\n"),  # the word in text is no table
])
def test_render(text, expected):
    assert render(text) == expected


@pytest.mark.parametrize(("stored", "version", "shown"), [
    ("<p>存的</p>", VERSION, "<p>存的</p>"),  # current: the stored HTML, as it is
    ("<p>存的</p>", VERSION - 1, "<p><strong>新</strong></p>\n"),  # an older renderer's: rendered now
    ("<p>存的</p>", VERSION + 1, "<p><strong>新</strong></p>\n"),  # a newer one's (during an upgrade)
    (None, None, "<p><strong>新</strong></p>\n"),  # written before HTML was stored
    (None, VERSION, "<p><strong>新</strong></p>\n"),  # a version without HTML is not trusted
])
def test_current_html_uses_stored_html_only_of_this_version(stored, version, shown):
    assert current_html("**新**", stored, version) == shown


def test_the_sanitiser_policy_is_what_the_version_pins():
    # the allow-list the digest above covers: no images, no inline style, no event handlers
    assert "img" not in markdown.TAGS and "style" not in set().union(*markdown.ATTRIBUTES.values())
    assert {"http", "https", "mailto"} == markdown.URL_SCHEMES
