"""Decision files (一事一档): one matter's steps and checks as JSON, and its evidence bundle (.zip)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.services import decision_files
from routers.deps import CurrentActor, DbSession, SettingsDep
from routers.web.decision_files import ZIP, zip_response
from schemas.common import PROBLEMS
from schemas.decision_files import DecisionFileOut

router = APIRouter(tags=["一事一档"], responses=PROBLEMS)


@router.get("/proposals/{pid}/file", response_model=DecisionFileOut)
def decision_file(pid: int, db: DbSession, actor: CurrentActor):
    """The matter's steps in order (who, when, the rule with its citation and law edition, the evidence)
    and each check's verdict (met / not_met / not_yet / waived), with the summary (合规 / 不合规 / 未完成).
    For whoever may see the matter: its village's members and the township's monitors."""
    return DecisionFileOut.of(decision_files.file_of(db, actor, pid))


@router.get("/proposals/{pid}/file.zip", response_class=StreamingResponse,
            responses={200: {"content": {ZIP: {}}, "description": "manifest.json 与附件原件"}})
def decision_bundle(pid: int, db: DbSession, settings: SettingsDep, actor: CurrentActor):
    """The evidence bundle: manifest.json (facts, steps, checks, votes, notices, the chain's events) and
    the attachments; `cunyi verify-bundle FILE.zip` re-checks it offline (docs/decision-bundle.md)."""
    name, data = decision_files.bundle_of(db, settings, actor, pid)
    return zip_response(name, data)
