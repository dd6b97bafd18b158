"""The notice board on the web: the village home (the public board, no login: notices in their window,
then the archive by month), its Atom feed, and the working page of the people who run it (the queue
and the publication calendar). The notice pages: routers/web/notices.py.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from app.clock import local_today, utcnow
from app.domain import notices as N
from app.domain.calendar import format_local, to_local
from app.domain.markdown import render as render_markdown
from app.services import board, places, seals
from routers.deps import CurrentActor, DbSession, PageActor, PageNo
from routers.templating import render
from routers.web.caching import revalidated
from routers.web.common import absolute
from routers.web.notices import notice_url, qr_svg

router = APIRouter()

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
PER_PAGE = 20


def month_label(value: datetime | None) -> str:
    """"2026年10月", Beijing time."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local.year}年{local.month}月"


def by_month(items: list) -> list[dict]:
    groups: list[dict] = []
    for n in items:
        label = month_label(n.published_at)
        if not groups or groups[-1]["label"] != label:
            groups.append({"label": label, "items": []})
        groups[-1]["items"].append(n)
    return groups


# --- the public board: the village home ---------------------------------------------------------

@router.get("/v/{slug}/")
def board_page(
    slug: str,
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    category: str | None = Query(default=None, max_length=20),
    page: PageNo = 1,
):
    village = places.get_village_by_slug(db, slug)
    category = category if category in N.CATEGORIES else None
    return revalidated(request, actor, lambda: board.publication_stamp(db, village, "board", category, page),
                       lambda: _board_page(request, db, actor, village, category, page))


def _board_page(request: Request, db: DbSession, actor, village, category: str | None, page: int):
    view = board.board_view(db, actor, village, category, page=page, per_page=PER_PAGE)
    return render(request, "home/village.html", {
        "village": village,
        "township": view.township,
        "facts": view.facts,
        "is_member": view.is_member,
        "my_roles": view.my_roles,
        "category": category,
        "tabs": [(None, "全部"), *[(key, N.SHORT[key]) for key in N.CATEGORIES]],
        "current": view.current,
        "archive": view.archive,
        "page": view.archive,
        "months": by_month(view.archive.items),
        "superseded": view.superseded,
        "short": N.SHORT,
        "kinds": N.KINDS,
        "query": f"category={category}&" if category else "",
        "seal": seals.latest_for(db, village),
        "export_from": local_today().replace(month=1).strftime("%Y-%m"),
        "export_to": local_today().strftime("%Y-%m"),
    })


# --- the Atom feed ------------------------------------------------------------------------------

def rfc3339(value: datetime | None) -> str:
    value = value or utcnow()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_id(key: str) -> str:
    """A permanent Atom id (RFC 4287 §4.2.6): a name-based UUID of the village or the notice."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"cunyi:{key}").urn


@router.get("/v/{slug}/subscribe")
def subscribe(slug: str, request: Request, db: DbSession):
    """A page a person can read: how to follow the board, with the feed's address and its QR code."""
    village = places.get_village_by_slug(db, slug)
    url = absolute(request, f"/v/{village.slug}/feed.atom")
    return render(request, "home/subscribe.html", {"village": village, "url": url, "qr": qr_svg(url)})


@router.get("/v/{slug}/feed.atom")
def feed(slug: str, request: Request, db: DbSession):
    """Atom 1.0 (RFC 4287) of the village's published notices, newest first. Built with ElementTree,
    which escapes every piece of text. The same for everyone: always validated and publicly cacheable."""
    village = places.get_village_by_slug(db, slug)
    return revalidated(request, None, lambda: board.publication_stamp(db, village, "feed", absolute(request, "/")),
                       lambda: _feed(request, db, village))


def _feed(request: Request, db: DbSession, village) -> Response:
    items = board.feed(db, village)
    board_url = absolute(request, f"/v/{village.slug}/")
    self_url = absolute(request, f"/v/{village.slug}/feed.atom")
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    sub(root, "id", atom_id(f"village:{village.id}"))  # ids never change with the host or the address
    sub(root, "title", f"{village.name}公开栏")
    sub(root, "subtitle", "党务、村务、财务公开")
    sub(root, "updated", rfc3339(items[0].published_at if items else village.created_at))
    sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(root, "link", rel="alternate", type="text/html", href=board_url)
    author = sub(root, "author")
    sub(author, "name", f"{village.name}村民委员会")
    sub(root, "generator", "村议")
    for n in items:
        url = absolute(request, notice_url(village, n.id))
        entry = sub(root, "entry")
        sub(entry, "id", atom_id(f"notice:{n.id}"))
        sub(entry, "title", n.title)
        sub(entry, "updated", rfc3339(n.published_at))
        sub(entry, "published", rfc3339(n.published_at))
        sub(entry, "link", rel="alternate", type="text/html", href=url)
        sub(entry, "category", term=n.category, label=N.CATEGORIES.get(n.category, n.category))
        window = f"公示期：{format_local(n.window_from)} 至 {format_local(n.window_until)}（北京时间）"
        sub(entry, "summary", f"{N.CATEGORIES.get(n.category, '')} · {N.KINDS.get(n.kind, '')} · {window}")
        html = render_markdown(n.body) + f"<p>内容指纹（SHA-256）：{n.content_hash or ''}</p>"
        sub(entry, "content", html, type="html")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=ATOM_TYPE)


# --- the working queue, new notices -------------------------------------------------------------

@router.get("/v/{slug}/notices/manage")
def manage(slug: str, request: Request, db: DbSession, actor: PageActor):
    village = places.get_village_by_slug(db, slug)
    view = board.manage_view(db, actor, village)
    return render(request, "notices/manage.html", {
        "village": village,
        "queue": view.queue,
        "sections": [("drafts", "草稿（待完成、待提交）"), ("review", "待审核（村务监督委员会）"),
                     ("publish", "审核通过，待发布"), ("close", "公示期已满，待办结")],
        "can_draft": view.can_draft,
        "calendar": view.calendar,
        "names": N.CATEGORIES,
        "short": N.SHORT,
        "kinds": N.KINDS,
        "state_names": N.STATE_NAMES,
    })


