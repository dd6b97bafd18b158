"""Decision files (一事一档): filled in below."""

from __future__ import annotations

from fastapi import APIRouter

from schemas.common import PROBLEMS

router = APIRouter(tags=["一事一档"], responses=PROBLEMS)
