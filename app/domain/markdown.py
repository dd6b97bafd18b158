"""Markdown written by villagers and clerks, rendered to HTML that is safe to show.

markdown-it-py renders CommonMark (raw HTML in the source is not passed through); nh3 (Ammonia)
then keeps only a small allow-list of tags, so nothing a user writes can run script or restyle
the page. Links get rel="noopener noreferrer nofollow".
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")

TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h2", "h3", "h4",
    "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render(text: str | None) -> str:
    html = _md.render(text or "")
    # Headings in user text start at h2: the page's own title is the only h1.
    for level in (3, 2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(f"</h{level}>", f"</h{level + 1}>")
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")
