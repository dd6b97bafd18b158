"""Objections (质询) to published notices and their replies, for the village's members, the people
who answer them and the township's monitors; never public."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import objections, places
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut
from schemas.notices import ObjectionOut, TextIn

router = APIRouter(tags=["三公开"], responses=PROBLEMS)


@router.post("/notices/{nid}/objections", response_model=ObjectionOut, status_code=201)
def raise_objection(nid: int, body: TextIn, db: DbSession, actor: CurrentActor):
    """A village member questions a published notice during its window; after it: 409."""
    objection = objections.raise_objection(db, actor, nid, body.body)
    return ObjectionOut.of(objections.objection_view(db, actor, nid, objection.id))


@router.post("/objections/{oid}/reply", response_model=ObjectionOut)
def reply_objection(oid: int, body: TextIn, db: DbSession, actor: CurrentActor):
    """The publishers of the notice's category reply (once); the objection's author is notified."""
    objection = objections.reply(db, actor, oid, body.body)
    return ObjectionOut.of(objections.objection_view(db, actor, objection.notice_id, objection.id))


@router.get("/villages/{vid}/objections", response_model=PageOut[ObjectionOut])
def objection_inbox(
    vid: int,
    db: DbSession,
    actor: CurrentActor,
    open: bool = True,  # noqa: A002 - the API's name for "unanswered only"
    page: PageNo = 1,
    per_page: PerPage = 20,
):
    """Objections of the village, nearest deadline first: the committee, the party committee, the
    supervisory committee and the township's monitors. `open=false` includes the answered ones."""
    village = places.get_village(db, vid)
    result = objections.inbox(db, actor, village, open_only=open, page=page, per_page=per_page)
    return PageOut[ObjectionOut](items=[ObjectionOut.of(v) for v in result.items], total=result.total,
                                 page=result.page, per_page=result.per_page)
