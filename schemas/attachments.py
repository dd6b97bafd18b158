"""Attachments (附件) as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    url: str  # where to download it (scoped like its owner)
