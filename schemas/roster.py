"""Roster checks and imports as the API shows them: validated from `services.roster.RosterReport`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from schemas.members import ActivationOut


class RosterRowError(BaseModel):
    row: int
    field: str
    message: str


class RosterOut(BaseModel):
    """A roster check (dry run: created/updated say what an import would do) or a finished import."""

    model_config = ConfigDict(from_attributes=True)

    dry_run: bool
    total: int
    created: int
    updated: int
    errors: list[RosterRowError]
    activation: list[ActivationOut]
    warnings: list[str] = Field(default_factory=list,
                                description="导入后的提示：村务监督委员会成员兼任村委会或与村委会成员同户")
