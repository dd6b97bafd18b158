"""Assisted participation (代办): the API's shapes, derived from the service's view
(`services.assisted.AssistedRow`). All times are ISO 8601 in UTC."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.services.assisted import AssistedRow
from schemas.common import Text, out_model

AssistedOut = out_model(AssistedRow, "AssistedOut", descriptions={
    "kind": "cosign (纸质联署) / objection (质询) / comment (意见)",
    "state": "pending (待确认) / confirmed (已确认，已计入) / rejected (已退回)",
    "href": "the page of the matter or notice it is about",
    "mark": "由某某代录、某某确认 — once confirmed",
    "scan_ids": "attachments: the scan of the signed paper sheet (GET /api/v1/attachments/{aid})",
    "can_confirm": "this caller may confirm it now (a committee member other than the recorder)",
    "can_reject": "this caller may send it back now (any committee member)",
})


class RejectIn(BaseModel):
    reason: Text = Field(default="", max_length=1000)  # the service checks the real limit (500) in Chinese
