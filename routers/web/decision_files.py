"""Pages of the decision files (一事一档): filled in below."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
