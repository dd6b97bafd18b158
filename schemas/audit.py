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
    action_name: str = Field(description="操作的中文名")
    entity: str
    entity_id: str | None
    created_at: datetime
    payload: dict[str, Any] | None = Field(description="事件内容（哈希所依据的规范 JSON）；withheld 时为 null")
    payload_text: str | None = Field(description="同一内容的原始文本，逐字节参与哈希")
    withheld: bool = Field(default=False, description="较早的涉及个人信息的事件，对无权查看村民名册的人不显示内容")
    private: dict[str, dict[str, Any]] | None = Field(
        default=None, description="个人信息的原值和盐（{字段: {value, salt}}）：只给能看村民名册的人；"
                                  "sha256(盐 + 值的规范 JSON) 等于 payload.data.private 里的承诺值")
    prev_hash: str
    hash: str


class AuditHeadOut(BaseModel):
    village_id: int
    seq: int
    hash: str


AuditVerifyOut = out_model(VerifyResult, "AuditVerifyOut", extra={"village_id": (int, Field())})
