"""一事一议 money and labour (筹资筹劳), pure: who is counted, what each household owes, the caps.

A passed 一事一议 matter's plan names a sum per person and days of labour per person. Each household
owes its counted people times those: its members on the roster, less the people exempted. An
exemption names its reason (五保户, 低保户, serving soldiers, students in school, …) and who approved
it. The province caps a matter's money and labour per person (《村民一事一议筹资筹劳管理办法》 leaves
the caps to the provinces; the township sets them, the village's own setting applies otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.money import yuan

REASONS = {
    "wubao": "五保户",
    "dibao": "低保户",
    "soldier": "现役军人",
    "student": "在校学生",
    "disabled": "重度残疾",
    "elderly": "高龄老人",
    "other": "其他",
}
NOTE_MAX = 200
RECEIPT_MAX = 30


@dataclass(frozen=True)
class Plan:
    per_capita: int  # fen per counted person
    labour_days: int  # days per counted person


@dataclass(frozen=True)
class Due:
    persons: int
    exempted: int
    amount: int
    labour: int


def cap_problems(plan: Plan, per_capita_cap: int, labour_cap: int) -> list[str]:
    """Why a plan is over the caps ([] when it is within them, the caps included)."""
    out = []
    if plan.per_capita > per_capita_cap:
        out.append(f"人均筹资 {yuan(plan.per_capita)} 元，超过上限 {yuan(per_capita_cap)} 元")
    if plan.labour_days > labour_cap:
        out.append(f"人均筹劳 {plan.labour_days} 天，超过上限 {labour_cap} 天")
    return out


def due(plan: Plan, members: int, exempted: int) -> Due:
    """What a household of `members` people, `exempted` of them excused, owes."""
    exempted = min(max(exempted, 0), members)
    counted = members - exempted
    return Due(counted, exempted, counted * plan.per_capita, counted * plan.labour_days)


def check_exemption(reason: str, note: str) -> str | None:
    if reason not in REASONS:
        return "请选择减免原因"
    if reason == "other" and not (note or "").strip():
        return "原因选“其他”时请写明情况"
    if len((note or "").strip()) > NOTE_MAX:
        return f"说明最多 {NOTE_MAX} 个字"
    return None


def check_payment(amount: int, outstanding: int, receipt_no: str) -> str | None:
    """Why a payment may not be recorded (None when it may)."""
    receipt_no = (receipt_no or "").strip()
    if not receipt_no:
        return "请填写收据号"
    if len(receipt_no) > RECEIPT_MAX:
        return f"收据号最多 {RECEIPT_MAX} 个字"
    if amount <= 0:
        return "金额要大于 0"
    if amount > outstanding:
        return f"这一户还应缴 {yuan(max(outstanding, 0))} 元，收款不能超过"
    return None


@dataclass(frozen=True)
class Account:
    """A matter's money as the public sees it: raised, spent, what is left."""

    raised: int
    spent: int

    @property
    def balance(self) -> int:
        return self.raised - self.spent
