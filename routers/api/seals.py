"""Seals of the audit chains (封存): the public key, a village's latest seal, and sealing on demand
by a township's monitors. Verification against the seals: GET /villages/{vid}/audit/verify."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import places, seals
from app.services.errors import NotFound
from routers.deps import CurrentActor, DbSession, SettingsDep
from schemas.common import PROBLEMS
from schemas.seals import SealedOut, SealKeyOut, SealOut

router = APIRouter(tags=["审计链"], responses=PROBLEMS)


@router.get("/seal-key", response_model=SealKeyOut)
def seal_key(settings: SettingsDep):
    """The Ed25519 public key that every seal verifies with (also at /.well-known/cunyi-seal-key.pem)."""
    return SealKeyOut.model_validate(seals.published_key(settings))


@router.get("/villages/{vid}/seals/latest", response_model=SealOut)
def latest_seal(vid: int, db: DbSession, settings: SettingsDep):
    """The village's latest seal, signed: public, to keep beside a printed notice."""
    village = places.get_village(db, vid)
    seal = seals.latest_for(db, village)
    if seal is None:
        raise NotFound("这个村的审计链还没有封存过")
    return SealOut.model_validate(seals.seal_out(settings, seal))


@router.post("/townships/{tid}/seals", response_model=SealedOut)
def seal_now(tid: int, db: DbSession, settings: SettingsDep, actor: CurrentActor):
    """A township's monitor seals its villages' chains now (each recorded in the platform's chain)."""
    return SealedOut(sealed=seals.seal_township(db, settings, actor, tid))
