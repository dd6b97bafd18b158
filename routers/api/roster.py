"""Roster import (名册导入): check a CSV/XLSX roster, or import it all or nothing."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, UploadFile

from app.services import places, roster
from routers.deps import CurrentActor, DbSession, SettingsDep
from schemas.common import PROBLEMS
from schemas.roster import RosterOut

router = APIRouter(tags=["村民"], responses=PROBLEMS)


@router.post("/villages/{vid}/roster", response_model=RosterOut)
def import_roster(
    vid: int,
    db: DbSession,
    settings: SettingsDep,
    actor: CurrentActor,
    file: UploadFile = File(..., description="名册文件（CSV 或 XLSX）"),
    dry_run: bool = Form(True, description="true 只检查；false 导入（全部成功或全部不导入）"),
) -> RosterOut:
    """A failed import answers 422 with every problem in `errors` ({row, field, message}) and changes nothing.

    New members' activation codes appear only in this answer.
    """
    village = places.get_village(db, vid)
    data = file.file.read(settings.roster_max_bytes + 1)  # one byte over is enough to refuse
    run = roster.dry_run if dry_run else roster.import_roster
    return RosterOut.model_validate(run(db, settings, actor, village, file.filename or "", data))
