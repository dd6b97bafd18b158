"""一事一议 money and labour, pure: the caps at their boundary, what a household owes with exemptions,
the reasons an exemption or a payment is refused, and the matter's account."""

from __future__ import annotations

import pytest

from app.domain import funds as F


@pytest.mark.parametrize(("per_capita", "days", "cap", "day_cap", "problems"), [
    (1500, 10, 1500, 10, []),  # exactly at both caps
    (1501, 10, 1500, 10, ["人均筹资 15.01 元，超过上限 15.00 元"]),
    (1500, 11, 1500, 10, ["人均筹劳 11 天，超过上限 10 天"]),
    (1501, 11, 1500, 10, ["人均筹资 15.01 元，超过上限 15.00 元", "人均筹劳 11 天，超过上限 10 天"]),
    (0, 0, 0, 0, []),
])
def test_caps(per_capita, days, cap, day_cap, problems):
    assert F.cap_problems(F.Plan(per_capita, days), cap, day_cap) == problems


@pytest.mark.parametrize(("members", "exempted", "due"), [
    (4, 0, F.Due(4, 0, 4000, 4)),
    (4, 1, F.Due(3, 1, 3000, 3)),
    (4, 4, F.Due(0, 4, 0, 0)),  # everyone excused: nothing owed
    (4, 9, F.Due(0, 4, 0, 0)),  # never more excused than there are people
    (1, -1, F.Due(1, 0, 1000, 1)),
    (0, 0, F.Due(0, 0, 0, 0)),
])
def test_a_household_owes_its_counted_people_times_the_plan(members, exempted, due):
    assert F.due(F.Plan(1000, 1), members, exempted) == due


@pytest.mark.parametrize(("reason", "note", "problem"), [
    ("wubao", "", None),
    ("other", "家中遭灾", None),
    ("other", "  ", "原因选“其他”时请写明情况"),
    ("rich", "", "请选择减免原因"),
    ("student", "字" * 200, None),
    ("student", "字" * 201, "说明最多 200 个字"),
])
def test_exemption_reasons(reason, note, problem):
    assert F.check_exemption(reason, note) == problem


@pytest.mark.parametrize(("amount", "outstanding", "receipt", "problem"), [
    (1000, 1000, "NO.1", None),  # paying exactly what is owed
    (1001, 1000, "NO.1", "这一户还应缴 10.00 元，收款不能超过"),
    (1, 0, "NO.1", "这一户还应缴 0.00 元，收款不能超过"),
    (0, 1000, "NO.1", "金额要大于 0"),
    (100, 1000, " ", "请填写收据号"),
    (100, 1000, "N" * 30, None),
    (100, 1000, "N" * 31, "收据号最多 30 个字"),
])
def test_payments(amount, outstanding, receipt, problem):
    assert F.check_payment(amount, outstanding, receipt) == problem


def test_the_account_balance_is_raised_less_spent():
    assert F.Account(3000, 2500).balance == 500 and F.Account(0, 100).balance == -100
