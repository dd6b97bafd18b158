"""My messages as the API shows them (validated from the notification rows the service returns)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    village_id: int | None
    text: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class UnreadOut(BaseModel):
    unread: int


class MarkedReadOut(BaseModel):
    marked: int
    unread: int
