"""Meetings (会议) and requests to convene (提议召集) on the web: the village's meetings and one
meeting's record — agenda, notice, sign-in (paper sheet with its scan, or the code shown at the
meeting), minutes with files, the votes taken there — and the members' requests with their signatures.
Forms re-show with the message on bad input; the wrong moment is a flash."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.domain import meetings as M
from app.domain import rulebook as R
from app.domain.bounds import id_or_none
from app.domain.calendar import format_local
from app.services import attachments, meetings, petitions, places
from app.services.errors import ServiceError
from routers.deps import DbSession, PageActor, SettingsDep
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused
from routers.web.votes import parse_local

router = APIRouter()


def _problem(exc: ServiceError | None) -> dict:
    return {"error": exc.detail, "errors": field_errors(exc)} if exc is not None else {"error": None, "errors": {}}


def _list(request: Request, db, actor, village, *, exc: ServiceError | None = None, values: dict | None = None,
          status: int = 200) -> Response:
    rows = meetings.list_meetings(db, actor, village)
    manages = meetings.manages(actor, village)
    return render(request, "meetings/list.html", {
        "village": village, "rows": rows, "manages": manages, "kinds": R.COUNCIL_KINDS,
        "councils": meetings.councils_of(db, village) if manages else [], "values": values or {},
        **_problem(exc)}, status_code=status)


def _detail(request: Request, db, actor, village, mid: int, *, exc: ServiceError | None = None,
            values: dict | None = None, status: int = 200) -> Response:
    view = meetings.meeting_view(db, actor, village, mid)
    return render(request, "meetings/detail.html", {"view": view, "village": village, "how": M.HOW,
                                                     "values": values or {}, **_problem(exc)}, status_code=status)


def _url(village, mid: int, anchor: str = "") -> str:
    return f"/v/{village.slug}/meetings/{mid}{anchor}"


@router.get("/v/{slug}/meetings")
def list_page(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _list(request, db, actor, places.get_village_by_slug(db, slug))


@router.post("/v/{slug}/meetings")
async def create(slug: str, request: Request, db: DbSession, actor: PageActor):
    form = await request.form()
    village = await run_in_threadpool(places.get_village_by_slug, db, slug)
    values = {k: str(form.get(k) or "")[:2000] for k in ("council_id", "title", "starts_at", "place", "items")}
    pids = [i for i in (id_or_none(str(p)[:12]) for p in form.getlist("proposal_ids")[:50]) if i]

    def make():
        starts = parse_local(values["starts_at"], "starts_at", "会议时间") if values["starts_at"].strip() else None
        return meetings.create(db, actor, village, council_id=id_or_none(values["council_id"]), title=values["title"],
                               starts_at=starts, place=values["place"], items=values["items"].splitlines(),
                               proposal_ids=pids)
    try:
        meeting = await run_in_threadpool(make)
    except ServiceError as exc:
        return await run_in_threadpool(lambda e=exc: refused(
            request, e, back=f"/v/{slug}/meetings",
            reshow=lambda: _list(request, db, actor, village, exc=e, values=values, status=422)))
    return redirect(request, _url(village, meeting.id), "会议草稿已保存。确认议程后发出通知")


@router.get("/v/{slug}/meetings/{mid}")
def meeting_page(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor):
    return _detail(request, db, actor, places.get_village_by_slug(db, slug), mid)


def _act(request, db, actor, slug: str, mid: int, form: str, values: dict, call, done: str, anchor: str = ""):
    village = places.get_village_by_slug(db, slug)
    try:
        result = call(village)
    except ServiceError as exc:
        return refused(request, exc, back=_url(village, mid, anchor), reshow=lambda e=exc: _detail(
            request, db, actor, village, mid, exc=e, values={"form": form, **values}, status=422))
    return redirect(request, _url(village, mid, anchor), done(result) if callable(done) else done)


@router.post("/v/{slug}/meetings/{mid}/items")
def add_item(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor,
             text: str = Form(default="", max_length=2000), proposal_id: str = Form(default="", max_length=12)):
    return _act(request, db, actor, slug, mid, "item", {"text": text}, lambda v: meetings.add_item(
        db, actor, v, mid, text=text, proposal_id=id_or_none(proposal_id)), "议程已增加", "#agenda")


@router.post("/v/{slug}/meetings/{mid}/announce")
def announce(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor,
             short_notice: str = Form(default="", max_length=2000)):
    return _act(request, db, actor, slug, mid, "announce", {"short_notice": short_notice},
                lambda v: meetings.announce(db, actor, v, mid, short_notice),
                "会议通知已起草并送村务监督委员会审核，审核通过后发布到公开栏", "#notice")


@router.post("/v/{slug}/meetings/{mid}/cancel")
def cancel(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor,
           reason: str = Form(default="", max_length=2000)):
    return _act(request, db, actor, slug, mid, "cancel", {"reason": reason},
                lambda v: meetings.cancel(db, actor, v, mid, reason), "会议已取消")


@router.post("/v/{slug}/meetings/{mid}/checkin/open")
def open_checkin(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor):
    return _act(request, db, actor, slug, mid, "open", {}, lambda v: meetings.open_checkin(db, actor, v, mid),
                lambda r: f"手机签到已开启，签到码 {r[1]}，请在会场展示（{format_local(r[0].checkin_until, '%H:%M')} "
                          "前有效）", "#signin")


@router.post("/v/{slug}/meetings/{mid}/checkin")
def check_in(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor,
             code: str = Form(default="", max_length=40)):
    return _act(request, db, actor, slug, mid, "checkin", {"code": code},
                lambda v: meetings.check_in(db, actor, v, mid, code), "签到成功", "#signin")


@router.post("/v/{slug}/meetings/{mid}/paper")
async def record_paper(slug: str, mid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    village = await run_in_threadpool(places.get_village_by_slug, db, slug)
    ids = [i for i in (id_or_none(str(p)[:12]) for p in form.getlist("user_ids")[:100_000]) if i]
    scan = form.get("scan")

    def work():
        scan_id = None
        if ids and isinstance(scan, UploadFile) and scan.filename:
            data = scan.file.read(attachments.MAX_BYTES + 1)
            scan_id = attachments.add(db, settings, actor, "meeting", mid, f"签到表-{scan.filename}", data).id
        return meetings.record_paper(db, actor, village, mid, ids, scan_id)
    try:
        added = await run_in_threadpool(work)
    except ServiceError as exc:
        return await run_in_threadpool(lambda e=exc: refused(
            request, e, back=_url(village, mid, "#signin"),
            reshow=lambda: _detail(request, db, actor, village, mid, exc=e, values={"form": "paper"}, status=422)))
    return redirect(request, _url(village, mid, "#signin"), f"纸质签到已登记 {added} 人")


@router.post("/v/{slug}/meetings/{mid}/minutes")
def record_minutes(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor,
                   minutes: str = Form(default="", max_length=40_000)):
    return _act(request, db, actor, slug, mid, "minutes", {"minutes": minutes},
                lambda v: meetings.record_minutes(db, actor, v, mid, minutes), "会议纪要已保存", "#minutes")


@router.post("/v/{slug}/meetings/{mid}/attachments")
async def upload(slug: str, mid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    village = await run_in_threadpool(places.get_village_by_slug, db, slug)
    back = _url(village, mid, "#minutes")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect(request, back, "请选择要上传的文件", "error")
    data = await file.read(attachments.MAX_BYTES + 1)
    try:
        added = await run_in_threadpool(attachments.add, db, settings, actor, "meeting", mid, file.filename, data)
    except ServiceError as exc:
        return refused(request, exc, back=back, reshow=lambda e=exc: redirect(request, back, e.detail, "error"))
    return redirect(request, back, f"已上传附件：{added.filename}")


@router.post("/v/{slug}/meetings/{mid}/votes")
def link_vote(slug: str, mid: int, request: Request, db: DbSession, actor: PageActor,
              vote_session_id: str = Form(default="", max_length=12)):
    return _act(request, db, actor, slug, mid, "vote", {}, lambda v: meetings.link_vote(
        db, actor, v, mid, id_or_none(vote_session_id) or 0), "已关联会上的表决", "#votes")


# --- requests to convene --------------------------------------------------------------------------

def _petitions(request: Request, db, actor, village, *, exc: ServiceError | None = None,
               values: dict | None = None, status: int = 200) -> Response:
    rows = petitions.list_petitions(db, actor, village)
    manages = meetings.manages(actor, village)
    return render(request, "meetings/petitions.html", {
        "village": village, "rows": rows, "manages": manages, "kinds": M.PETITION_KINDS,
        "states": M.PETITION_STATES, "values": values or {}, "days": M.UNCONVENED_DAYS,
        "meetings_of": {k: meetings.meetings_for(db, village, k) for k in M.PETITION_KINDS} if manages else {},
        **_problem(exc)}, status_code=status)


@router.get("/v/{slug}/petitions")
def petitions_page(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _petitions(request, db, actor, places.get_village_by_slug(db, slug))


def _pact(request, db, actor, slug: str, values: dict, call, done: str, anchor: str = ""):
    village = places.get_village_by_slug(db, slug)
    back = f"/v/{slug}/petitions{anchor}"
    try:
        call(village)
    except ServiceError as exc:
        return refused(request, exc, back=back, reshow=lambda e=exc: _petitions(
            request, db, actor, village, exc=e, values=values, status=422))
    return redirect(request, back, done)


@router.post("/v/{slug}/petitions")
def create_petition(slug: str, request: Request, db: DbSession, actor: PageActor,
                    kind: str = Form(default="", max_length=20), reason: str = Form(default="", max_length=2000)):
    return _pact(request, db, actor, slug, {"kind": kind, "reason": reason}, lambda v: petitions.create_petition(
        db, actor, v, kind=kind, reason=reason), "提议已发起，您已签名。请邀请其他村民或代表签名")


@router.post("/v/{slug}/petitions/{pid}/sign")
def sign(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor):
    return _pact(request, db, actor, slug, {}, lambda v: petitions.sign(db, actor, v, pid), "已签名", f"#p{pid}")


@router.post("/v/{slug}/petitions/{pid}/convene")
def convene(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor,
            meeting_id: str = Form(default="", max_length=12)):
    return _pact(request, db, actor, slug, {"form": f"convene{pid}"}, lambda v: petitions.convene(
        db, actor, v, pid, id_or_none(meeting_id) or 0), "已召集，提议关联了这次会议", f"#p{pid}")


@router.post("/v/{slug}/petitions/{pid}/close")
def close(slug: str, pid: int, request: Request, db: DbSession, actor: PageActor,
          reason: str = Form(default="", max_length=2000)):
    return _pact(request, db, actor, slug, {"form": f"close{pid}", "close_reason": reason},
                 lambda v: petitions.close_petition(db, actor, v, pid, reason), "提议已关闭", f"#p{pid}")
