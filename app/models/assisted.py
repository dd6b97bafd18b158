"""Assisted participation (代办): what a committee member records on behalf of a villager without a
phone — a co-signature from a signed paper sheet, an objection, a comment the villager dictated — and
the second member's decision that makes it count (or sends it back)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, text
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

PENDING_COSIGN_SQL = "kind = 'cosign' AND state = 'pending'"


class AssistedAct(SQLModel, table=True):
    """One act recorded for a villager (`user_id`) by a committee member (`recorded_by`). It counts
    once another committee member confirms it (`decided_by`): then the real co-signature, objection
    or comment exists, made by the same rules as online, and its id is kept here. The scan of a paper
    co-sign sheet is an attachment of owner type "assisted"."""

    __tablename__ = "assisted_act"
    __table_args__ = (
        # the committee's list: a village's records in one state, newest first
        Index("ix_assisted_act_village_state", "village_id", "state", "id"),
        # one paper co-sign waiting per person and matter, whatever the races
        Index("uq_assisted_act_pending_cosign", "proposal_id", "user_id", unique=True,
              sqlite_where=text(PENDING_COSIGN_SQL), postgresql_where=text(PENDING_COSIGN_SQL)),
    )
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    kind: str = Field(max_length=10)  # cosign / objection / comment
    user_id: int = Field(foreign_key="user.id", index=True)  # the villager it is for
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", index=True)  # co-sign, comment
    notice_id: int | None = Field(default=None, foreign_key="notice.id", index=True)  # objection
    body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # what the villager said
    state: str = Field(default="pending", max_length=10)  # pending / confirmed / rejected
    recorded_by: int = Field(foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="user.id")  # who confirmed or rejected it
    decided_at: datetime | None = None
    reason: str | None = Field(default=None, max_length=500)  # why it was rejected
    # what it became once confirmed (a co-signature withdrawn online later leaves NULL here)
    cosignature_id: int | None = Field(default=None, foreign_key="cosignature.id", unique=True, ondelete="SET NULL")
    objection_id: int | None = Field(default=None, foreign_key="objection.id", unique=True)
    comment_id: int | None = Field(default=None, foreign_key="comment.id", unique=True)
