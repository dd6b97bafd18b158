"""Comment forms on the proposal page (民主商事): post, reply, edit, report, hide; the versions page.

Every form posts here and comes back to the proposal page at the comment (#c<id>) with a flash;
bad input (an empty comment, a missing reason) re-shows the proposal page with what was typed.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request

from app.domain.bounds import id_or_none
from app.services import comments, proposals
from app.services.errors import Invalid, ServiceError
from routers.deps import DbSession, PageActor
from routers.templating import render
from routers.web.common import redirect
from routers.web.proposals import proposal_url, refused_here

router = APIRouter()


@router.post("/v/{slug}/proposals/{pid}/comments")
def add_comment(
    slug: str,
    pid: int,
    request: Request,
    db: DbSession,
    actor: PageActor,
    body: str = Form(default="", max_length=20_000),
    parent_id: str = Form(default="", max_length=20),
):
    proposal, _ = proposals.get_in(db, actor, slug, pid)
    parent = id_or_none(parent_id)
    values = {"form": "reply" if parent else "new", "target": parent, "body": body}
    try:
        if parent_id.strip() and parent is None:
            raise Invalid("要回复的评论不在这个事项下", field="parent_id")
        comment = comments.add(db, actor, proposal.id, body, parent)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc, values, f"c{parent}" if parent else "new-comment")
    return redirect(request, proposal_url(slug, pid, f"c{comment.id}"), "已回复" if parent else "意见已发表")


@router.post("/v/{slug}/comments/{cid}/edit")
def edit_comment(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor,
                 body: str = Form(default="", max_length=20_000)):
    pid = comments.get_view_in(db, actor, slug, cid).proposal_id
    try:
        comments.edit(db, actor, cid, body)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc, {"form": "edit", "target": cid, "body": body},
                            f"c{cid}")
    return redirect(request, f"/v/{slug}/proposals/{pid}#c{cid}", "评论已修改，原来的内容仍可查看")


@router.post("/v/{slug}/comments/{cid}/hide")
def hide_comment(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor,
                 reason: str = Form(default="", max_length=2000)):
    pid = comments.get_view_in(db, actor, slug, cid).proposal_id
    try:
        comments.hide(db, actor, cid, reason)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc, {"form": "hide", "target": cid, "reason": reason},
                            f"c{cid}")
    return redirect(request, f"/v/{slug}/proposals/{pid}#c{cid}", "评论已隐藏，理由会显示在原处，并已通知作者")


@router.post("/v/{slug}/comments/{cid}/report")
def report_comment(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor,
                   reason: str = Form(default="", max_length=2000)):
    pid = comments.get_view_in(db, actor, slug, cid).proposal_id
    try:
        comments.report(db, actor, cid, reason)
    except ServiceError as exc:
        return refused_here(request, db, actor, slug, pid, exc,
                            {"form": "report", "target": cid, "reason": reason}, f"c{cid}")
    return redirect(request, f"/v/{slug}/proposals/{pid}#c{cid}", "已举报，村委会会尽快查看")


@router.get("/v/{slug}/comments/{cid}/versions")
def comment_versions(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor):
    view = comments.get_view_in(db, actor, slug, cid)
    proposal, village = proposals.get_in(db, actor, slug, view.proposal_id)
    return render(request, "proposals/versions.html", {
        "village": village,
        "proposal": proposal,
        "comment": view,
        "versions": comments.versions(db, actor, cid),
    })
