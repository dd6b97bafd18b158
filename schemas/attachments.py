"""Attachments (附件) as the API shows them: validated from the service's attachment rows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, computed_field


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime

    @computed_field
    @property
    def url(self) -> str:
        """Where to download it (scoped like its owner)."""
        return f"/api/v1/attachments/{self.id}"
