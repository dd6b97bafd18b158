"""The two charts of accounts as data (the 2023 appendix's 42 accounts, the 2004 chart's 33 and its three
optional ones) and the rules of a village's own sub-accounts (明细科目)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from app.domain import chart as C
from app.domain.books import CREDIT, DEBIT
from app.domain.chart import ASSET, CHART_2004, CHART_2023, COST, EQUITY, LIABILITY, PNL

BOTH = [CHART_2023, CHART_2004]
CLASS_DIGIT = {ASSET: "1", LIABILITY: "2", EQUITY: "3", COST: "4", PNL: "5"}


# --- the 2023 chart --------------------------------------------------------------------------------

def test_the_2023_chart_has_the_appendix_42_accounts_in_five_classes():
    assert len(CHART_2023.accounts) == 42
    assert Counter(a.kind for a in CHART_2023.accounts) == {ASSET: 19, LIABILITY: 8, EQUITY: 4, COST: 1, PNL: 10}


def test_the_2023_chart_is_the_default_and_in_force_from_2024():
    assert C.DEFAULT_CHART == "2023"
    assert set(C.CHARTS) == {"2023", "2004"}
    assert C.CHARTS["2023"] is CHART_2023 and C.CHARTS["2004"] is CHART_2004
    assert CHART_2023.in_force == date(2024, 1, 1)
    assert CHART_2004.in_force == date(2005, 1, 1)
    assert "财会〔2023〕14号" in CHART_2023.citation
    assert "财会〔2004〕12号" in CHART_2004.citation


@pytest.mark.parametrize(("code", "name", "kind", "side"), [
    ("101", "库存现金", ASSET, DEBIT),
    ("102", "银行存款", ASSET, DEBIT),
    ("112", "应收款", ASSET, DEBIT),
    ("133", "生产性生物资产累计折旧", ASSET, CREDIT),
    ("152", "累计折旧", ASSET, CREDIT),
    ("162", "累计摊销", ASSET, CREDIT),
    ("181", "待处理财产损溢", ASSET, DEBIT),
    ("211", "应付款", LIABILITY, CREDIT),
    ("231", "一事一议资金", LIABILITY, CREDIT),
    ("241", "专项应付款", LIABILITY, CREDIT),
    ("301", "资本", EQUITY, CREDIT),
    ("322", "收益分配", EQUITY, CREDIT),
    ("401", "生产（劳务）成本", COST, DEBIT),
    ("503", "补助收入", PNL, CREDIT),
    ("514", "公益支出", PNL, DEBIT),
    ("521", "所得税费用", PNL, DEBIT),
])
def test_2023_accounts(code, name, kind, side):
    assert CHART_2023.account(code) == C.ChartAccount(code, name, kind, side)


def test_the_2023_contra_accounts_keep_credit_balances():
    assert {a.code for a in CHART_2023.accounts if a.kind == ASSET and a.side == CREDIT} == {"133", "152", "162"}


def test_the_2023_income_and_expense_accounts():
    assert CHART_2023.income() == ("501", "502", "503", "504")
    assert CHART_2023.expense() == ("511", "512", "513", "514", "515", "521")


# --- the 2004 chart --------------------------------------------------------------------------------

def test_the_2004_chart_has_33_accounts_and_the_three_a_village_may_add():
    assert len(CHART_2004.accounts) == 36
    optional = {"161": "无形资产", "171": "拨付所属单位资金", "241": "专项应付款"}
    assert {code: CHART_2004.account(code).name for code in optional} == optional
    assert len([a for a in CHART_2004.accounts if a.code not in optional]) == 33
    assert Counter(a.kind for a in CHART_2004.accounts) == {ASSET: 15, LIABILITY: 7, EQUITY: 4, COST: 1, PNL: 9}


@pytest.mark.parametrize(("code", "name", "kind", "side"), [
    ("101", "现金", ASSET, DEBIT),
    ("131", "牲畜（禽）资产", ASSET, DEBIT),
    ("152", "累计折旧", ASSET, CREDIT),
    ("202", "应付款", LIABILITY, CREDIT),
    ("212", "应付福利费", LIABILITY, CREDIT),
    ("502", "经营支出", PNL, DEBIT),
    ("511", "发包及上交收入", PNL, CREDIT),
    ("561", "投资收益", PNL, CREDIT),
])
def test_2004_accounts(code, name, kind, side):
    assert CHART_2004.account(code) == C.ChartAccount(code, name, kind, side)


def test_the_2004_contra_account_and_income_and_expense():
    assert {a.code for a in CHART_2004.accounts if a.kind == ASSET and a.side == CREDIT} == {"152"}
    assert CHART_2004.income() == ("501", "511", "521", "522", "531", "561")
    assert CHART_2004.expense() == ("502", "541", "551")


# --- both charts -----------------------------------------------------------------------------------

@pytest.mark.parametrize("chart", BOTH, ids=lambda c: c.key)
def test_codes_are_unique_three_ascii_digits_in_order_and_led_by_their_class(chart):
    codes = [a.code for a in chart.accounts]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 3 and c.isascii() and c.isdigit() for c in codes)
    assert codes == sorted(codes)
    assert all(a.code[0] == CLASS_DIGIT[a.kind] for a in chart.accounts)
    assert len({a.name for a in chart.accounts}) == len(codes)


@pytest.mark.parametrize("chart", BOTH, ids=lambda c: c.key)
def test_liabilities_and_equity_are_credit_side_costs_debit_side(chart):
    for a in chart.accounts:
        if a.kind in (LIABILITY, EQUITY):
            assert a.side == CREDIT, a
        if a.kind == COST:
            assert a.side == DEBIT, a


@pytest.mark.parametrize("chart", BOTH, ids=lambda c: c.key)
def test_the_yishiyiyi_fund_is_a_credit_liability(chart):
    assert chart.fund == "231"
    assert chart.account("231") == C.ChartAccount("231", "一事一议资金", LIABILITY, CREDIT)


@pytest.mark.parametrize(("chart", "names"), [
    (CHART_2023, ["库存现金", "银行存款"]),
    (CHART_2004, ["现金", "银行存款"]),
], ids=["2023", "2004"])
def test_money_in_hand_is_cash_and_bank_debit_assets(chart, names):
    assert chart.cash == ("101", "102")
    accounts = [chart.account(code) for code in chart.cash]
    assert [a.name for a in accounts] == names
    assert all(a.kind == ASSET and a.side == DEBIT for a in accounts)


@pytest.mark.parametrize("chart", BOTH, ids=lambda c: c.key)
def test_income_and_expense_partition_the_pnl_accounts(chart):
    pnl = {a.code for a in chart.accounts if a.kind == PNL}
    income, expense = set(chart.income()), set(chart.expense())
    assert income and expense
    assert income.isdisjoint(expense)
    assert income | expense == pnl
    assert all(chart.account(c).side == CREDIT for c in income)
    assert all(chart.account(c).side == DEBIT for c in expense)


@pytest.mark.parametrize("code", ["999", "", "1010", "10"])
def test_an_unknown_code_is_no_account(code):
    assert CHART_2023.account(code) is None
    assert CHART_2004.account(code) is None


# --- sub-accounts ----------------------------------------------------------------------------------

FORMAT_112 = "明细科目编号是上级编号 112 后面加两位数字，例如 11201"


@pytest.mark.parametrize(("parent", "depth", "code", "name", "taken", "problem"), [
    # accepted
    ("112", 0, "11201", "张三", set(), None),
    ("112", 0, " 11299 ", " 张三 ", set(), None),
    ("112", 0, "11202", "名" * 40, {"112", "11201"}, None),
    ("11201", 1, "1120101", "张三家", set(), None),
    ("1120101", 2, "112010101", "张三家的水费", set(), None),  # the third and last level
    # too deep
    ("112010101", 3, "11201010101", "再往下", set(), "明细科目最多 3 级"),
    ("112010101", 3, "", "", set(), "明细科目最多 3 级"),  # depth is said first
    # the name
    ("112", 0, "11201", "", set(), "请填写科目名称"),
    ("112", 0, "11201", "  \t", set(), "请填写科目名称"),
    ("112", 0, "11201", None, set(), "请填写科目名称"),
    ("112", 0, "11201", "名" * 41, set(), "科目名称最多 40 个字"),
    # the code
    ("112", 0, "", "张三", set(), FORMAT_112),
    ("112", 0, None, "张三", set(), FORMAT_112),
    ("112", 0, "1121", "张三", set(), FORMAT_112),
    ("112", 0, "112001", "张三", set(), FORMAT_112),
    ("112", 0, "11301", "张三", set(), FORMAT_112),
    ("112", 0, "12201", "张三", set(), FORMAT_112),
    ("112", 0, "112ab", "张三", set(), FORMAT_112),
    ("112", 0, "112-1", "张三", set(), FORMAT_112),
    ("112", 0, "１１２０１", "张三", set(), FORMAT_112),  # full-width digits
    ("112", 0, "112０1", "张三", set(), FORMAT_112),
    ("11201", 1, "11202", "张三家", set(),
     "明细科目编号是上级编号 11201 后面加两位数字，例如 1120101"),
    ("112", 0, "11200", "张三", set(), "明细科目编号的最后两位从 01 开始"),
    ("11201", 1, "1120100", "张三家", set(), "明细科目编号的最后两位从 01 开始"),
    ("112", 0, "11201", "李四", {"11201"}, "科目编号 11201 已经有了"),
    ("112", 0, " 11201 ", "李四", {"11201"}, "科目编号 11201 已经有了"),
])
def test_check_sub_account(parent, depth, code, name, taken, problem):
    assert C.check_sub_account(parent, depth, code, name, taken) == problem


@pytest.mark.parametrize(("parent", "taken", "suggested"), [
    ("112", set(), "11201"),
    ("112", {"112", "11201", "11202", "11204"}, "11203"),
    ("112", {f"112{n:02d}" for n in range(1, 99)}, "11299"),
    ("112", {f"112{n:02d}" for n in range(1, 100)}, None),
    ("112", {f"113{n:02d}" for n in range(1, 100)}, "11201"),  # another parent's codes do not count
    ("11201", {"1120101"}, "1120102"),
])
def test_next_sub_code(parent, taken, suggested):
    assert C.next_sub_code(parent, taken) == suggested


def test_the_suggested_code_always_passes_the_check():
    taken = {"11201", "11203"}
    code = C.next_sub_code("112", taken)
    assert code == "11202"
    assert C.check_sub_account("112", 0, code, "王五", taken) is None
