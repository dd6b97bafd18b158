"""Comments on the proposal page (民主商事): the new-comment form at the foot of the matter; one page per
action on a comment (回复, 修改, 举报, 隐藏), linked from the comment; the versions page.

Every form posts here and comes back to the proposal page at the comment (#c<id>) with a flash. Bad
input (an empty reply, a missing reason) re-shows the form it came from with what was typed: the
action's page, or for a new comment the proposal page.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.domain.bounds import id_or_none
from app.services import comments, proposals
from app.services.errors import Forbidden, Invalid, NotFound, ServiceError
from routers.deps import DbSession, PageActor
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import refused
from routers.web.proposals import proposal_url, refused_here

router = APIRouter()

# action → (the page's heading, the comment view's flag that allows it, the answer when it does not)
ACTIONS = {
    "reply": ("回复意见", "can_reply", "现在不能回复这条意见"),
    "edit": ("修改我的意见", "can_edit", "现在不能修改这条意见：只能在商议期间修改自己未被隐藏的意见"),
    "report": ("举报意见", "can_report", "不能举报这条意见：自己的、已隐藏的或已经举报过的不能再举报"),
    "hide": ("隐藏意见", "can_hide", "这条意见不能隐藏：只有村委会可以隐藏，已隐藏的不用再隐藏"),
}


def action_page(request: Request, db: DbSession, actor: PageActor, slug: str, cid: int, action: str, *,
                values: dict | None = None, error: str | None = None, status: int = 200) -> Response:
    view = comments.get_view_in(db, actor, slug, cid)  # 404 outside the village, as for any lookup
    heading, flag, refusal = ACTIONS[action]
    if not getattr(view, flag):
        raise Forbidden(refusal)
    proposal, village = proposals.get_in(db, actor, slug, view.proposal_id)
    return render(request, "proposals/comment_action.html", {
        "village": village, "proposal": proposal, "comment": view, "action": action, "heading": heading,
        "values": values or {}, "error": error,
    }, status_code=status)


def refused_on_action(request: Request, db: DbSession, actor: PageActor, slug: str, pid: int, cid: int,
                      action: str, exc: ServiceError, values: dict) -> Response:
    """A service said no to an action's form on comment `cid` of matter `pid`: bad input re-shows that
    form; a refusal is a flash on the matter's page at the comment."""
    return refused(request, exc, back=proposal_url(slug, pid, f"c{cid}"), error_page=(401,),
                   reshow=lambda: action_page(request, db, actor, slug, cid, action, values=values,
                                              error=exc.detail, status=422))


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


# After /versions: a path this route also matches, which must stay that page's.
@router.get("/v/{slug}/comments/{cid}/{action}")
def comment_action_page(slug: str, cid: int, action: str, request: Request, db: DbSession, actor: PageActor):
    """回复, 修改, 举报 or 隐藏 one comment: its own page (ACTIONS); any other word is a 404."""
    if action not in ACTIONS:
        raise NotFound("找不到这个页面")
    return action_page(request, db, actor, slug, cid, action)


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
    try:
        if parent_id.strip() and parent is None:
            raise Invalid("要回复的评论不在这个事项下", field="parent_id")
        comment = comments.add(db, actor, proposal.id, body, parent)
    except ServiceError as exc:
        if parent is not None and exc.status == 422 and exc.field != "parent_id":
            return refused_on_action(request, db, actor, slug, pid, parent, "reply", exc, {"body": body})
        return refused_here(request, db, actor, slug, pid, exc, {"form": "new", "body": body}, "new-comment")
    return redirect(request, proposal_url(slug, pid, f"c{comment.id}"), "已回复" if parent else "意见已发表")


@router.post("/v/{slug}/comments/{cid}/edit")
def edit_comment(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor,
                 body: str = Form(default="", max_length=20_000)):
    pid = comments.get_view_in(db, actor, slug, cid).proposal_id
    try:
        comments.edit(db, actor, cid, body)
    except ServiceError as exc:
        return refused_on_action(request, db, actor, slug, pid, cid, "edit", exc, {"body": body})
    return redirect(request, f"/v/{slug}/proposals/{pid}#c{cid}", "评论已修改，原来的内容仍可查看")


@router.post("/v/{slug}/comments/{cid}/hide")
def hide_comment(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor,
                 reason: str = Form(default="", max_length=2000)):
    pid = comments.get_view_in(db, actor, slug, cid).proposal_id
    try:
        comments.hide(db, actor, cid, reason)
    except ServiceError as exc:
        return refused_on_action(request, db, actor, slug, pid, cid, "hide", exc, {"reason": reason})
    return redirect(request, f"/v/{slug}/proposals/{pid}#c{cid}", "评论已隐藏，理由会显示在原处，并已通知作者")


@router.post("/v/{slug}/comments/{cid}/report")
def report_comment(slug: str, cid: int, request: Request, db: DbSession, actor: PageActor,
                   reason: str = Form(default="", max_length=2000)):
    pid = comments.get_view_in(db, actor, slug, cid).proposal_id
    try:
        comments.report(db, actor, cid, reason)
    except ServiceError as exc:
        return refused_on_action(request, db, actor, slug, pid, cid, "report", exc, {"reason": reason})
    return redirect(request, f"/v/{slug}/proposals/{pid}#c{cid}", "已举报，村委会会尽快查看")
