"""The village's books (村级账务) as the API shows them: the ledger and its chart of accounts, opening
balances, vouchers, months and their statements.

Money is integer fen (分) both ways, never yuan and never floats: a number with a fraction, a string or
a negative number is refused (422) before any service runs, and so is an amount past the bound
(`app/domain/bounds.MAX_FEN`). Input models only cap the size of what is sent; the rules of the books
(balanced, a leaf account, a month not closed…) are the services', which answer 422 with a Chinese
message per field (`lines.2.amount`, `rows.1.code`, `date`). The answers are filled from the services'
rows and views (`services.vouchers.VoucherView`, `services.periods.PeriodRow`,
`services.statements.Statement`), the ones the pages show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from app.domain import books as B
from app.domain import chart as C
from app.services import statements, vouchers
from schemas.attachments import AttachmentOut
from schemas.common import Fen, Id, Line, Text, out_model

if TYPE_CHECKING:
    from app.services.periods import PeriodRow

# An amount in fen as the API takes it: a whole number, not 12.5 and not "1250".
Amount = Annotated[Fen, Strict()]
Code = Annotated[Line, Field(max_length=20, description="科目编码，如 102 或 11201")]

_CAP = 1000  # free text is capped here; the services refuse anything past their own limits in Chinese


# --- the ledger and its accounts -------------------------------------------------------------------

class LedgerIn(BaseModel):
    chart: Line | None = Field(default=None, max_length=20,
                               description="会计制度：2023（农村集体经济组织会计制度，默认）或 2004")
    first_period: Line | None = Field(default=None, max_length=20, description="账簿起始月份，如 2026-01；不填为本月")


class LedgerEdit(BaseModel):
    chart: Line | None = Field(default=None, max_length=20, description="换会计制度（还没有凭证时）：2023 或 2004")
    receipts_public: bool | None = Field(default=None, description="原始凭证图片是否对所有人公开（村委会）")

    @model_validator(mode="after")
    def _something(self) -> LedgerEdit:
        if self.chart is None and self.receipts_public is None:
            raise PydanticCustomError("cunyi_reason", "要写明改什么：chart 或 receipts_public")
        return self


class LedgerOut(BaseModel):
    village_id: int
    chart: str = Field(description="2023 或 2004")
    chart_title: str
    citation: str
    first_period: str
    first_period_label: str
    receipts_public: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, ledger: Any) -> LedgerOut:
        chart = C.CHARTS[ledger.chart]
        return cls(village_id=ledger.village_id, chart=chart.key, chart_title=chart.title, citation=chart.citation,
                   first_period=ledger.first_period, first_period_label=B.period_label(ledger.first_period),
                   receipts_public=ledger.receipts_public, created_at=ledger.created_at, updated_at=ledger.updated_at)


class AccountIn(BaseModel):
    parent: Code = Field(description="上级科目编码")
    code: Code = Field(description="新明细科目的编码：上级编码后加两位，如 112 下的 11201")
    name: Line = Field(max_length=_CAP, description="科目名称，最多 40 个字")


class AccountEdit(BaseModel):
    name: Line = Field(max_length=_CAP, description="科目名称，最多 40 个字；国家规定的科目不能改名")


class AccountOut(BaseModel):
    code: str
    name: str
    kind: str = Field(description="asset / liability / equity / cost / pnl")
    kind_name: str
    side: str = Field(description="余额方向：debit 借 / credit 贷")
    side_name: str
    statutory: bool = Field(description="国家统一规定的科目（不是本村加的明细科目）")
    leaf: bool = Field(description="最末一级：只有它能记账")
    parent: str | None = Field(description="上级科目编码；一级科目为 null")
    depth: int = Field(description="0 为一级科目，1–3 为明细科目")
    opening: int | None = Field(description="期初余额（分，按余额方向）；只给管账、监督的人看，其他人为 null")

    @classmethod
    def of(cls, account: Any, depth: int, show_opening: bool) -> AccountOut:
        return cls(code=account.code, name=account.name, kind=account.kind, kind_name=C.KINDS[account.kind],
                   side=account.side, side_name=B.SIDES[account.side], statutory=account.statutory,
                   leaf=account.leaf, parent=account.code[:-C.SUB_DIGITS] if account.parent_id else None,
                   depth=depth, opening=account.opening if show_opening else None)


class OpeningRowIn(BaseModel):
    code: Code
    debit: Amount = 0
    credit: Amount = 0


class OpeningsIn(BaseModel):
    rows: list[OpeningRowIn] = Field(max_length=2000, description="期初余额，按科目余额表的借方、贷方两栏填（分）；"
                                                                   "没写到的科目为零")


class OpeningsOut(BaseModel):
    count: int = Field(description="有期初余额的科目数")


# --- vouchers -------------------------------------------------------------------------------------

class VoucherLineIn(BaseModel):
    account: Code = Field(description="最末一级科目的编码")
    debit: Amount = 0
    credit: Amount = 0
    summary: Line = Field(default="", max_length=_CAP, description="本行摘要，可不填")


class VoucherIn(BaseModel):
    date: dt.date | None = Field(default=None, description="凭证日期：账簿起始月份至今天，所在月份未结账")
    summary: Line = Field(default="", max_length=_CAP, description="摘要，最多 60 个字")
    lines: list[VoucherLineIn] = Field(default_factory=list, max_length=100,
                                       description="2–30 行，每行只填借方或贷方（分），借贷相等")
    proposal_id: Id | None = Field(default=None, description="关联的事项（如一事一议）")
    contract_id: Id | None = Field(default=None, description="关联的合同（发包、租赁）")

    def data(self) -> vouchers.VoucherIn:
        return vouchers.VoucherIn(self.date, self.summary, [
            B.Line(line.account.strip(), line.debit, line.credit, line.summary) for line in self.lines
        ], self.proposal_id, self.contract_id)


class ReverseIn(BaseModel):
    date: dt.date | None = Field(default=None, description="冲销凭证的日期；不填为今天")


class ReturnIn(BaseModel):
    note: Text = Field(default="", max_length=_CAP, description="退回的原因（必填，最多 200 个字）")


VoucherLineOut = out_model(vouchers.LineView, "VoucherLineOut", doc="One line of a voucher (amounts in fen).",
                           descriptions={"account": "科目全称，如 应收款—张三"})


class VoucherSummary(BaseModel):
    id: int
    village_id: int
    period: str
    period_label: str
    number: int | None = Field(description="记字第几号：记账时按月编号；未记账为 null")
    label: str
    date: dt.date
    summary: str
    state: str = Field(description="draft 待审核 / reviewed 已审核 / posted 已记账")
    state_name: str
    total: int = Field(description="借方合计（= 贷方合计），分")
    receipt_count: int
    reverses_id: int | None = Field(description="冲销的原凭证")
    proposal_id: int | None
    contract_id: int | None
    updated_at: dt.datetime

    @classmethod
    def of(cls, v: Any, receipts: int) -> VoucherSummary:
        return cls(id=v.id, village_id=v.village_id, period=v.period, period_label=B.period_label(v.period),
                   number=v.number, label=B.voucher_label(v.number), date=v.voucher_date, summary=v.summary,
                   state=v.state, state_name=B.VOUCHER_STATES[v.state], total=v.total, receipt_count=receipts,
                   reverses_id=v.reverses_id, proposal_id=v.proposal_id, contract_id=v.contract_id,
                   updated_at=v.updated_at)


class VoucherOut(VoucherSummary):
    lines: list[VoucherLineOut]  # type: ignore[valid-type]
    prepared_by: int
    preparer: str
    created_at: dt.datetime
    reviewed_by: int | None
    reviewer: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None = Field(description="退回意见")
    posted_by: int | None
    poster: str | None
    posted_at: dt.datetime | None
    reversed_by_id: int | None = Field(description="冲销这张凭证的凭证")
    proposal_title: str | None
    contract_title: str | None = Field(description="关联合同的标的和对方")
    receipts: list[AttachmentOut] | None = Field(
        description="原始凭证（图片、PDF）；看不到的人为 null（默认只给本村村民看，村里可设为公开）")
    caps: dict[str, bool] = Field(
        description="这位调用者现在能做的：edit, delete, attach, review, return, post, reverse")

    @classmethod
    def of(cls, view: vouchers.VoucherView, attachment: Callable[[Any], AttachmentOut]) -> VoucherOut:
        v = view.voucher
        return cls(
            **VoucherSummary.of(v, view.receipt_count).model_dump(),
            lines=[VoucherLineOut.model_validate(line) for line in view.lines],
            prepared_by=v.prepared_by, preparer=view.preparer, created_at=v.created_at, reviewed_by=v.reviewed_by,
            reviewer=view.reviewer, reviewed_at=v.reviewed_at, review_note=v.review_note, posted_by=v.posted_by,
            poster=view.poster, posted_at=v.posted_at, reversed_by_id=view.reversed_by.id if view.reversed_by else None,
            proposal_title=view.proposal_title, contract_title=view.contract_title,
            receipts=[attachment(a) for a in view.receipts] if view.receipts is not None else None,
            caps=dict(view.caps),
        )


# --- months and statements ----------------------------------------------------------------------

class ReopenIn(BaseModel):
    reason: Text = Field(default="", max_length=_CAP, description="反结账的原因（必填，最多 200 个字）")


class PeriodOut(BaseModel):
    period: str
    label: str
    state: str = Field(description="open 未结账 / closed 已结账")
    state_name: str
    vouchers: int = Field(description="已记账的凭证数")
    waiting: int = Field(description="还没记账的凭证数")
    closed_at: dt.datetime | None
    closed_by: str | None = Field(description="结账人")
    notice_id: int | None = Field(description="这个月的财务收支公开")
    notice_state: str | None
    reopen_reason: str | None

    @classmethod
    def of(cls, row: PeriodRow) -> PeriodOut:
        return cls(period=row.period, label=row.label, state=row.state, state_name=B.PERIOD_STATES[row.state],
                   vouchers=row.vouchers, waiting=row.waiting, closed_at=row.closed_at, closed_by=row.closed_by,
                   notice_id=row.notice_id, notice_state=row.notice_state, reopen_reason=row.reopen_reason)


class StatementRowOut(BaseModel):
    """One account's line of the 科目余额表 (balances on the account's side, fen)."""

    code: str
    name: str
    depth: int
    kind: str
    side: str
    opening: int
    debit: int
    credit: int
    closing: int


class TotalsOut(BaseModel):
    """The trial balance's totals, as debit and credit columns (fen): each pair is equal when balanced."""

    opening_debit: int
    opening_credit: int
    debit: int
    credit: int
    closing_debit: int
    closing_credit: int


class CashOut(BaseModel):
    """Money in hand (库存现金 and 银行存款): opening + received − paid = closing (fen)."""

    opening: int
    received: int
    paid: int
    closing: int


DetailLineOut = out_model(statements.DetailLine, "DetailLineOut",
                          doc="One voucher's income or expense in an account (fen).",
                          descriptions={"number": "记字第几号", "receipts": "原始凭证张数"})


class DetailGroupOut(BaseModel):
    code: str
    name: str
    total: int
    lines: list[DetailLineOut]  # type: ignore[valid-type]


class StatementOut(BaseModel):
    village_id: int
    period: str
    start: str = Field(description="从哪个月算起：本月，或年初（ytd=true，不早于账簿起始月份）")
    label: str
    year_to_date: bool
    closed: bool
    balanced: bool
    vouchers: int = Field(description="已记账的凭证数")
    rows: list[StatementRowOut]
    totals: TotalsOut
    cash: CashOut | None = Field(description="本月现金和银行存款的收付；年累计时为 null")
    income: list[DetailGroupOut] = Field(description="本月收入明细；年累计时为空")
    expense: list[DetailGroupOut] = Field(description="本月支出明细；年累计时为空")
    income_total: int
    expense_total: int

    @classmethod
    def of(cls, s: statements.Statement, year_to_date: bool) -> StatementOut:
        def group(g: statements.DetailGroup) -> DetailGroupOut:
            return DetailGroupOut(code=g.code, name=g.name, total=g.total,
                                  lines=[DetailLineOut.model_validate(line) for line in g.lines])

        return cls(
            village_id=s.village.id, period=s.period, start=s.start, label=s.label,
            year_to_date=year_to_date, closed=s.closed, balanced=s.balanced,
            vouchers=s.vouchers,
            rows=[StatementRowOut(code=r.account.code, name=r.account.name, depth=r.depth, kind=r.account.kind,
                                  side=r.account.side, opening=r.opening, debit=r.debit, credit=r.credit,
                                  closing=r.closing) for r in s.rows],
            totals=TotalsOut(**s.totals),
            cash=CashOut(opening=s.cash.opening, received=s.cash.received, paid=s.cash.paid,
                         closing=s.cash.closing) if s.cash else None,
            income=[group(g) for g in s.income], expense=[group(g) for g in s.expense],
            income_total=s.income_total, expense_total=s.expense_total,
        )
