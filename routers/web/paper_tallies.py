"""The committee's forms on the vote page: recording a written proxy (with its scan), the meeting's
sign-in sheet and paper count (with a photo of the count), and a second member's confirmation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.domain.bounds import id_or_none
from app.services import attachments, paper_tallies, votes
from app.services.errors import ServiceError, invalid_fields
from routers.deps import DbSession, PageActor, SettingsDep
from routers.web.common import redirect
from routers.web.votes import vote_refused, vote_url

router = APIRouter()


async def _store_paper(file, prefix: str, db, settings, actor, vote_id: int) -> int | None:
    """A vote's paper (a proxy letter's scan, the tally's photo) when one was chosen; its attachment id."""
    if not (isinstance(file, UploadFile) and file.filename):
        return None
    data = await file.read(attachments.MAX_BYTES + 1)
    added = await run_in_threadpool(attachments.add, db, settings, actor, "vote", vote_id, f"{prefix}-{file.filename}",
                                    data)
    return added.id


@router.post("/v/{slug}/votes/{sid}/proxies")
async def vote_proxy(slug: str, sid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    vs, _, _ = await run_in_threadpool(paper_tallies.find_for_clerk, db, actor, slug, sid)
    voter, proxy = str(form.get("voter_id") or "")[:12], str(form.get("proxy_id") or "")[:12]
    values = {"voter_id": voter, "proxy_id": proxy}
    try:
        errors = {}
        if id_or_none(voter) is None:
            errors["voter_id"] = "请选择委托人"
        if id_or_none(proxy) is None:
            errors["proxy_id"] = "请选择受托人"
        if errors:
            raise invalid_fields(errors)
        attachment_id = await _store_paper(form.get("scan"), "委托书", db, settings, actor, vs.id)
        await run_in_threadpool(paper_tallies.record_proxy, db, actor, sid, int(voter), int(proxy), attachment_id)
    except ServiceError as exc:
        return await run_in_threadpool(vote_refused, request, db, actor, slug, sid, exc, "proxy", values, "proxies")
    return redirect(request, vote_url(slug, sid, "proxies"), "委托已登记")


@router.post("/v/{slug}/votes/{sid}/paper")
async def vote_paper(slug: str, sid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    form = await request.form()
    vs, _, _ = await run_in_threadpool(paper_tallies.find_for_clerk, db, actor, slug, sid)
    present = [str(p)[:12] for p in form.getlist("present")][:100_000]
    counts = [str(form.get(f"count_{i}") or "").strip()[:9] for i in range(len(vs.options))]
    values = {"present": present, "counts": counts, "invalid": str(form.get("invalid") or "").strip()[:9],
              "minutes": str(form.get("minutes") or "")[:5000]}
    try:
        errors = {}
        if any(c and not (c.isascii() and c.isdigit()) for c in counts) or not all(counts):
            errors["counts"] = "请在每个选项后填写票数（整数，没有就填 0）"
        invalid = values["invalid"] or "0"
        if not (invalid.isascii() and invalid.isdigit()):
            errors["invalid"] = "废票数应为整数"
        if errors:
            raise invalid_fields(errors)
        photo_id = await _store_paper(form.get("photo"), "计票记录", db, settings, actor, vs.id)
        await run_in_threadpool(
            paper_tallies.record_paper, db, actor, sid, present_user_ids=[i for i in map(id_or_none, present) if i],
            counts=[int(c) for c in counts], invalid=int(invalid), minutes=values["minutes"].strip() or None,
            photo_id=photo_id)
    except ServiceError as exc:
        return await run_in_threadpool(vote_refused, request, db, actor, slug, sid, exc, "paper", values, "paper")
    return redirect(request, vote_url(slug, sid, "paper"), "纸质计票已录入，须由另一名村委会成员核对确认后才计入结果")


@router.post("/v/{slug}/votes/{sid}/paper/confirm")
def vote_paper_confirm(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor):
    votes.find(db, actor, slug, sid)
    try:
        paper_tallies.confirm_paper(db, actor, sid)
    except ServiceError as exc:
        return vote_refused(request, db, actor, slug, sid, exc, "confirm", {}, "paper")
    return redirect(request, vote_url(slug, sid, "paper"), "纸质计票已确认，结束表决时计入结果")
