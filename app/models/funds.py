"""一事一议 money and labour (筹资筹劳), and the village's contracts and fixed assets (三资).

A passed 一事一议 matter's plan becomes an obligation per household; exemptions are recorded per
person with a reason and who approved them; money received per household posts to 一事一议资金 by
itself; labour is recorded per person. Contracts (发包、租赁) carry their instalments; fixed assets
are listed with their value, date and place.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class FundObligation(SQLModel, table=True):
    """What one household owes a matter: its counted people × the plan's per-person money and labour."""

    __tablename__ = "fund_obligation"
    __table_args__ = (UniqueConstraint("proposal_id", "household_id"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    proposal_id: int = Field(foreign_key="proposal.id")
    household_id: int = Field(foreign_key="household.id")
    persons: int = 0  # people counted (members of the household, less the exempted)
    exempted: int = 0
    amount_due: int = Field(default=0, sa_type=BigInteger)
    labour_due: int = 0  # person-days
    updated_at: datetime = Field(default_factory=utcnow)


class FundExemption(SQLModel, table=True):
    """A person excused from a matter's money and labour (五保户, 低保户, 现役军人, 在校学生…)."""

    __tablename__ = "fund_exemption"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    proposal_id: int = Field(foreign_key="proposal.id")
    user_id: int = Field(foreign_key="user.id")
    reason: str = Field(max_length=20)
    note: str = Field(default="", max_length=200)
    approved_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class FundPayment(SQLModel, table=True):
    """Money a household paid toward a matter, by receipt (收据号); it posts a voucher by itself."""

    __tablename__ = "fund_payment"
    __table_args__ = (
        UniqueConstraint("village_id", "receipt_no"),
        Index("ix_fund_payment_proposal_household", "proposal_id", "household_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    proposal_id: int = Field(foreign_key="proposal.id")
    household_id: int = Field(foreign_key="household.id")
    amount: int = Field(sa_type=BigInteger)
    receipt_no: str = Field(max_length=30)
    received_on: date
    voucher_id: int = Field(foreign_key="voucher.id")
    recorded_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class LabourRecord(SQLModel, table=True):
    """Days of work one person gave a matter (投劳)."""

    __tablename__ = "labour_record"
    __table_args__ = (Index("ix_labour_record_proposal_user", "proposal_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    proposal_id: int = Field(foreign_key="proposal.id")
    user_id: int = Field(foreign_key="user.id")
    days: int
    work_date: date
    recorded_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Contract(SQLModel, table=True):
    """A contract of the village's resources or assets (发包、租赁): a fish pond, land, a shop."""

    __table_args__ = (Index("ix_contract_village_end", "village_id", "end_date"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    kind: str = Field(max_length=10)  # contract (发包) / lease (租赁)
    subject: str = Field(max_length=60)
    counterparty: str = Field(max_length=60)
    start_date: date
    end_date: date
    total: int = Field(sa_type=BigInteger)
    income_code: str = Field(max_length=20)  # the income account its instalments credit
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    vote_session_id: int | None = Field(default=None, foreign_key="vote_session.id")
    note: str = Field(default="", max_length=500)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Instalment(SQLModel, table=True):
    """One amount a contract falls due on a date: a receivable once due (its voucher), paid by another."""

    __table_args__ = (Index("ix_instalment_village_due", "village_id", "due_date"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    contract_id: int = Field(foreign_key="contract.id", index=True)
    due_date: date
    amount: int = Field(sa_type=BigInteger)
    receivable_voucher_id: int | None = Field(default=None, foreign_key="voucher.id")
    payment_voucher_id: int | None = Field(default=None, foreign_key="voucher.id")


class FixedAsset(SQLModel, table=True):
    """A fixed asset of the village (固定资产台账)."""

    __tablename__ = "fixed_asset"
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    name: str = Field(max_length=60)
    category: str = Field(default="", max_length=20)
    value: int = Field(sa_type=BigInteger)
    acquired_on: date
    location: str = Field(default="", max_length=60)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id")
    disposed_on: date | None = None
    note: str = Field(default="", max_length=200)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
