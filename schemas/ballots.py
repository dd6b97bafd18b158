"""Ballots: request and response shapes.

A choice goes in as the option's index (0 = the first) or its label, and comes out as both:
`{"choice": 1, "choice_label": "反对"}`. After close the receipts and the choices are two separate
lists (receipt-freeness): no answer pairs a receipt with a choice.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from app.domain.votes import MAX_OPTIONS, OPTION_MAX
from schemas.common import Id, Line

ChoiceIndex = Annotated[StrictInt, Field(ge=0, le=MAX_OPTIONS - 1, description="选项的序号，0 为第一个")]
ChoiceLabel = Annotated[Line, Field(min_length=1, max_length=OPTION_MAX, description="选项的原文，如“反对”")]


class BallotIn(BaseModel):
    choice: ChoiceIndex | ChoiceLabel = Field(description="选项：序号（0 为第一个）或选项原文")
    on_behalf_of: Id | None = None  # a voter whose written proxy the caller holds


class CastOut(BaseModel):
    """The answer to the cast: the one place that names the choice just made."""

    receipt: str
    changed: bool
    choice: int
    choice_label: str


class MyBallotOut(BaseModel):
    """Whether the caller voted: never what they chose (a receipt proves inclusion only)."""

    voted: bool
    secret: bool
    receipt: str | None  # roll-call only: a secret ballot's receipt is shown once, when cast
    cast_by_proxy: bool


class BoxEntryOut(BaseModel):
    """One online ballot's choice, without its receipt."""

    choice: int
    choice_label: str
    voter: str | None = None  # roll-call ballots, for the village's members


class ReceiptEntryOut(BaseModel):
    receipt: str


class ReceiptOut(BaseModel):
    """A receipt found in the box: the ballot was counted. What it said is not told."""

    receipt: str
    included: bool = True
