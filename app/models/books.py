"""The village's books (村级账务): the ledger, its accounts, vouchers and their lines, and periods.

What must never change after the fact is refused by the database itself (migration 0007): a posted
voucher and its lines, posting into a closed period, and the receipts of a posted voucher.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

POSTED_SQL = "state = 'posted'"


class Ledger(SQLModel, table=True):
    """A village's set of books (账套): which chart it keeps and from which month. One per village;
    its row is also the lock every posting and close of the village takes first."""

    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", unique=True)
    chart: str = Field(max_length=10)  # a key of domain.chart.CHARTS: "2023" or "2004"
    first_period: str = Field(max_length=7)  # the month the books start: opening balances are its opening
    receipts_public: bool = False  # receipt images for everyone, not only the village's members
    opened_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Account(SQLModel, table=True):
    """An account of the village's chart: the statutory ones come from the chart (never changed), a
    village adds sub-accounts (明细科目) under them."""

    __table_args__ = (UniqueConstraint("village_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id", index=True)
    code: str = Field(max_length=20)
    name: str = Field(max_length=40)
    kind: str = Field(max_length=10)  # asset / liability / equity / cost / pnl
    side: str = Field(max_length=6)  # debit / credit
    parent_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    top_code: str = Field(max_length=20)  # the statutory account it belongs to (itself when statutory)
    statutory: bool = True
    leaf: bool = True
    opening: int = Field(default=0, sa_type=BigInteger)  # balance on its normal side at the books' start
    created_at: datetime = Field(default_factory=utcnow)


class Voucher(SQLModel, table=True):
    """记账凭证. Numbered within its period when posted; posted, it never changes (triggers)."""

    __table_args__ = (
        Index("ix_voucher_village_period_state", "village_id", "period", "state", "number"),
        Index("ix_voucher_village_state", "village_id", "state", "voucher_date"),
        Index("uq_voucher_number", "village_id", "period", "number", unique=True,
              sqlite_where=text("number IS NOT NULL"), postgresql_where=text("number IS NOT NULL")),
        Index("uq_voucher_reverses", "reverses_id", unique=True,
              sqlite_where=text("reverses_id IS NOT NULL"), postgresql_where=text("reverses_id IS NOT NULL")),
        # SQLite: a deleted draft voucher never hands its id to another (migration 0022)
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    period: str = Field(max_length=7)
    number: int | None = None
    voucher_date: date
    summary: str = Field(max_length=60)
    state: str = Field(default="draft", max_length=10)  # draft / reviewed / posted
    total: int = Field(default=0, sa_type=BigInteger)  # the debit total (= the credit total)
    reverses_id: int | None = Field(default=None, foreign_key="voucher.id")
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id", index=True)
    prepared_by: int = Field(foreign_key="user.id")
    reviewed_by: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = None
    review_note: str | None = Field(default=None, max_length=200)
    posted_by: int | None = Field(default=None, foreign_key="user.id")
    posted_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class VoucherLine(SQLModel, table=True):
    """One line of a voucher: one account, a debit or a credit in fen."""

    __tablename__ = "voucher_line"
    __table_args__ = (
        UniqueConstraint("voucher_id", "lineno"),
        Index("ix_voucher_line_account_period", "village_id", "account_id", "period"),  # an account's ledger
        Index("ix_voucher_line_period_account", "village_id", "period", "account_id"),  # a month's sums
    )
    id: int | None = Field(default=None, primary_key=True)
    voucher_id: int = Field(foreign_key="voucher.id")
    village_id: int = Field(foreign_key="village.id")
    period: str = Field(max_length=7)  # the voucher's, for sums by account and month
    lineno: int
    account_id: int = Field(foreign_key="account.id")
    summary: str = Field(default="", max_length=60)
    debit: int = Field(default=0, sa_type=BigInteger)
    credit: int = Field(default=0, sa_type=BigInteger)


class AccountPeriod(SQLModel, table=True):
    """A month of the books. Closed, nothing posts into it (trigger) until a township monitor reopens
    it with a reason; its close recorded every account's balances (PeriodBalance)."""

    __tablename__ = "account_period"
    __table_args__ = (UniqueConstraint("village_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    period: str = Field(max_length=7)
    state: str = Field(default="open", max_length=8)  # open / closed
    closed_by: int | None = Field(default=None, foreign_key="user.id")
    closed_at: datetime | None = None
    notice_id: int | None = Field(default=None, foreign_key="notice.id")  # the month's finance notice
    reopened_by: int | None = Field(default=None, foreign_key="user.id")
    reopened_at: datetime | None = None
    reopen_reason: str | None = Field(default=None, max_length=200)
    times_closed: int = 0


class PeriodBalance(SQLModel, table=True):
    """An account's figures for a closed month, written by the close: what statements of closed months
    and the openings of later months read instead of summing every line again."""

    __tablename__ = "period_balance"
    __table_args__ = (UniqueConstraint("village_id", "period", "account_id"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="village.id")
    period: str = Field(max_length=7)
    account_id: int = Field(foreign_key="account.id")
    opening: int = Field(default=0, sa_type=BigInteger)
    debit: int = Field(default=0, sa_type=BigInteger)
    credit: int = Field(default=0, sa_type=BigInteger)
    closing: int = Field(default=0, sa_type=BigInteger)
