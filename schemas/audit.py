from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.domain.audit_chain import VerifyResult
from schemas.common import out_model


class AuditEventOut(BaseModel):
    seq: int
    actor_id: int | None
    action: str
    entity: str
    entity_id: str | None
    created_at: datetime
    payload: dict[str, Any]
    payload_text: str
    prev_hash: str
    hash: str


class AuditHeadOut(BaseModel):
    village_id: int
    seq: int
    hash: str


AuditVerifyOut = out_model(VerifyResult, "AuditVerifyOut", extra={"village_id": (int, Field())})
