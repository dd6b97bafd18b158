"""Council pages (议事机构): the village's councils with the form that sets one up, a council's page
with who may vote in it today, and retiring a council."""

from __future__ import annotations

from dataclasses import fields

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from app.domain import rulebook as R
from app.domain.bounds import id_or_none
from app.services import councils
from app.services.errors import ServiceError, invalid_fields
from routers.deps import DbSession, PageActor
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()

BLANK = {"kind": "", "name": "", "group_id": "", "members": [], "quorum": "2/3", "quorum_inclusive": True,
         "passing": "1/2", "passing_inclusive": False}


def context_of(view) -> dict:
    """A page view's fields as a template's context (shallow: the rows stay what they are)."""
    return {f.name: getattr(view, f.name) for f in fields(view)}


def _fraction_input(text: str) -> tuple[int, int] | None:
    """"2/3" → (2, 3); None when it is not a simple fraction."""
    cleaned = (text or "").replace("／", "/").replace(" ", "")
    num, sep, den = cleaned.partition("/")
    if not sep or not num.isdigit() or not den.isdigit() or not num.isascii() or not den.isascii():
        return None
    return int(num), int(den)


def _list_page(request: Request, view: councils.CouncilsPage, values: dict | None = None,
               error: str | None = None, errors: dict | None = None, status: int = 200):
    return render(request, "councils/list.html", {
        **context_of(view), "values": values or BLANK, "error": error, "errors": errors or {},
    }, status_code=status)


@router.get("/v/{slug}/councils")
def council_list(slug: str, request: Request, db: DbSession, actor: PageActor):
    return _list_page(request, councils.councils_page(db, actor, slug))


@router.post("/v/{slug}/councils")
async def council_create(slug: str, request: Request, db: DbSession, actor: PageActor):
    form = await request.form()
    village = await run_in_threadpool(councils.founding_in, db, actor, slug)
    values = {
        "kind": str(form.get("kind") or "")[:20],
        "name": str(form.get("name") or "").strip()[:60],
        "group_id": str(form.get("group_id") or "")[:12],
        "members": [str(m)[:12] for m in form.getlist("members")][:5000],
        "quorum": str(form.get("quorum") or "").strip()[:12],
        "quorum_inclusive": bool(form.get("quorum_inclusive")),
        "passing": str(form.get("passing") or "").strip()[:12],
        "passing_inclusive": bool(form.get("passing_inclusive")),
    }
    try:
        quorum = passing = None
        if values["kind"] == R.CUSTOM:
            errors = {}
            q, p = _fraction_input(values["quorum"]), _fraction_input(values["passing"])
            if q is None:
                errors["quorum"] = "到会比例请写成“分子/分母”，如 2/3"
            if p is None:
                errors["passing"] = "通过比例请写成“分子/分母”，如 1/2"
            if errors:
                raise invalid_fields(errors)
            quorum = (q[0], q[1], values["quorum_inclusive"])
            passing = (p[0], p[1], values["passing_inclusive"])
        group_id = id_or_none(values["group_id"])
        member_ids = [m for m in map(id_or_none, values["members"]) if m is not None]
        council = await run_in_threadpool(
            councils.create_council, db, actor, village, kind=values["kind"], name=values["name"],
            group_id=group_id, member_ids=member_ids, quorum=quorum, passing=passing)
    except ServiceError as exc:
        failure = exc
    else:
        return redirect(request, f"/v/{slug}/councils/{council.id}", f"已设立：{council.name}")

    def reshow():
        db.rollback()
        view = councils.councils_page(db, actor, village)
        return _list_page(request, view, values, failure.detail, field_errors(failure), failure.status)

    return await run_in_threadpool(refused, request, failure, reshow=reshow, back=f"/v/{slug}/councils")


@router.get("/v/{slug}/councils/{cid}")
def council_page(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor):
    return render(request, "councils/detail.html", context_of(councils.council_page(db, actor, slug, cid)))


@router.post("/v/{slug}/councils/{cid}/archive")
def council_archive(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor):
    council, _ = councils.find_council(db, actor, slug, cid)
    try:
        councils.archive_council(db, actor, cid)
    except ServiceError as exc:
        failure = exc
    else:
        return redirect(request, f"/v/{slug}/councils", f"已撤销{council.name}，它以往的表决记录不变")
    back = f"/v/{slug}/councils/{cid}"
    return refused(request, failure, reshow=lambda: redirect(request, back, failure.detail, "error"), back=back)
