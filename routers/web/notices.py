"""The three publications (三公开) on the web: the notice page (versions, difference, hash,
attachments; objections for members), the A4 print sheet with its QR code, attachment downloads;
and for the people who run it: the drafting, edit and correction forms, review and publication.
The board, its feed and the working queue: routers/web/board.py; objections and their inbox:
routers/web/objections.py; the township's dashboard: routers/web/townships.py.

Public pages (notice, print, attachment downloads of published notices) show no personal data and
no objections; the one name they carry is the supervisory committee member who approved the notice,
an act of that office. Post → redirect → flash on success; bad input re-shows the form
with what was typed; a refusal at the wrong moment is a flash on the notice page (routers/web/forms.py).
What a viewer may do is `notices.capabilities`, the same for the page and the API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import segno
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.clock import local_today, utcnow
from app.domain import notices as N
from app.domain import rulebook
from app.domain.bounds import id_or_none
from app.domain.calendar import format_local, to_local
from app.services import attachments, board, notice_views, notices, places, seals
from app.services.access import Actor
from app.services.errors import Conflict, Invalid, ServiceError, invalid_fields
from routers.deps import CurrentActor, DbSession, PageActor, QueryId, SettingsDep
from routers.templating import render
from routers.web.attachments import INLINE_TYPES, content_disposition
from routers.web.caching import revalidated
from routers.web.common import absolute, redirect
from routers.web.forms import field_errors, refused

router = APIRouter()


# --- helpers ----------------------------------------------------------------------------------

def notice_url(village, nid: int, tail: str = "") -> str:
    return f"/v/{village.slug}/notices/{nid}" + tail



def load(db: DbSession, actor: Actor | None, slug: str, nid: int):
    """The notice through the service (published: everyone; else only the people handling it),
    and only under its own village."""
    village = places.get_village_by_slug(db, slug)
    return notices.get_in(db, actor, village, nid), village


def offered_days(notice) -> int:
    """The days a form offers for an existing notice: its own, raised to today's floor of the law."""
    return N.publish_days(notice.category, notice.days, local_today())


def date_label(value: datetime | None) -> str:
    """"2026年10月8日", Beijing time."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local.year}年{local.month}月{local.day}日"


def naming(notice) -> dict:
    """Names shown with a notice: its labels."""
    return {"category_name": N.CATEGORIES.get(notice.category, notice.category),
            "short": N.SHORT.get(notice.category, notice.category),
            "kind_name": N.KINDS.get(notice.kind, notice.kind),
            "state_name": N.STATE_NAMES.get(notice.state, notice.state)}


def notice_stamp(db: DbSession, slug: str, nid: int, *parts: object) -> Callable[[], str | None]:
    def stamp() -> str | None:
        village = places.get_village_by_slug(db, slug)
        return board.publication_stamp(db, village, *parts, notice_id=nid)
    return stamp


# --- new notices ----------------------------------------------------------------------------------

class NoticeForm:
    def __init__(
        self,
        category: str = Form(default="", max_length=20),
        title: str = Form(default="", max_length=500),
        body: str = Form(default="", max_length=60_000),
        days: str = Form(default="", max_length=10),
        proposal_id: str = Form(default="", max_length=20),
        period: str = Form(default="", max_length=20),
    ):
        self.values = {"category": category, "title": title, "body": body, "days": days.strip(),
                       "proposal_id": proposal_id.strip(), "period": period.strip()}

    def days(self) -> int | None:
        """The days typed; None when left out (the service takes the category's default for today)."""
        text = self.values["days"]
        if not text:
            return None
        if not text.isdigit():
            raise Invalid("公示天数应为整数，例如 15", field="days")
        return int(text)

    def proposal(self) -> int | None:
        text = self.values["proposal_id"]
        if not text:
            return None
        if id_or_none(text) is None:
            raise Invalid("请从列表中选择事项", field="proposal_id")
        return int(text)

    def period(self) -> str | None:
        return self.values["period"] or None

    def checked(self) -> tuple[int | None, int | None]:
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
            category = v["category"] or N.VILLAGE
            today = local_today()
            checks = N.check(category, v["title"], v["body"], days or N.default_days(category, today), today)
            errors = {**checks, **errors}
            raise invalid_fields(errors)
        return days, proposal_id


def _form(request: Request, db: DbSession, actor: Actor, village, values: dict, *, mode: str,
          notice=None, error: str | None = None, errors: dict | None = None, status: int = 200) -> Response:
    """mode: "new" (any category the person may draft), "edit" (a draft), "revise" (a correction)."""
    return render(request, "notices/form.html", {
        "village": village,
        "notice": notice,
        "mode": mode,
        "values": values,
        "error": error,
        "errors": errors or {},
        "categories": [(c, N.CATEGORIES[c]) for c in notices.draftable_categories(actor, village)],
        "proposals": notice_views.linkable_proposals(db, village) if mode == "new" else [],
        "max_days": N.MAX_DAYS,
        "default_days": N.DEFAULT_DAYS,
        "floor": rulebook.posting_floor(notice.category if notice else N.VILLAGE, local_today()),
        "title_max": N.TITLE_MAX,
        "category_name": N.CATEGORIES.get(notice.category, "") if notice else "",
    }, status_code=status)


@router.get("/v/{slug}/notices/new")
def new_form(slug: str, request: Request, db: DbSession, actor: PageActor,
             category: str | None = Query(default=None, max_length=20), proposal_id: QueryId = None):
    village = places.get_village_by_slug(db, slug)
    allowed = notices.require_drafter(actor, village)
    chosen = category if category in allowed else (allowed[0] if len(allowed) == 1 else "")
    today = local_today()  # the days offered: the chosen category's default, or the most any allowed one asks
    days = N.default_days(chosen, today) if chosen else max(N.default_days(c, today) for c in allowed)
    values = {"category": chosen, "title": "", "body": "", "days": str(days),
              "proposal_id": str(proposal_id or ""), "period": ""}
    return _form(request, db, actor, village, values, mode="new")


@router.post("/v/{slug}/notices/new")
def create(slug: str, request: Request, db: DbSession, actor: PageActor, form: NoticeForm = Depends()):
    village = places.get_village_by_slug(db, slug)
    notices.require_drafter(actor, village)
    v = form.values
    try:
        days, proposal_id = form.checked()
        notice = notices.create(db, actor, village, category=v["category"], title=v["title"], body=v["body"],
                                days=days, proposal_id=proposal_id, period=form.period())
    except ServiceError as exc:
        return refused(request, exc, back=f"/v/{village.slug}/notices/new", reshow=lambda e=exc: _form(
            request, db, actor, village, v, mode="new", error=e.detail, errors=field_errors(e), status=e.status))
    return redirect(request, notice_url(village, notice.id), _saved_message(notice))


def _saved_message(notice) -> str:
    if notice.category in N.NEEDS_REVIEW:
        return "草稿已保存。检查无误后点“提交审核”，村务监督委员会审核通过后才能发布"
    return "草稿已保存。检查无误后点“发布”"


# --- the notice page ----------------------------------------------------------------------------

def show(request: Request, view: notice_views.NoticeView, *, error: str | None = None, values: dict | None = None,
         status: int = 200) -> Response:
    """The notice page; a refused form shows `error` and what was typed (`values`) in place."""
    notice = view.notice
    today = local_today()
    return render(request, "notices/detail.html", {
        "village": view.village,
        "notice": notice,
        **naming(notice),
        "body_html": view.body_html,
        "published": view.published,
        "in_window": view.in_window,
        "window_ended": view.window_ended,
        "newer": view.newer,
        "older": view.older,
        "title_changed": view.title_changed,
        "diff": view.body_diff,
        "versions": view.versions if (view.older or view.newer) else [],
        "kinds": N.KINDS,
        "attachments": view.attachments,
        "max_mb": attachments.MAX_BYTES // (1024 * 1024),
        "insider": view.insider,
        "proposal": view.proposal,
        "vote": view.vote,
        "objections": (view.objections or []) if view.published else [],
        "caps": view.caps,
        "reviewer": view.reviewer,
        "report_help": rulebook.report_help(today),  # where a problem may be taken, by today's law
        # an unpublished notice is posted for its days raised to the law's floor on the publishing day
        "publish_days": N.publish_days(notice.category, notice.days, today),
        "floor_text": N.floor_text(notice.category, today),
        "error": error,
        "values": values or {},
    }, status_code=status)


def show_again(request: Request, db: DbSession, actor: Actor | None, slug: str, nid: int, exc: ServiceError,
               values: dict) -> Response:
    """The notice page once more, with the refused form's message and what was typed (422)."""
    notice, village = load(db, actor, slug, nid)
    return show(request, notice_views.notice_view(db, actor, notice, village), error=exc.detail, values=values,
                status=422)


@router.get("/v/{slug}/notices/{nid}")
def notice_page(slug: str, nid: int, request: Request, db: DbSession, actor: CurrentActor):
    def page() -> Response:
        notice, village = load(db, actor, slug, nid)
        return show(request, notice_views.notice_view(db, actor, notice, village))
    return revalidated(request, actor, notice_stamp(db, slug, nid, "notice"), page)


# --- print sheet and files ----------------------------------------------------------------------

def qr_svg(url: str) -> str:
    """The QR code of the notice's online page as inline SVG (error correction M; 4-module border)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr", lineclass=None,
                                                title="扫码查看网上原文")
    return svg.replace("<svg ", '<svg role="img" aria-label="二维码：网上原文地址" ', 1)


@router.get("/v/{slug}/notices/{nid}/print")
def print_sheet(slug: str, nid: int, request: Request, db: DbSession, actor: CurrentActor):
    return revalidated(request, actor, notice_stamp(db, slug, nid, "print", absolute(request, "/")),
                       lambda: _print_sheet(nid, request, db, actor, slug))


def _print_sheet(nid: int, request: Request, db: DbSession, actor: Actor | None, slug: str) -> Response:
    notice, village = load(db, actor, slug, nid)
    view = notice_views.notice_view(db, actor, notice, village)
    url = absolute(request, notice_url(village, notice.id))
    return render(request, "notices/print.html", {
        "village": village,
        "notice": notice,
        **naming(notice),
        "body_html": view.body_html,
        "attachments": view.attachments,
        "newer": view.newer,
        "published": view.published,
        "url": url,
        "qr": qr_svg(url),
        "signed_on": date_label(notice.published_at),
        "reviewer": view.reviewer,
        "seal": seals.latest_for(db, village),
        "printed_at": utcnow(),
    })


@router.get("/v/{slug}/notices/{nid}/attachments/{aid}")
def download(slug: str, nid: int, aid: int, request: Request, db: DbSession, settings: SettingsDep,
             actor: CurrentActor):
    """A notice's file: public once the notice is published, like the notice itself."""
    notice, village = load(db, actor, slug, nid)
    attachment, path = notices.attachment_file(db, settings, actor, notice, village, aid)
    return FileResponse(path, media_type=attachment.content_type, headers={
        "Content-Disposition": content_disposition(attachment.filename, attachment.content_type in INLINE_TYPES),
        "Cache-Control": "private, no-store",
    })


@router.post("/v/{slug}/notices/{nid}/attachments")
async def upload(slug: str, nid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
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
    except ServiceError as exc:  # a bad file is a flash on the notice, like the wrong moment
        return refused(request, exc, back=back, reshow=lambda e=exc: redirect(request, back, e.detail, "error"))
    return redirect(request, back, f"已上传附件：{added.filename}")


# --- working on one notice ----------------------------------------------------------------------

@router.get("/v/{slug}/notices/{nid}/edit")
def edit_form(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor):
    notice, village = load(db, actor, slug, nid)
    try:
        notices.start_edit(actor, village, notice)
    except Conflict as exc:
        return redirect(request, notice_url(village, nid), exc.detail, "error")
    values = {"title": notice.title, "body": notice.body, "days": str(offered_days(notice))}
    return _form(request, db, actor, village, values, mode="edit", notice=notice)


@router.post("/v/{slug}/notices/{nid}/edit")
def edit(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor, form: NoticeForm = Depends()):
    notice, village = load(db, actor, slug, nid)
    v = form.values

    def reshow(exc: ServiceError) -> Response:
        again, home = load(db, actor, slug, nid)  # afresh: the failed call rolled back
        return _form(request, db, actor, home, v, mode="edit", notice=again, error=exc.detail,
                     errors=field_errors(exc), status=exc.status)

    try:
        days, _ = form.checked()
        notices.edit(db, actor, notice.id, title=v["title"], body=v["body"], days=days)
    except ServiceError as exc:
        return refused(request, exc, back=notice_url(village, nid), reshow=lambda e=exc: reshow(e))
    return redirect(request, notice_url(village, nid), "草稿已保存")


@router.get("/v/{slug}/notices/{nid}/revise")
def revise_form(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor):
    notice, village = load(db, actor, slug, nid)
    try:
        newer = notices.start_correction(db, actor, village, notice)
    except Conflict as exc:
        return redirect(request, notice_url(village, nid), exc.detail, "error")
    if newer is not None:
        return redirect(request, notice_url(village, newer.id), "这份公开已经有更正版本了，请更正最新的版本", "error")
    values = {"title": notice.title, "body": notice.body, "days": str(offered_days(notice))}
    return _form(request, db, actor, village, values, mode="revise", notice=notice)


@router.post("/v/{slug}/notices/{nid}/revise")
def revise(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor, form: NoticeForm = Depends()):
    notice, village = load(db, actor, slug, nid)
    v = form.values
    try:
        days, _ = form.checked()
        created = notices.correct(db, actor, notice.id, title=v["title"], body=v["body"], days=days)
    except ServiceError as exc:
        return refused(request, exc, back=notice_url(village, nid), reshow=lambda e=exc: _form(
            request, db, actor, village, v, mode="revise", notice=notice, error=e.detail,
            errors=field_errors(e), status=e.status))
    return redirect(request, notice_url(village, created.id),
                    "更正草稿已保存。" + ("提交审核、通过后发布" if created.category in N.NEEDS_REVIEW else "发布")
                    + "后，原公开会标为“已更正”")


def _step(request: Request, db: DbSession, actor: Actor, slug: str, nid: int, act, message) -> Response:
    """One button on a notice: run the service step, then back to the notice with its message
    (`message` may be a function of the notice), or the refusal shown in place."""
    notice, village = load(db, actor, slug, nid)
    try:
        notice = act(db, actor, notice.id)
    except ServiceError as exc:
        return refused(request, exc, back=notice_url(village, nid, "#actions"),
                       reshow=lambda e=exc: show_again(request, db, actor, slug, nid, e, {}))
    return redirect(request, notice_url(village, nid), message(notice) if callable(message) else message)


@router.post("/v/{slug}/notices/{nid}/submit")
def submit(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor):
    return _step(request, db, actor, slug, nid, notices.submit, "已提交村务监督委员会审核")


@router.post("/v/{slug}/notices/{nid}/review")
def review(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor,
           decision: str = Form(default="", max_length=10), note: str = Form(default="", max_length=2000)):
    notice, village = load(db, actor, slug, nid)
    values = {"form": "review", "decision": decision, "note": note}
    try:
        if decision not in ("approve", "return"):
            raise Invalid("请选择通过或退回", field="decision")
        notices.review(db, actor, notice.id, approve=decision == "approve", note=note)
    except ServiceError as exc:
        return refused(request, exc, back=notice_url(village, nid, "#actions"),
                       reshow=lambda e=exc: show_again(request, db, actor, slug, nid, e, values))
    if decision == "approve":
        return redirect(request, notice_url(village, nid), "已审核通过，村委会可以发布了")
    return redirect(request, notice_url(village, nid), "已退回起草人修改，审核意见已记录")


@router.post("/v/{slug}/notices/{nid}/publish")
def publish(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor):
    return _step(request, db, actor, slug, nid, notices.publish, lambda notice: (
        f"已发布，公示到 {format_local(notice.window_until)}。发布后内容不能再改，如有错误请发更正"))


@router.post("/v/{slug}/notices/{nid}/close")
def close(slug: str, nid: int, request: Request, db: DbSession, actor: PageActor):
    return _step(request, db, actor, slug, nid, notices.close, "已办结")
