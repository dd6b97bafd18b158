from __future__ import annotations

from pydantic import BaseModel

from schemas.members import ActivationOut


class RosterRowError(BaseModel):
    row: int
    field: str
    message: str


class RosterOut(BaseModel):
    """A roster check (dry run: created/updated say what an import would do) or a finished import."""

    dry_run: bool
    total: int
    created: int
    updated: int
    errors: list[RosterRowError]
    activation: list[ActivationOut]
