"""Casting a ballot from the vote page, in person or for a principal whose written proxy one holds.
The receipt and the choice go to the next page once, in a short-lived cookie (see routers/web/votes.py):
that confirmation is the only page that names the choice."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool

from app.domain.bounds import id_or_none
from app.services import ballots, votes
from app.services.errors import Invalid, ServiceError
from routers.deps import DbSession, PageActor
from routers.web.common import redirect
from routers.web.votes import set_receipt, vote_refused, vote_url

router = APIRouter()


@router.post("/v/{slug}/votes/{sid}/cast")
async def vote_cast(slug: str, sid: int, request: Request, db: DbSession, actor: PageActor,
                    choice: str = Form(default="", max_length=3), on_behalf_of: str = Form(default="", max_length=12)):
    """As the API's cast: the vote found and the ballot checked where reads cost least (`votes.find_soon`,
    `ballots.cast_soon`), a secret ballot written in the ballot writer's next batch."""
    await votes.find_soon(db, actor, slug, sid)
    principal = id_or_none(on_behalf_of) if on_behalf_of.strip() else None
    values = {"choice": choice, "on_behalf_of": on_behalf_of}
    form_name = f"cast-{principal}" if principal else "cast"
    try:
        if not choice.isdigit():
            raise Invalid("请选择一个选项", field="choice")
        if on_behalf_of.strip() and principal is None:
            raise Invalid("没有这位委托人", field="on_behalf_of")
        done = await ballots.cast_soon(db.get_bind(), actor, sid, int(choice), on_behalf_of=principal)
    except ServiceError as exc:
        return await run_in_threadpool(vote_refused, request, db, actor, slug, sid, exc, form_name, values, "cast",
                                       committee_form=False)
    if done.changed:
        message = "已改票"
    elif done.principal:
        message = f"已代{done.principal}投票"
    else:
        message = "投票成功"
    response = redirect(request, vote_url(slug, sid, "receipt"), message)
    set_receipt(request, response, slug, sid, done.receipt, done.principal, done.choice_label)
    return response
