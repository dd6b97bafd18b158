"""Markdown written by villagers and clerks, rendered to HTML that is safe to show.

markdown-it-py renders CommonMark (raw HTML in the source is not passed through); nh3 (Ammonia)
then keeps only a small allow-list of tags, so nothing a user writes can run script or restyle
the page. Links get rel="noopener noreferrer nofollow".

Proposal and comment bodies keep this HTML beside their text, rendered when they are written
(`body_html`, `body_html_version`). `VERSION` names the renderer: bump it whenever what `render`
returns may change — the Markdown options, the heading shift, the sanitiser's tags, attributes or
URL schemes, or an upgrade of markdown-it-py or nh3 that changes their output
(tests/unit/test_markdown_version.py pins the output of each version). Rows of an older version
are shown rendered afresh (`current_html`) until the scheduled refresh
(`services/rendering.refresh_stale`) stores them again.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

VERSION = 2  # 2: tables come in their scrolling box (TABLE_BOX)

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")

TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h2", "h3", "h4",
    "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
# A table may be wider than a phone: each comes in a box that scrolls sideways and that the keyboard can
# reach (tabindex="0", a named region: axe's scrollable-region-focusable, WCAG 2.1.1). Added after the
# sanitiser, which writes <table> with no attributes and a "<" in text as "&lt;": only real tables match.
TABLE_BOX = '<div class="table-scroll" tabindex="0" role="region" aria-label="表格，可左右滑动"><table>'


def render(text: str | None) -> str:
    html = _md.render(text or "")
    # Headings in user text start at h2: the page's own title is the only h1.
    for level in (3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(f"</h{level}>", f"</h{level + 1}>")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return clean.replace("<table>", TABLE_BOX).replace("</table>", "</table></div>")


def current_html(text: str | None, stored: str | None, version: int | None) -> str:
    """The HTML to show for `text`: what was stored with it when this renderer (`VERSION`) made it,
    else rendered now (a row written before stored HTML, or by an older renderer)."""
    if stored is not None and version == VERSION:
        return stored
    return render(text)
