"""Roster import (名册导入): check a CSV/XLSX roster, or import it all or nothing."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, UploadFile
from sqlmodel import Session

from app.config import Settings
from app.services import places, roster
from app.services.access import Actor
from routers.deps import current_actor, get_db, get_settings_dep
from schemas.common import PROBLEMS
from schemas.roster import RosterOut

router = APIRouter(tags=["村民"], responses=PROBLEMS)


@router.post("/villages/{vid}/roster", response_model=RosterOut)
def import_roster(
    vid: int,
    file: UploadFile = File(..., description="名册文件（CSV 或 XLSX）"),
    dry_run: bool = Form(True, description="true 只检查；false 导入（全部成功或全部不导入）"),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
    actor: Actor | None = Depends(current_actor),
) -> RosterOut:
    """A failed import answers 422 with every problem in `errors` ({row, field, message}) and changes nothing.

    New members' activation codes appear only in this answer.
    """
    village = places.get_village(db, vid)
    data = file.file.read(settings.roster_max_bytes + 1)  # one byte over is enough to refuse
    run = roster.dry_run if dry_run else roster.import_roster
    report = run(db, settings, actor, village, file.filename or "", data)
    return RosterOut(dry_run=report.dry_run, total=report.total, created=report.created, updated=report.updated,
                     errors=report.errors, activation=report.activation)
