"""The three publications (三公开) on the web: the public notice board (the village home, no login),
the notice page (versions, difference, hash, attachments; objections for members), the A4 print
sheet with its QR code, the Atom feed; and for the people who run it: the working queue, the
drafting, edit and correction forms, review and publication, the objection inbox, and the township
monitors' dashboard.

Public pages (board, notice, print, feed, attachment downloads of published notices) show no
personal data and no objections. Post → redirect → flash on success; bad input re-shows the form
with what was typed; a refusal at the wrong moment is a flash on the notice page.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import segno
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.clock import utcnow
from app.config import Settings
from app.domain import notices as N
from app.domain import procedures as P
from app.domain.calendar import format_local, to_local
from app.domain.markdown import render as render_markdown
from app.domain.money import parse_yuan, yuan
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, VILLAGER
from app.models import Notice, Objection, Proposal, Village, VoteSession
from app.services import attachments, notices, places
from app.services.access import Actor, require
from app.services.errors import Forbidden, Invalid, NotFound, ServiceError
from routers.deps import current_actor, get_db, get_settings_dep, page_actor
from routers.templating import render
from routers.web.common import redirect
from routers.web.proposals import INLINE_TYPES, content_disposition

router = APIRouter()

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
PER_PAGE = 20
# the stages of every procedure in which a matter waits for its notice (公示, 决议公开, 实施结果公开)
NOTICE_STAGES = sorted({s.key for proc in P.PROCEDURES.values() for s in proc.stages if s.kind is P.Kind.NOTICE})
ALL_DRAFTERS = tuple(sorted({r for roles in N.DRAFTERS.values() for r in roles}))
INBOX_ROLES = (COMMITTEE, PARTY_COMMITTEE, SUPERVISOR)


# --- helpers ----------------------------------------------------------------------------------

def notice_url(village: Village, nid: int, tail: str = "") -> str:
    return f"/v/{village.slug}/notices/{nid}" + tail


def absolute(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


def load(db: Session, actor: Actor | None, slug: str, nid: int) -> tuple[Notice, Village]:
    """The notice through the service (published: everyone; else only the people handling it),
    and only under its own village."""
    village = places.get_village_by_slug(db, slug)
    notice, home = notices.get(db, actor, nid)
    if home.id != village.id:
        raise NotFound("找不到这份公开")
    return notice, village


def superseded_ids(db: Session, ids: list[int]) -> set[int]:
    """Which of these notices have a published correction (one query for a whole list)."""
    if not ids:
        return set()
    return set(db.execute(select(Notice.supersedes_id).where(
        Notice.supersedes_id.in_(ids), Notice.state.in_(notices.VISIBLE))).scalars())


def month_label(value: datetime | None) -> str:
    """"2026年10月", Beijing time."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local.year}年{local.month}月"


def date_label(value: datetime | None) -> str:
    """"2026年10月8日", Beijing time."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local.year}年{local.month}月{local.day}日"


def by_month(items: list[Notice]) -> list[dict]:
    groups: list[dict] = []
    for n in items:
        label = month_label(n.published_at)
        if not groups or groups[-1]["label"] != label:
            groups.append({"label": label, "items": []})
        groups[-1]["items"].append(n)
    return groups


def may_draft(actor: Actor | None, village: Village) -> list[str]:
    """The categories this person may draft in this village."""
    if actor is None:
        return []
    return [c for c in N.CATEGORIES if actor.has(village.id, *N.DRAFTERS[c])]


def window_ended(notice: Notice) -> bool:
    return notice.window_until is not None and utcnow() >= notice.window_until


def in_window(notice: Notice) -> bool:
    return notice.state == N.PUBLISHED and N.in_window(utcnow(), notice.window_from, notice.window_until)


def _field_errors(exc: ServiceError) -> dict[str, str]:
    out = {e.get("field", ""): e.get("message", "") for e in exc.errors}
    if exc.field:
        out.setdefault(exc.field, exc.detail)
    return out


def naming(notice: Notice) -> dict:
    """Names shown with a notice: its labels."""
    return {"category_name": N.CATEGORIES.get(notice.category, notice.category),
            "short": N.SHORT.get(notice.category, notice.category),
            "kind_name": N.KINDS.get(notice.kind, notice.kind),
            "state_name": N.STATE_NAMES.get(notice.state, notice.state)}


# --- the public board: the village home ---------------------------------------------------------

@router.get("/v/{slug}/")
def board(
    slug: str,
    request: Request,
    category: str | None = Query(default=None, max_length=20),
    page: int = Query(default=1, ge=1, le=100_000),
    db: Session = Depends(get_db),
    actor: Actor | None = Depends(current_actor),
):
    village = places.get_village_by_slug(db, slug)
    township = places.get_township(db, village.township_id)
    category = category if category in N.CATEGORIES else None
    result = notices.board(db, village, category, page=page, per_page=PER_PAGE)
    marked = superseded_ids(db, [n.id for n in result.current] + [n.id for n in result.archive.items])
    facts = places.facts(db, village.id)
    is_member = actor is not None and actor.is_member(village.id)
    return render(request, "home/village.html", {
        "village": village,
        "township": township,
        "facts": facts,
        "is_member": is_member,
        "my_roles": sorted(actor.roles) if is_member and actor else [],
        "category": category,
        "tabs": [(None, "全部"), *[(key, N.SHORT[key]) for key in N.CATEGORIES]],
        "current": result.current,
        "archive": result.archive,
        "page": result.archive,
        "months": by_month(result.archive.items),
        "superseded": marked,
        "short": N.SHORT,
        "kinds": N.KINDS,
        "query": f"category={category}&" if category else "",
    })


# --- the Atom feed ------------------------------------------------------------------------------

def rfc3339(value: datetime | None) -> str:
    value = value or utcnow()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/v/{slug}/feed.atom")
def feed(slug: str, request: Request, db: Session = Depends(get_db)):
    """Atom 1.0 (RFC 4287) of the village's published notices, newest first. Built with ElementTree,
    which escapes every piece of text."""
    village = places.get_village_by_slug(db, slug)
    items = notices.feed(db, village)
    board_url = absolute(request, f"/v/{village.slug}/")
    self_url = absolute(request, f"/v/{village.slug}/feed.atom")
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    sub(root, "id", board_url)
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
        sub(entry, "id", url)
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
def manage(slug: str, request: Request, db: Session = Depends(get_db),
           actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    queue = notices.work_queue(db, actor, village)
    return render(request, "notices/manage.html", {
        "village": village,
        "queue": queue,
        "sections": [("drafts", "草稿（待完成、待提交）"), ("review", "待审核（村务监督委员会）"),
                     ("publish", "审核通过，待发布"), ("close", "公示期已满，待办结")],
        "can_draft": bool(may_draft(actor, village)),
        "calendar": notices.calendar(db, village),
        "names": N.CATEGORIES,
        "short": N.SHORT,
        "kinds": N.KINDS,
        "state_names": N.STATE_NAMES,
    })


def _linkable_proposals(db: Session, village: Village) -> list[Proposal]:
    """The village's matters waiting for a notice (公示, 决议公开, 实施结果公开)."""
    return list(db.execute(select(Proposal).where(Proposal.village_id == village.id,
                                                  Proposal.state.in_(NOTICE_STAGES))
                           .order_by(Proposal.updated_at.desc()).limit(100)).scalars())


class NoticeForm:
    def __init__(
        self,
        category: str = Form(default="", max_length=20),
        title: str = Form(default="", max_length=500),
        body: str = Form(default="", max_length=60_000),
        days: str = Form(default=str(N.DEFAULT_DAYS), max_length=10),
        proposal_id: str = Form(default="", max_length=20),
        period: str = Form(default="", max_length=20),
    ):
        self.values = {"category": category, "title": title, "body": body, "days": days.strip(),
                       "proposal_id": proposal_id.strip(), "period": period.strip()}

    def days(self) -> int:
        text = self.values["days"]
        if not text.isdigit():
            raise Invalid("公示天数应为整数，例如 7", field="days")
        return int(text)

    def proposal(self) -> int | None:
        text = self.values["proposal_id"]
        if not text:
            return None
        if not text.isdigit():
            raise Invalid("请从列表中选择事项", field="proposal_id")
        return int(text)

    def period(self) -> str | None:
        return self.values["period"] or None

    def checked(self) -> tuple[int, int | None]:
        """Days and the linked matter, as numbers; raises Invalid naming every bad field (the title
        and body are checked with them, so one answer lists all that is wrong)."""
        errors: dict[str, str] = {}
        days = proposal_id = None
        try:
            days = self.days()
        except Invalid as exc:
            errors["days"] = exc.detail
        try:
            proposal_id = self.proposal()
        except Invalid as exc:
            errors["proposal_id"] = exc.detail
        if errors:
            v = self.values
            checks = N.check(v["category"] or N.VILLAGE, v["title"], v["body"], days or N.DEFAULT_DAYS)
            errors = {**checks, **errors}
            raise Invalid("；".join(errors.values()), errors=[{"field": k, "message": m} for k, m in errors.items()])
        assert days is not None
        return days, proposal_id


def _form(request: Request, db: Session, actor: Actor, village: Village, values: dict, *, mode: str,
          notice: Notice | None = None, error: str | None = None, errors: dict | None = None,
          status: int = 200) -> Response:
    """mode: "new" (any category the person may draft), "edit" (a draft), "revise" (a correction)."""
    return render(request, "notices/form.html", {
        "village": village,
        "notice": notice,
        "mode": mode,
        "values": values,
        "error": error,
        "errors": errors or {},
        "categories": [(c, N.CATEGORIES[c]) for c in may_draft(actor, village)],
        "proposals": _linkable_proposals(db, village) if mode == "new" else [],
        "max_days": N.MAX_DAYS,
        "title_max": N.TITLE_MAX,
        "category_name": N.CATEGORIES.get(notice.category, "") if notice else "",
    }, status_code=status)


def _refuse_form(exc: ServiceError) -> bool:
    """Errors shown as an error page (not in the form): not logged in, no right, out of scope."""
    return exc.status in (401, 403, 404)


@router.get("/v/{slug}/notices/new")
def new_form(slug: str, request: Request, category: str | None = Query(default=None, max_length=20),
             proposal_id: int | None = Query(default=None), db: Session = Depends(get_db),
             actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    allowed = may_draft(actor, village)
    if not allowed:
        require(actor, village, *ALL_DRAFTERS)  # 404 outside the village, 403 inside
        raise Forbidden("这项操作需要村委会、村党组织委员或报账员身份")
    values = {"category": category if category in allowed else (allowed[0] if len(allowed) == 1 else ""),
              "title": "", "body": "", "days": str(N.DEFAULT_DAYS),
              "proposal_id": str(proposal_id or ""), "period": ""}
    return _form(request, db, actor, village, values, mode="new")


@router.post("/v/{slug}/notices/new")
def create(slug: str, request: Request, form: NoticeForm = Depends(), db: Session = Depends(get_db),
           actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    if not may_draft(actor, village):
        require(actor, village, *ALL_DRAFTERS)
        raise Forbidden("这项操作需要村委会、村党组织委员或报账员身份")
    v = form.values
    try:
        days, proposal_id = form.checked()
        notice = notices.create(db, actor, village, category=v["category"], title=v["title"], body=v["body"],
                                days=days, proposal_id=proposal_id, period=form.period())
    except ServiceError as exc:
        if _refuse_form(exc):
            raise
        return _form(request, db, actor, village, v, mode="new", error=exc.detail, errors=_field_errors(exc),
                     status=exc.status)
    return redirect(request, notice_url(village, notice.id), _saved_message(notice))


def _saved_message(notice: Notice) -> str:
    if notice.category in N.NEEDS_REVIEW:
        return "草稿已保存。检查无误后点“提交审核”，村务监督委员会审核通过后才能发布"
    return "草稿已保存。检查无误后点“发布”"


# --- the notice page ----------------------------------------------------------------------------

@dataclass
class Staff:
    """What the viewer may do with this notice now (the service checks again)."""

    edit: bool = False
    submit: bool = False
    review: bool = False
    publish: bool = False
    correct: bool = False
    close: bool = False
    attach: bool = False
    reply: bool = False

    @property
    def any(self) -> bool:
        return any((self.edit, self.submit, self.review, self.publish, self.correct, self.close))


def staff_actions(actor: Actor | None, village: Village, notice: Notice, newer: Notice | None) -> Staff:
    if actor is None:
        return Staff()
    drafter = actor.has(village.id, *N.DRAFTERS[notice.category])
    publisher = actor.has(village.id, *N.PUBLISHERS[notice.category])
    reviewer = actor.has(village.id, SUPERVISOR)
    draft = notice.state == N.DRAFT
    ready = N.APPROVED if notice.category in N.NEEDS_REVIEW else N.DRAFT
    return Staff(
        edit=draft and drafter,
        submit=draft and drafter and notice.category in N.NEEDS_REVIEW,
        review=notice.state == N.SUBMITTED and reviewer,
        publish=notice.state == ready and publisher,
        correct=notice.state in notices.VISIBLE and newer is None and drafter,
        close=notice.state == N.PUBLISHED and window_ended(notice) and publisher,
        attach=draft and drafter,
        reply=publisher,
    )


def show(request: Request, db: Session, actor: Actor | None, notice: Notice, village: Village, *,
         error: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    """The notice page; a refused form shows `error` and what was typed (`values`) in place."""
    newer = notices.superseded_by(db, notice)
    older = db.get(Notice, notice.supersedes_id) if notice.supersedes_id else None
    published = notice.state in notices.VISIBLE
    member = actor is not None and actor.is_member(village.id)
    insider = actor is not None and (member or actor.is_admin or actor.monitors(village))
    proposal = db.get(Proposal, notice.proposal_id) if insider and notice.proposal_id else None
    vote = db.get(VoteSession, notice.vote_session_id) if insider and notice.vote_session_id else None
    staff = staff_actions(actor, village, notice, newer)
    return render(request, "notices/detail.html", {
        "village": village,
        "notice": notice,
        **naming(notice),
        "body_html": render_markdown(notice.body),
        "published": published,
        "in_window": in_window(notice),
        "window_ended": window_ended(notice),
        "newer": newer,
        "older": older,
        "title_changed": older is not None and older.title != notice.title,
        "diff": N.diff(older.body, notice.body) if older is not None else [],
        "versions": notices.versions(db, notice) if (older or newer) else [],
        "kinds": N.KINDS,
        "attachments": notices.attachments_of(db, notice),
        "max_mb": attachments.MAX_BYTES // (1024 * 1024),
        "insider": insider,
        "proposal": proposal,
        "vote": vote,
        "objections": notices.objections_for(db, actor, notice, village) if published else [],
        "can_object": member and actor is not None and VILLAGER in actor.roles and in_window(notice),
        "staff": staff,
        "error": error,
        "values": values or {},
    }, status_code=status)


@router.get("/v/{slug}/notices/{nid}")
def notice_page(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
                actor: Actor | None = Depends(current_actor)):
    notice, village = load(db, actor, slug, nid)
    return show(request, db, actor, notice, village)


def refused(request: Request, db: Session, actor: Actor, slug: str, nid: int, exc: ServiceError, values: dict,
            anchor: str = "") -> Response:
    """Bad input re-shows the notice page with what was typed; no right or out of scope is an error
    page; the wrong moment (409) is a flash on the notice page."""
    if exc.status in (401, 403, 404):
        raise exc
    notice, village = load(db, actor, slug, nid)
    if exc.status == 422:
        return show(request, db, actor, notice, village, error=exc.detail, values=values, status=422)
    return redirect(request, notice_url(village, nid, f"#{anchor}" if anchor else ""), exc.detail, "error")


# --- print sheet and files ----------------------------------------------------------------------

def qr_svg(url: str) -> str:
    """The QR code of the notice's online page as inline SVG (error correction M; 4-module border)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr", lineclass=None,
                                                title="扫码查看网上原文")
    return svg.replace("<svg ", '<svg role="img" aria-label="二维码：网上原文地址" ', 1)


@router.get("/v/{slug}/notices/{nid}/print")
def print_sheet(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
                actor: Actor | None = Depends(current_actor)):
    notice, village = load(db, actor, slug, nid)
    url = absolute(request, notice_url(village, notice.id))
    return render(request, "notices/print.html", {
        "village": village,
        "notice": notice,
        **naming(notice),
        "body_html": render_markdown(notice.body),
        "attachments": notices.attachments_of(db, notice),
        "newer": notices.superseded_by(db, notice),
        "published": notice.state in notices.VISIBLE,
        "url": url,
        "qr": qr_svg(url),
        "signed_on": date_label(notice.published_at),
        "printed_at": utcnow(),
    })


@router.get("/v/{slug}/notices/{nid}/attachments/{aid}")
def download(slug: str, nid: int, aid: int, request: Request, db: Session = Depends(get_db),
             settings: Settings = Depends(get_settings_dep), actor: Actor | None = Depends(current_actor)):
    """A notice's file: public once the notice is published, like the notice itself."""
    notice, village = load(db, actor, slug, nid)
    attachment, path = attachments.get_for_download(db, settings, actor, aid)
    if attachment.owner_type != "notice" or attachment.owner_id != notice.id or attachment.village_id != village.id:
        raise NotFound("找不到这个附件")
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": content_disposition(attachment.filename, attachment.content_type in INLINE_TYPES),
        "Cache-Control": "private, no-store",
    })


@router.post("/v/{slug}/notices/{nid}/attachments")
async def upload(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
                 settings: Settings = Depends(get_settings_dep), actor: Actor = Depends(page_actor)):
    form = await request.form()
    notice, village = await run_in_threadpool(load, db, actor, slug, nid)
    back = notice_url(village, nid, "#attachments")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect(request, back, "请选择要上传的文件", "error")
    data = await file.read(attachments.MAX_BYTES + 1)
    try:
        added = await run_in_threadpool(attachments.add, db, settings, actor, "notice", notice.id, file.filename,
                                        data)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        return redirect(request, back, exc.detail, "error")
    return redirect(request, back, f"已上传附件：{added.filename}")


# --- working on one notice ----------------------------------------------------------------------

@router.get("/v/{slug}/notices/{nid}/edit")
def edit_form(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
              actor: Actor = Depends(page_actor)):
    notice, village = load(db, actor, slug, nid)
    require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state != N.DRAFT:
        return redirect(request, notice_url(village, nid), "只有草稿可以修改；已发布的公开只能发更正", "error")
    values = {"title": notice.title, "body": notice.body, "days": str(notice.days)}
    return _form(request, db, actor, village, values, mode="edit", notice=notice)


@router.post("/v/{slug}/notices/{nid}/edit")
def edit(slug: str, nid: int, request: Request, form: NoticeForm = Depends(), db: Session = Depends(get_db),
         actor: Actor = Depends(page_actor)):
    notice, village = load(db, actor, slug, nid)
    v = form.values
    try:
        days, _ = form.checked()
        notices.edit(db, actor, notice.id, title=v["title"], body=v["body"], days=days)
    except ServiceError as exc:
        if _refuse_form(exc):
            raise
        if exc.status == 409:
            return redirect(request, notice_url(village, nid), exc.detail, "error")
        notice, village = load(db, actor, slug, nid)
        return _form(request, db, actor, village, v, mode="edit", notice=notice, error=exc.detail,
                     errors=_field_errors(exc), status=exc.status)
    return redirect(request, notice_url(village, nid), "草稿已保存")


@router.get("/v/{slug}/notices/{nid}/revise")
def revise_form(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
                actor: Actor = Depends(page_actor)):
    notice, village = load(db, actor, slug, nid)
    require(actor, village, *N.DRAFTERS[notice.category])
    if notice.state not in notices.VISIBLE:
        return redirect(request, notice_url(village, nid), "只有已发布的公开才能更正；草稿直接修改即可", "error")
    newer = notices.superseded_by(db, notice)
    if newer is not None:
        return redirect(request, notice_url(village, newer.id), "这份公开已经有更正版本了，请更正最新的版本", "error")
    values = {"title": notice.title, "body": notice.body, "days": str(notice.days)}
    return _form(request, db, actor, village, values, mode="revise", notice=notice)


@router.post("/v/{slug}/notices/{nid}/revise")
def revise(slug: str, nid: int, request: Request, form: NoticeForm = Depends(), db: Session = Depends(get_db),
           actor: Actor = Depends(page_actor)):
    notice, village = load(db, actor, slug, nid)
    v = form.values
    try:
        days, _ = form.checked()
        created = notices.correct(db, actor, notice.id, title=v["title"], body=v["body"], days=days)
    except ServiceError as exc:
        if _refuse_form(exc):
            raise
        if exc.status == 409:
            return redirect(request, notice_url(village, nid), exc.detail, "error")
        return _form(request, db, actor, village, v, mode="revise", notice=notice, error=exc.detail,
                     errors=_field_errors(exc), status=exc.status)
    return redirect(request, notice_url(village, created.id),
                    "更正草稿已保存。" + ("提交审核、通过后发布" if created.category in N.NEEDS_REVIEW else "发布")
                    + "后，原公开会标为“已更正”")


def _step(request: Request, db: Session, actor: Actor, slug: str, nid: int, act, message) -> Response:
    """One button on a notice: run the service step, then back to the notice with its message
    (`message` may be a function of the notice), or the refusal shown in place."""
    notice, village = load(db, actor, slug, nid)
    try:
        notice = act(db, actor, notice.id)
    except ServiceError as exc:
        return refused(request, db, actor, slug, nid, exc, {}, "actions")
    return redirect(request, notice_url(village, nid), message(notice) if callable(message) else message)


@router.post("/v/{slug}/notices/{nid}/submit")
def submit(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
           actor: Actor = Depends(page_actor)):
    return _step(request, db, actor, slug, nid, notices.submit, "已提交村务监督委员会审核")


@router.post("/v/{slug}/notices/{nid}/review")
def review(slug: str, nid: int, request: Request, decision: str = Form(default="", max_length=10),
           note: str = Form(default="", max_length=2000), db: Session = Depends(get_db),
           actor: Actor = Depends(page_actor)):
    notice, village = load(db, actor, slug, nid)
    values = {"form": "review", "decision": decision, "note": note}
    try:
        if decision not in ("approve", "return"):
            raise Invalid("请选择通过或退回", field="decision")
        notices.review(db, actor, notice.id, approve=decision == "approve", note=note)
    except ServiceError as exc:
        return refused(request, db, actor, slug, nid, exc, values, "actions")
    if decision == "approve":
        return redirect(request, notice_url(village, nid), "已审核通过，村委会可以发布了")
    return redirect(request, notice_url(village, nid), "已退回起草人修改，审核意见已记录")


@router.post("/v/{slug}/notices/{nid}/publish")
def publish(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
            actor: Actor = Depends(page_actor)):
    return _step(request, db, actor, slug, nid, notices.publish, lambda notice: (
        f"已发布，公示到 {format_local(notice.window_until)}。发布后内容不能再改，如有错误请发更正"))


@router.post("/v/{slug}/notices/{nid}/close")
def close(slug: str, nid: int, request: Request, db: Session = Depends(get_db),
          actor: Actor = Depends(page_actor)):
    return _step(request, db, actor, slug, nid, notices.close, "已办结")


# --- objections (质询) --------------------------------------------------------------------------

@router.post("/v/{slug}/notices/{nid}/objections")
def object_(slug: str, nid: int, request: Request, body: str = Form(default="", max_length=5000),
            db: Session = Depends(get_db), actor: Actor = Depends(page_actor)):
    notice, village = load(db, actor, slug, nid)
    try:
        objection = notices.raise_objection(db, actor, notice.id, body)
    except ServiceError as exc:
        return refused(request, db, actor, slug, nid, exc, {"form": "objection", "body": body}, "objections")
    return redirect(request, notice_url(village, nid, f"#o{objection.id}"),
                    f"质询已提交，村委会应在 {format_local(objection.due_at, '%Y-%m-%d')} 前答复")


@router.post("/v/{slug}/objections/{oid}/reply")
def reply(slug: str, oid: int, request: Request, body: str = Form(default="", max_length=6000),
          back: str = Form(default="notice", max_length=10), db: Session = Depends(get_db),
          actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    objection = db.get(Objection, oid)
    if objection is None or objection.village_id != village.id:
        raise NotFound("找不到这条质询")
    nid = objection.notice_id
    try:
        notices.reply(db, actor, oid, body)
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        values = {"form": "reply", "target": oid, "body": body}
        if exc.status == 422:
            if back == "inbox":
                return inbox_page(request, db, actor, village, open_only=True, page=1, error=exc.detail,
                                  values=values, status=422)
            notice, village = load(db, actor, slug, nid)
            return show(request, db, actor, notice, village, error=exc.detail, values=values, status=422)
        target = f"/v/{village.slug}/objections" if back == "inbox" else notice_url(village, nid, f"#o{oid}")
        return redirect(request, target, exc.detail, "error")
    if back == "inbox":
        return redirect(request, f"/v/{village.slug}/objections", "答复已发出，质询人会收到消息")
    return redirect(request, notice_url(village, nid, f"#o{oid}"), "答复已发出，质询人会收到消息")


def inbox_page(request: Request, db: Session, actor: Actor, village: Village, *, open_only: bool, page: int,
               error: str | None = None, values: dict | None = None, status: int = 200) -> Response:
    result = notices.inbox(db, actor, village, open_only=open_only, page=page, per_page=PER_PAGE)
    ids = [row.objection.notice_id for row in result.items]
    categories = dict(db.execute(select(Notice.id, Notice.category).where(Notice.id.in_(ids))).all()) if ids else {}
    may_reply = {nid for nid, cat in categories.items() if actor.has(village.id, *N.PUBLISHERS[cat])}
    return render(request, "notices/objections.html", {
        "village": village,
        "page": result,
        "open_only": open_only,
        "query": "" if open_only else "all=1&",
        "may_reply": may_reply,
        "error": error,
        "values": values or {},
    }, status_code=status)


@router.get("/v/{slug}/objections")
def objection_inbox(slug: str, request: Request, show_all: bool = Query(default=False, alias="all"),
                    page: int = Query(default=1, ge=1), db: Session = Depends(get_db),
                    actor: Actor = Depends(page_actor)):
    village = places.get_village_by_slug(db, slug)
    return inbox_page(request, db, actor, village, open_only=not show_all, page=page)


# --- the township monitors' dashboard -----------------------------------------------------------

@router.get("/townships/{tid}/dashboard")
def township_dashboard(tid: int, request: Request, db: Session = Depends(get_db),
                       actor: Actor = Depends(page_actor)):
    rows = notices.township_calendar(db, actor, tid)
    overdue = {v.id: n for v, n in notices.overdue_objections(db, actor, tid)}
    township = places.get_township(db, tid)
    villages = []
    for village, compliance in rows:
        villages.append({"village": village, "calendar": compliance, "overdue_objections": overdue.get(village.id, 0),
                         "late": any(c.overdue for c in compliance) or overdue.get(village.id, 0) > 0})
    return render(request, "notices/dashboard.html", {
        "township": township,
        "villages": villages,
        "late": sum(1 for v in villages if v["late"]),
        "rules": _rules_form(township.settings or {}),
    })


def _rules_form(rules: dict) -> dict[str, str]:
    """The township's rules as the form shows them: yuan for money, empty where villages decide."""
    cap = rules.get("per_capita_cap_fen")
    return {"per_capita_cap": yuan(cap).replace(",", "") if cap is not None else "",
            "labour_days_cap": str(rules.get("labour_days_cap", "")),
            "proxy_cap": str(rules.get("proxy_cap", ""))}


@router.post("/townships/{tid}/settings")
def township_settings(tid: int, request: Request, per_capita_cap: str = Form(default="", max_length=20),
                      labour_days_cap: str = Form(default="", max_length=10),
                      proxy_cap: str = Form(default="", max_length=10), db: Session = Depends(get_db),
                      actor: Actor = Depends(page_actor)):
    """The township's province rules for all its villages; an empty field hands it back to the villages."""
    try:
        try:
            cap = parse_yuan(per_capita_cap)
        except ValueError:
            raise Invalid("金额格式不对", field="per_capita_cap") from None
        places.update_township_settings(db, actor, tid, {
            "per_capita_cap_fen": cap, "labour_days_cap": labour_days_cap.strip() or None,
            "proxy_cap": proxy_cap.strip() or None})
    except ServiceError as exc:
        if exc.status in (401, 403, 404):
            raise
        return redirect(request, f"/townships/{tid}/dashboard#rules", exc.detail, "error")
    return redirect(request, f"/townships/{tid}/dashboard#rules", "已保存，本乡镇各村按此执行")
