"""Assisted participation (代办): the committee records, for a villager without a phone, a
co-signature from a signed paper sheet (multipart, with the sheet's scan), an objection or a comment
the villager dictated; a second committee member confirms it before it counts, or any member sends it
back with a reason. Refusals are problem+json with a Chinese `detail`."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, File, Form, Query, UploadFile

from app.domain.bounds import MAX_ID
from app.services import assisted, attachments, places
from routers.api.attachments import LimitedBody
from routers.deps import CurrentActor, DbSession, PageNo, PerPage, SettingsDep
from schemas.assisted import AssistedOut, RejectIn
from schemas.common import PROBLEMS, PageOut, page_out

router = APIRouter(tags=["代办"], responses={**PROBLEMS, 413: PROBLEMS[422]}, route_class=LimitedBody)


@router.get("/villages/{vid}/assisted", response_model=PageOut[AssistedOut])
def list_assisted(vid: int, db: DbSession, actor: CurrentActor,
                  state: Literal["pending", "confirmed", "rejected", "all"] = Query(default="pending"),
                  page: PageNo = 1, per_page: PerPage = 20):
    """The village's records, newest first: waiting ones by default (the committee, the supervisory
    committee, the township's monitors)."""
    village = places.get_village(db, vid)
    result = assisted.list_acts(db, actor, village, state=None if state == "all" else state, page=page,
                                per_page=per_page)
    return page_out(AssistedOut, result)


@router.post("/villages/{vid}/assisted", response_model=AssistedOut, status_code=201)
def record_assisted(
    vid: int,
    db: DbSession,
    settings: SettingsDep,
    actor: CurrentActor,
    kind: Literal["cosign", "objection", "comment"] = Form(..., description="纸质联署 / 质询 / 意见"),
    user_id: int = Form(..., ge=1, le=MAX_ID, description="the villager it is recorded for"),
    target_id: int = Form(..., ge=1, le=MAX_ID, description="the matter (cosign, comment) or notice (objection)"),
    body: str = Form(default="", max_length=10_000, description="the villager's words (objection, comment)"),
    scan: UploadFile | None = File(default=None, description="cosign: the signed sheet's scan (image or PDF)"),
):
    """A committee member records an act for a villager of the village (not for themself); it counts
    once another committee member confirms it. A co-sign without the scan answers 422; a villager who
    already co-signed (online or on paper) 409."""
    village = places.get_village(db, vid)
    data = scan.file.read(attachments.MAX_BYTES + 1) if scan is not None else b""
    act = assisted.record(db, settings, actor, village, kind=kind, user_id=user_id, target_id=target_id, body=body,
                          scan=(scan.filename, data) if data else None)
    return AssistedOut.model_validate(assisted.get_row(db, actor, village, act.id))


@router.post("/villages/{vid}/assisted/{act_id}/confirm", response_model=AssistedOut)
def confirm_assisted(vid: int, act_id: int, db: DbSession, actor: CurrentActor):
    """Another committee member confirms: the co-signature, objection or comment is made now, by the
    rules of the online act (409 when they no longer allow it; the recorder: 403; twice: 409)."""
    village = places.get_village(db, vid)
    act = assisted.confirm(db, actor, village, act_id)
    return AssistedOut.model_validate(assisted.get_row(db, actor, village, act.id))


@router.post("/villages/{vid}/assisted/{act_id}/reject", response_model=AssistedOut)
def reject_assisted(vid: int, act_id: int, body: RejectIn, db: DbSession, actor: CurrentActor):
    """Any committee member sends a waiting record back with a reason; it never counts."""
    village = places.get_village(db, vid)
    act = assisted.reject(db, actor, village, act_id, body.reason)
    return AssistedOut.model_validate(assisted.get_row(db, actor, village, act.id))
