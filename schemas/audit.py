from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


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


class AuditVerifyOut(BaseModel):
    village_id: int
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None
