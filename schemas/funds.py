"""API shapes of 一事一议 money and labour (筹资筹劳), contracts (发包、租赁) and fixed assets (固定资产).

Money is integer fen (分) both ways, never yuan and never floats: a fraction, a string or a negative
number is refused (422) before any service runs. Input models only cap the size of what is sent; the
rules (a household's outstanding amount, an income account, dates within the contract…) are the
services', which answer 422 with a Chinese message per field. The answers are read from the
services' views (`services.funds.FundSummary`, `HouseholdRow`, `ExemptionRow`,
`services.assets.ContractRow`) and rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict

from app.domain import funds as F
from app.services import assets, funds
from schemas.common import Fen, Id, Line, Text, out_model

Amount = Annotated[Fen, Strict()]  # a whole number of fen: not 12.5 and not "1250"
_CAP = 1000  # free text is capped here; the services refuse anything past their own limits in Chinese

REASON_KEYS = {name: key for key, name in F.REASONS.items()}
_REASONS = "、".join(f"{k}（{v}）" for k, v in F.REASONS.items())


# --- 筹资筹劳 ----------------------------------------------------------------------------------------

class FundAccountOut(BaseModel):
    """一事一议资金 of the matter: what posted vouchers put in, paid out, and what is left (fen)."""

    model_config = ConfigDict(from_attributes=True)
    raised: int = Field(description="收入（分）")
    spent: int = Field(description="支出（分）")
    balance: int = Field(description="结余（分）")


FundSummaryOut = out_model(
    funds.FundSummary, "FundSummaryOut", exclude=("account",),
    descriptions={"per_capita": "人均筹资（分）", "labour_days": "人均筹劳（天）", "households": "落实到的户数",
                  "persons": "计筹的人数（减免的不算）", "exempted": "减免的人数", "due": "应筹资（分）",
                  "paid": "已收（分）", "households_paid": "已缴款的户数", "labour_due": "应投劳（工日）",
                  "labour_done": "已投劳（工日）"},
    extra={"outstanding": (int, Field(description="欠缴（分）")),
           "account": (FundAccountOut, Field(description="一事一议资金的收入、支出、结余"))},
    doc="一事一议事项的筹资筹劳合计：登录的本村村民和乡镇监督员都能看。")

HouseholdOut = out_model(
    funds.HouseholdRow, "FundHouseholdOut",
    descriptions={"number": "户号", "persons": "计筹人数", "exempted": "减免人数", "due": "应缴（分）",
                  "paid": "已缴（分）", "labour_due": "应投劳（工日）", "labour_done": "已投劳（工日）"},
    extra={"outstanding": (int, Field(description="欠缴（分）"))},
    doc="一户的应缴、已缴和投劳。")


class ExemptionIn(BaseModel):
    user_id: Id = Field(description="减免的人（本村村民）")
    reason: Line = Field(max_length=20, description=f"减免原因：{_REASONS}")
    note: Line = Field(default="", max_length=_CAP, description="说明；原因选 other（其他）时必填，最多 200 个字")


class ExemptionOut(BaseModel):
    user_id: int
    name: str
    reason: str = Field(description="原因的代码，如 student")
    reason_name: str = Field(description="原因，如 在校学生")
    note: str
    approver: str = Field(description="批准的村委会成员")

    @classmethod
    def of(cls, row: funds.ExemptionRow) -> ExemptionOut:
        return cls(user_id=row.user_id, name=row.name, reason=REASON_KEYS.get(row.reason, ""), reason_name=row.reason,
                   note=row.note, approver=row.approver)


class PaymentIn(BaseModel):
    household_id: Id = Field(description="缴款的户")
    amount: Amount = Field(description="金额（分），不超过这一户还欠缴的")
    receipt_no: Line = Field(max_length=_CAP, description="收据号，本村不能重复，最多 30 个字")
    received_on: dt.date | None = Field(default=None, description="收款日期，不填为今天")


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    proposal_id: int
    household_id: int
    amount: int = Field(description="金额（分）")
    receipt_no: str
    received_on: dt.date
    voucher_id: int = Field(description="自动记账的凭证（借 库存现金，贷 一事一议资金）")
    created_at: dt.datetime


class LabourIn(BaseModel):
    user_id: Id = Field(description="投劳的人（本村村民）")
    days: int = Field(ge=1, le=30, description="天数，一次登记 1 到 30 天")
    work_date: dt.date | None = Field(default=None, description="投劳日期，不填为今天，不能晚于今天")


class LabourOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    proposal_id: int
    user_id: int
    days: int
    work_date: dt.date
    created_at: dt.datetime


# --- contracts ---------------------------------------------------------------------------------------

class ScheduleRowIn(BaseModel):
    due_date: dt.date = Field(description="应收日期，在合同期内")
    amount: Amount = Field(description="这一期的金额（分）")


class ContractIn(BaseModel):
    kind: Line = Field(max_length=20, description="contract（发包）或 lease（租赁）")
    subject: Line = Field(max_length=_CAP, description="标的，如 村东鱼塘，最多 60 个字")
    counterparty: Line = Field(max_length=_CAP, description="承包方或承租方，最多 60 个字")
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    income_code: Line = Field(max_length=20, description="收入科目（最末一级的收入类科目），如 501 经营收入")
    schedule: list[ScheduleRowIn] = Field(default_factory=list, max_length=500,
                                          description=f"各期应收，1 到 {assets.MAX_INSTALMENTS} 期")
    proposal_id: Id | None = Field(default=None, description="批准它的事项")
    vote_session_id: Id | None = Field(default=None, description="批准它的表决")
    note: Text = Field(default="", max_length=_CAP * 2, description="备注，最多 500 个字")

    def data(self) -> assets.ContractIn:
        return assets.ContractIn(self.kind.strip(), self.subject, self.counterparty, self.start_date, self.end_date,
                                 self.income_code.strip(), [(r.due_date, r.amount) for r in self.schedule],
                                 self.proposal_id, self.vote_session_id, self.note)


class InstalmentOut(BaseModel):
    id: int
    due_date: dt.date
    amount: int = Field(description="金额（分）")
    receivable_voucher_id: int | None = Field(description="记应收的凭证（借 应收款，贷 收入科目）")
    payment_voucher_id: int | None = Field(description="记收款的凭证（借 银行存款，贷 应收款）")
    overdue: bool = Field(description="过了应收日期还没收款")

    @classmethod
    def of(cls, inst: Any, today: dt.date) -> InstalmentOut:
        return cls(id=inst.id, due_date=inst.due_date, amount=inst.amount,
                   receivable_voucher_id=inst.receivable_voucher_id, payment_voucher_id=inst.payment_voucher_id,
                   overdue=assets.overdue(inst, today))


class ContractSummary(BaseModel):
    id: int
    village_id: int
    kind: str = Field(description="contract（发包）/ lease（租赁）")
    kind_name: str
    subject: str
    counterparty: str
    start_date: dt.date
    end_date: dt.date
    total: int = Field(description="合同总额（分）")
    income_code: str
    proposal_id: int | None
    vote_session_id: int | None
    note: str
    created_at: dt.datetime
    paid: int = Field(description="已收（分）")
    due_now: int = Field(description="已到期未收（分）")
    overdue: int = Field(description="逾期未收的期数")
    next_due: dt.date | None = Field(description="下一期应收日期（还没到期的）")

    @classmethod
    def fields_of(cls, c: Any) -> dict:
        return {"id": c.id, "village_id": c.village_id, "kind": c.kind, "kind_name": assets.KINDS.get(c.kind, c.kind),
                "subject": c.subject, "counterparty": c.counterparty, "start_date": c.start_date,
                "end_date": c.end_date, "total": c.total, "income_code": c.income_code, "proposal_id": c.proposal_id,
                "vote_session_id": c.vote_session_id, "note": c.note, "created_at": c.created_at}

    @classmethod
    def of(cls, row: assets.ContractRow) -> ContractSummary:
        return cls(**cls.fields_of(row.contract), paid=row.paid, due_now=row.due_now, overdue=row.overdue,
                   next_due=row.next_due)


class ContractOut(ContractSummary):
    instalments: list[InstalmentOut]

    @classmethod
    def of_view(cls, row: assets.ContractRow, today: dt.date) -> ContractOut:
        """The contract with its instalments: the same figures as the list (services/assets._row)."""
        return cls(**ContractSummary.of(row).model_dump(),
                   instalments=[InstalmentOut.of(i.instalment, today) for i in row.instalments])


class InstalmentPaymentIn(BaseModel):
    received_on: dt.date | None = Field(default=None, description="收款日期，不填为今天")


# --- fixed assets --------------------------------------------------------------------------------

class AssetIn(BaseModel):
    name: Line = Field(max_length=_CAP, description="资产名称，最多 60 个字")
    value: Amount = Field(description="原值（分）")
    acquired_on: dt.date | None = Field(default=None, description="购建日期，不能晚于今天")
    location: Line = Field(default="", max_length=_CAP, description="存放地点，最多 60 个字")
    category: Line = Field(default="", max_length=_CAP, description="类别，如 房屋、机械，最多 20 个字")
    proposal_id: Id | None = Field(default=None, description="购建它的事项")
    note: Line = Field(default="", max_length=_CAP, description="备注，最多 200 个字")

    def data(self) -> assets.AssetIn:
        return assets.AssetIn(self.name, self.value, self.acquired_on, self.location, self.category,
                              self.proposal_id, self.note)


class DisposeIn(BaseModel):
    disposed_on: dt.date | None = Field(default=None, description="处置日期，不填为今天")
    note: Line = Field(default="", max_length=_CAP, description="处置情况（报废、出售、毁损…），必填")


class AssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    village_id: int
    name: str
    category: str
    value: int = Field(description="原值（分）")
    acquired_on: dt.date
    location: str
    proposal_id: int | None
    disposed_on: dt.date | None = Field(description="处置日期；还在用的为 null")
    note: str
    created_at: dt.datetime
