"""The village's own rules on the web (村规民约、村民自治章程): the public register and each rule's
versions; the committee drafts, revises and records the adopting vote; the township's monitors file
a version (备案) or order it corrected (责令改正). Forms re-show with the message on bad input."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.domain import village_rules as VR
from app.services import places, village_rules
from app.services.errors import ServiceError
from routers.deps import CurrentActor, DbSession, PageActor
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()


def _problem(exc: ServiceError | None) -> dict:
    return {"error": exc.detail, "errors": field_errors(exc)} if exc is not None else {"error": None, "errors": {}}


def _list(request: Request, db, actor, village, *, exc: ServiceError | None = None, values: dict | None = None,
          status: int = 200) -> Response:
    return render(request, "village_rules/list.html", {
        "village": village, "rows": village_rules.register(db, actor, village), "kinds": VR.KINDS,
        "states": VR.STATES, "manages": village_rules.manages(actor, village), "values": values or {},
        **_problem(exc)}, status_code=status)


def _detail(request: Request, db, actor, village, rid: int, *, exc: ServiceError | None = None,
            values: dict | None = None, status: int = 200) -> Response:
    view = village_rules.rule_view(db, actor, village, rid)
    return render(request, "village_rules/detail.html", {"view": view, "village": village, "states": VR.STATES,
                                                         "values": values or {}, **_problem(exc)},
                  status_code=status)


def _url(village, rid: int, anchor: str = "") -> str:
    return f"/v/{village.slug}/charter/{rid}{anchor}"


@router.get("/v/{slug}/charter")
def register_page(slug: str, request: Request, db: DbSession, actor: CurrentActor):
    return _list(request, db, actor, places.get_village_by_slug(db, slug))


@router.post("/v/{slug}/charter")
def create(slug: str, request: Request, db: DbSession, actor: PageActor,
           kind: str = Form(default="", max_length=10), title: str = Form(default="", max_length=200),
           body: str = Form(default="", max_length=60_000), note: str = Form(default="", max_length=2000)):
    village = places.get_village_by_slug(db, slug)
    try:
        rule = village_rules.create(db, actor, village, kind=kind, title=title, body=body, note=note)
    except ServiceError as exc:
        return refused(request, exc, back=f"/v/{slug}/charter", reshow=lambda e=exc: _list(
            request, db, actor, village, exc=e, values={"kind": kind, "title": title, "body": body,
                                                                 "note": note}, status=422))
    return redirect(request, _url(village, rule.id), "草稿已保存。村民会议表决通过后，在这里登记通过的表决")


@router.get("/v/{slug}/charter/{rid}")
def rule_page(slug: str, rid: int, request: Request, db: DbSession, actor: CurrentActor):
    return _detail(request, db, actor, places.get_village_by_slug(db, slug), rid)


@router.post("/v/{slug}/charter/{rid}/versions")
def add_version(slug: str, rid: int, request: Request, db: DbSession, actor: PageActor,
                body: str = Form(default="", max_length=60_000), note: str = Form(default="", max_length=2000)):
    village = places.get_village_by_slug(db, slug)
    try:
        village_rules.add_version(db, actor, village, rid, body=body, note=note)
    except ServiceError as exc:
        return refused(request, exc, back=_url(village, rid), reshow=lambda e=exc: _detail(
            request, db, actor, village, rid, exc=e, values={"form": "version", "body": body, "note": note},
            status=422))
    return redirect(request, _url(village, rid, "#draft"), "修订草稿已保存")


@router.post("/v/{slug}/charter/{rid}/versions/{vid}/edit")
def edit_draft(slug: str, rid: int, vid: int, request: Request, db: DbSession, actor: PageActor,
               body: str = Form(default="", max_length=60_000), note: str = Form(default="", max_length=2000)):
    village = places.get_village_by_slug(db, slug)
    try:
        village_rules.edit_draft(db, actor, village, rid, vid, body=body, note=note)
    except ServiceError as exc:
        return refused(request, exc, back=_url(village, rid), reshow=lambda e=exc: _detail(
            request, db, actor, village, rid, exc=e, values={"form": "edit", "body": body, "note": note},
            status=422))
    return redirect(request, _url(village, rid, "#draft"), "草稿已修改")


@router.post("/v/{slug}/charter/{rid}/versions/{vid}/adopt")
def adopt(slug: str, rid: int, vid: int, request: Request, db: DbSession, actor: PageActor,
          vote_session_id: str = Form(default="", max_length=12)):
    village = places.get_village_by_slug(db, slug)
    try:
        village_rules.adopt(db, actor, village, rid, vid, int(vote_session_id) if vote_session_id.isdigit() else 0)
    except ServiceError as exc:
        return refused(request, exc, back=_url(village, rid), reshow=lambda e=exc: _detail(
            request, db, actor, village, rid, exc=e, values={"form": "adopt"}, status=422))
    return redirect(request, _url(village, rid), "已登记通过。公布稿已送村务监督委员会审核，发布后上公开栏；"
                                                 "请报乡镇备案")


@router.post("/v/{slug}/charter/{rid}/versions/{vid}/file")
def file(slug: str, rid: int, vid: int, request: Request, db: DbSession, actor: PageActor,
         note: str = Form(default="", max_length=2000)):
    village = places.get_village_by_slug(db, slug)
    try:
        filing = village_rules.file(db, actor, village, rid, vid, note)
    except ServiceError as exc:
        return refused(request, exc, back=_url(village, rid), reshow=lambda e=exc: _detail(
            request, db, actor, village, rid, exc=e, values={"form": "file", "note": note}, status=422))
    return redirect(request, _url(village, rid), f"已备案，备案号 {filing.number}")


@router.post("/v/{slug}/charter/{rid}/versions/{vid}/return")
def order_correction(slug: str, rid: int, vid: int, request: Request, db: DbSession, actor: PageActor,
                     reason: str = Form(default="", max_length=2000)):
    village = places.get_village_by_slug(db, slug)
    try:
        village_rules.order_correction(db, actor, village, rid, vid, reason)
    except ServiceError as exc:
        return refused(request, exc, back=_url(village, rid), reshow=lambda e=exc: _detail(
            request, db, actor, village, rid, exc=e, values={"form": "return", "reason": reason},
            status=422))
    return redirect(request, _url(village, rid), "已责令改正，村里会看到理由")
