"""The village's audit chain: events (members and monitors), head and verification (public)."""

from __future__ import annotations

import dataclasses
import json

from fastapi import APIRouter, Query

from app.domain.audit_chain import ENTITY_LABELS, action_label
from app.domain.bounds import MAX_ID
from app.services import audit, places, seals
from routers.deps import CurrentActor, DbSession, PageNo, PerPage, SettingsDep
from schemas.audit import AuditEventOut, AuditHeadOut, AuditVerifyOut
from schemas.common import PROBLEMS, PageOut, one_of

router = APIRouter(tags=["审计链"], responses=PROBLEMS)


@router.get("/villages/{vid}/audit", response_model=PageOut[AuditEventOut])
def events(
    vid: int,
    db: DbSession,
    actor: CurrentActor,
    after: int = Query(default=0, ge=0, le=MAX_ID, description="只要这个序号之后的事件"),
    action: str | None = Query(default=None, max_length=60, description="只要这种操作（如 proposal.submit）"),
    entity: str | None = Query(default=None, max_length=40, **one_of(ENTITY_LABELS, "只要这类对象的事件")),
    entity_id: str | None = Query(default=None, max_length=40,
                                  description="只要这一个对象的事件（同时给出 entity）：如一件事项的全部记录"),
    page: PageNo = 1,
    per_page: PerPage = 50,
):
    """The chain's events in order, for the village's members and the township's monitors. Personal
    fields (a member's name, phone, household, group) are in the chain only as salted commitments
    (`payload.data.private`); their values and salts are in `private` for those who may read the
    member list (the committee, the supervisory committee, monitors), null for others."""
    village = places.get_village(db, vid)
    result = audit.events_for(db, actor, village, after=after, page=page, per_page=per_page, action=action,
                              entity=entity, entity_id=entity_id)
    items = [
        AuditEventOut(
            seq=e.seq, actor_id=e.actor_id, action=e.action, action_name=action_label(e.action), entity=e.entity,
            entity_id=e.entity_id, created_at=e.created_at,
            payload=None if v.withheld else json.loads(e.payload),
            payload_text=None if v.withheld else bytes(e.payload).decode(), withheld=v.withheld,
            private=v.private, prev_hash=e.prev_hash, hash=e.hash,
        )
        for v in result.items for e in (v.event,)
    ]
    return PageOut[AuditEventOut](items=items, total=result.total, page=result.page, per_page=result.per_page)


@router.get("/villages/{vid}/audit/head", response_model=AuditHeadOut)
def head(vid: int, db: DbSession) -> AuditHeadOut:
    village = places.get_village(db, vid)
    seq, digest = audit.head(db, village.id)
    return AuditHeadOut(village_id=village.id, seq=seq, hash=digest)


@router.get("/villages/{vid}/audit/verify", response_model=AuditVerifyOut)
def verify(vid: int, db: DbSession, settings: SettingsDep) -> AuditVerifyOut:
    """The chain recomputed (from its last passing full check) and held against its signed seals
    (public; answered from memory while the head, the latest seal and the last check are unchanged)."""
    village = places.get_village(db, vid)
    r = seals.verify_public(db, settings, village.id)
    return AuditVerifyOut(village_id=village.id, **dataclasses.asdict(r))
