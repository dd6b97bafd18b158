"""The audit chain: append-only events per village, each hashing the one before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

# Events that belong to no village (counties, townships, villages created; admin grants)
# form their own chain under this id.
PLATFORM_CHAIN = 0


class AuditEvent(SQLModel, table=True):
    """One state change. UPDATE and DELETE are refused by database triggers (see migrations).

    `village_id` carries no foreign key on purpose: nothing may cascade into the record.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("village_id", "seq"),
        # the record's filters: one object's events (a matter's, end to end), one kind, one action
        Index("ix_audit_event_village_entity", "village_id", "entity", "entity_id", "seq"),
        Index("ix_audit_event_village_action", "village_id", "action", "seq"),
    )
    id: int | None = Field(default=None, primary_key=True)
    village_id: int
    seq: int
    actor_id: int | None = None
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: str | None = Field(default=None, max_length=40)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class AuditHead(SQLModel, table=True):
    """The last event of each chain. Locking this row orders one village's writers only."""

    __tablename__ = "audit_head"
    village_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = 0
    hash: str = Field(max_length=64)


class Seal(SQLModel, table=True):
    """A chain's head (seq, hash) signed with the service's Ed25519 key (app/domain/seals.py). Seals
    are only ever added: triggers refuse UPDATE and DELETE (migration 0009)."""

    __table_args__ = (Index("ix_seal_chain_seq", "chain", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    chain: int  # a village's id, or PLATFORM_CHAIN
    seq: int
    hash: str = Field(max_length=64)
    sealed_at: datetime
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=120)
    sealed_by: int | None = None  # the monitor who asked; None for the daily seal
    created_at: datetime = Field(default_factory=utcnow)


class AuditPrivate(SQLModel, table=True):
    """A personal field of an event, kept beside the chain: the chain holds only its salted commitment
    (app/domain/audit_chain.commitment). Readers of the member list see it; nobody changes it
    (triggers, migration 0009)."""

    __tablename__ = "audit_private"
    __table_args__ = (UniqueConstraint("village_id", "seq", "field"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int
    seq: int
    field: str = Field(max_length=40)
    value: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON of the value
    salt: str = Field(max_length=32)


class JobRun(SQLModel, table=True):
    """A scheduled job's last run, and the lease that lets one worker at a time run it."""

    __tablename__ = "job_run"
    name: str = Field(primary_key=True, max_length=40)
    last_run_at: datetime | None = None
    leased_until: datetime | None = None
    last_result: str = Field(default="", max_length=200)


class AuditCheck(SQLModel, table=True):
    """The last full verification of a chain (the nightly `verify` job, `cunyi audit verify`): how far
    it reached and whether it held. A passing check is where later verification resumes: only the
    events after `seq` are recomputed, and the event at `seq` must still carry `hash`."""

    __tablename__ = "audit_check"
    chain: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    ok: bool
    seq: int  # the last event checked
    hash: str = Field(max_length=64)  # its hash
    broken_seq: int | None = None
    reason: str = Field(default="", max_length=200)
    checked_at: datetime
