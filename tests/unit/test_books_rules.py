"""The village books' pure rules at their boundaries: amounts typed in yuan, a voucher's every refusal
and what it accepts, months (periods) across year ends, and balances on each account's normal side."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import books as B
from app.domain.books import CREDIT, DEBIT, BalanceRow, CashLine, Line, Problem
from app.domain.bounds import MAX_FEN

# --- parse_amount ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "fen"), [
    (None, None),
    ("", None),
    ("   ", None),
    ("0", 0),  # a zero is an amount; the voucher check refuses a line without one
    ("0.01", 1),
    ("0.1", 10),
    ("12", 1200),
    ("12.5", 1250),
    ("5.", 500),
    ("1500.50", 150_050),
    ("1,500.5", 150_050),
    (" 1,500.50 ", 150_050),
    ("1，500.5", 150_050),  # a full-width comma
    ("１２", 1200),  # full-width digits, as a Chinese input method types them
    ("１，５００", 150_000),
    ("１２.５", 1250),
    ("¥12", 1200),
    ("12元", 1200),
    ("¥1,500.50元", 150_050),
    ("100000000000", MAX_FEN),  # exactly 1000 亿元
    ("100,000,000,000.00", MAX_FEN),
])
def test_parse_amount_accepts(text, fen):
    assert B.parse_amount(text) == fen


NOT_A_NUMBER = "金额要写数字，例如 1500 或 1500.50"
TWO_DECIMALS = "金额最多两位小数（到分）"
TOO_BIG = "金额不能超过 100,000,000,000.00 元"


@pytest.mark.parametrize(("text", "message"), [
    ("12.345", TWO_DECIMALS),
    ("0.001", TWO_DECIMALS),
    ("1,500.500", TWO_DECIMALS),
    ("-1", NOT_A_NUMBER),
    ("+1", NOT_A_NUMBER),
    ("abc", NOT_A_NUMBER),
    ("1e3", NOT_A_NUMBER),
    ("1 000", NOT_A_NUMBER),
    ("十二", NOT_A_NUMBER),
    ("²", NOT_A_NUMBER),
    ("12.5a", NOT_A_NUMBER),
    ("100000000000.01", TOO_BIG),  # one fen more than MAX_FEN
    ("100000000001", TOO_BIG),
])
def test_parse_amount_refuses_with_a_reason(text, message):
    with pytest.raises(ValueError) as refused:
        B.parse_amount(text)
    assert str(refused.value) == message


def test_the_largest_amount_shows_as_the_refusal_says():
    assert B.parse_amount("100000000000") == MAX_FEN == 10**13
    with pytest.raises(ValueError, match="100,000,000,000.00"):
        B.parse_amount(str(MAX_FEN // 100) + ".01")


# --- check_voucher ---------------------------------------------------------------------------------

KNOWN = {"101", "102", "112", "11201", "11202", "501", "513", "514"}
LEAVES = KNOWN - {"112"}  # 112 应收款 has sub-accounts
DAY = date(2026, 10, 8)


def check(day=DAY, summary="收鱼塘承包费", lines=None):
    if lines is None:
        lines = [Line("102", debit=500_000), Line("501", credit=500_000)]
    return B.check_voucher(day, summary, lines, LEAVES, KNOWN)


def pair(amount: int) -> list[Line]:
    return [Line("102", debit=amount), Line("501", credit=amount)]


def test_a_plain_two_line_voucher_passes():
    assert check() == []


@pytest.mark.parametrize("day", [date(2000, 1, 1), date(2099, 12, 31), date(2026, 2, 28)])
def test_dates_within_the_century_pass(day):
    assert check(day=day) == []


@pytest.mark.parametrize(("day", "message"), [
    (None, "请填写凭证日期"),
    (date(1999, 12, 31), "凭证日期不对"),
    (date(2100, 1, 1), "凭证日期不对"),
    (date(1, 1, 1), "凭证日期不对"),
])
def test_a_missing_or_out_of_range_date_is_refused(day, message):
    assert check(day=day) == [Problem("date", message)]


@pytest.mark.parametrize(("summary", "problems"), [
    ("", [Problem("summary", "请填写摘要")]),
    ("  \t ", [Problem("summary", "请填写摘要")]),
    (None, [Problem("summary", "请填写摘要")]),
    ("摘" * 60, []),
    ("  " + "摘" * 60 + "  ", []),  # surrounding spaces do not count
    ("摘" * 61, [Problem("summary", "摘要最多 60 个字")]),
])
def test_the_summary_is_required_and_at_most_60_characters(summary, problems):
    assert check(summary=summary) == problems


@pytest.mark.parametrize("lines", [[], [Line("102", debit=100)]])
def test_fewer_than_two_lines_is_refused_before_anything_about_the_lines(lines):
    assert check(lines=lines) == [Problem("lines", "一张凭证至少要有两行：一借一贷")]


def test_a_short_voucher_still_names_its_date_and_summary():
    assert B.check_voucher(None, "", [Line("", debit=-1)], LEAVES, KNOWN) == [
        Problem("date", "请填写凭证日期"), Problem("summary", "请填写摘要"),
        Problem("lines", "一张凭证至少要有两行：一借一贷")]


def test_thirty_lines_pass_and_thirty_one_are_refused():
    thirty = [Line("513", debit=100) for _ in range(29)] + [Line("102", credit=2900)]
    assert len(thirty) == B.MAX_LINES == 30
    assert check(lines=thirty) == []
    # The 31st line is refused for the count alone, before its (missing) account is looked at.
    assert check(lines=[*thirty, Line("", debit=-5)]) == [Problem("lines", "一张凭证最多 30 行")]


@pytest.mark.parametrize(("lines", "problems"), [
    ([Line("", debit=100), Line("501", credit=100)],
     [Problem("lines.1.account", "第 1 行没有选科目")]),
    ([Line("102", debit=100), Line("999", credit=100)],
     [Problem("lines.2.account", "第 2 行的科目 999 不存在")]),
    ([Line("112", debit=100), Line("501", credit=100)],
     [Problem("lines.1.account", "第 1 行的科目 112 有明细科目，请选到最末一级")]),
    ([Line("102", debit=100), Line("501", credit=50), Line("11201", credit=50)], []),
])
def test_each_line_names_a_leaf_account_of_the_chart(lines, problems):
    assert check(lines=lines) == problems


def test_an_unknown_account_does_not_hide_an_unbalanced_voucher():
    assert check(lines=[Line("999", debit=100), Line("501", credit=99)]) == [
        Problem("lines.1.account", "第 1 行的科目 999 不存在"),
        Problem("lines", "借贷不平：借方合计 1.00 元，贷方合计 0.99 元，相差 0.01 元")]


@pytest.mark.parametrize(("lines", "problem"), [
    ([Line("102", debit=-100), Line("501", credit=100)],
     Problem("lines.1.amount", "第 1 行的金额不能是负数；冲销请用红字冲销凭证")),
    ([Line("102", debit=100), Line("501", credit=-100)],
     Problem("lines.2.amount", "第 2 行的金额不能是负数；冲销请用红字冲销凭证")),
    ([Line("102", debit=100, credit=100), Line("501", credit=100)],
     Problem("lines.1.amount", "第 1 行不能同时有借方和贷方金额")),
    ([Line("102", debit=100), Line("501", credit=100), Line("513")],
     Problem("lines.3.amount", "第 3 行没有金额")),
])
def test_each_line_has_one_positive_amount_on_one_side(lines, problem):
    # A bad amount stops the balance check: its sums would only repeat the same mistake.
    assert check(lines=lines) == [problem]


def test_every_bad_line_is_named_in_line_order():
    problems = check(lines=[Line("", debit=1), Line("112"), Line("999", debit=-1), Line("501", debit=2, credit=2)])
    assert [p.field for p in problems] == ["lines.1.account", "lines.2.account", "lines.2.amount",
                                           "lines.3.account", "lines.3.amount", "lines.4.amount"]


@pytest.mark.parametrize(("lines", "message"), [
    (pair(100_000)[:1] + [Line("501", credit=99_999)],
     "借贷不平：借方合计 1,000.00 元，贷方合计 999.99 元，相差 0.01 元"),
    ([Line("102", debit=1), Line("501", credit=1_234_567)],
     "借贷不平：借方合计 0.01 元，贷方合计 12,345.67 元，相差 12,345.66 元"),
    # All debit, no credit: refused as unbalanced, the credit total 0.
    ([Line("513", debit=5_000), Line("514", debit=7_000)],
     "借贷不平：借方合计 120.00 元，贷方合计 0.00 元，相差 120.00 元"),
    ([Line("102", credit=300), Line("501", credit=300)],
     "借贷不平：借方合计 0.00 元，贷方合计 6.00 元，相差 6.00 元"),
])
def test_debits_must_equal_credits_and_the_difference_is_named(lines, message):
    assert check(lines=lines) == [Problem("lines", message)]


def test_a_voucher_of_exactly_the_largest_total_passes_and_one_fen_more_is_refused():
    assert check(lines=pair(MAX_FEN)) == []
    over = [Line("102", debit=MAX_FEN), Line("101", debit=1), Line("501", credit=MAX_FEN), Line("11201", credit=1)]
    assert check(lines=over) == [Problem("lines", "凭证合计不能超过 100,000,000,000.00 元")]


def test_large_balanced_amounts_across_many_lines_pass():
    lines = [Line("102", debit=MAX_FEN // 4) for _ in range(4)] + [Line("501", credit=MAX_FEN // 2)] * 2
    assert check(lines=lines) == []
    assert B.totals(lines) == (MAX_FEN, MAX_FEN)


@pytest.mark.parametrize(("summary", "problems"), [
    ("摘" * 60, []),
    ("摘" * 61, [Problem("lines.2.summary", "第 2 行摘要最多 60 个字")]),
])
def test_a_line_summary_is_at_most_60_characters(summary, problems):
    assert check(lines=[Line("102", debit=100), Line("501", credit=100, summary=summary)]) == problems


def test_problems_come_in_the_order_a_clerk_fixes_them():
    problems = B.check_voucher(date(1999, 1, 1), "摘" * 61, [Line("999", debit=100), Line("501", credit=10)],
                               LEAVES, KNOWN)
    assert [p.field for p in problems] == ["date", "summary", "lines.1.account", "lines"]
    assert all(not p.message.isascii() for p in problems)


# --- periods ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "period"), [
    (date(2026, 10, 31), "2026-10"),
    (date(2026, 1, 1), "2026-01"),
    (date(2000, 12, 31), "2000-12"),
    (date(2099, 2, 28), "2099-02"),
])
def test_period_of_a_date(day, period):
    assert B.period_of(day) == period


@pytest.mark.parametrize(("text", "period"), [
    ("2026-10", "2026-10"),
    (" 2026-10 ", "2026-10"),
    ("2026-10\n", "2026-10"),
    ("2000-01", "2000-01"),
    ("2099-12", "2099-12"),
    ("1999-12", None),
    ("2100-01", None),
    ("2026-00", None),
    ("2026-13", None),
    ("2026-1", None),
    ("2026-001", None),
    ("26-10", None),
    ("2026/10", None),
    ("202610", None),
    ("2026-10-01", None),
    ("2026-１０", None),
    ("", None),
    (None, None),
])
def test_parse_period(text, period):
    assert B.parse_period(text) == period


def test_parse_period_takes_ascii_years_only():
    assert B.parse_period("２０２６-10") is None  # would sort after every real month


@pytest.mark.parametrize(("period", "following"), [
    ("2025-12", "2026-01"),
    ("2026-01", "2026-02"),
    ("2026-09", "2026-10"),
    ("2026-11", "2026-12"),
    ("2099-11", "2099-12"),
])
def test_next_and_previous_period_cross_year_ends(period, following):
    assert B.next_period(period) == following
    assert B.previous_period(following) == period


def test_ten_years_of_months_step_forward_and_back_one_by_one():
    months, period = [], "2016-01"
    while period <= "2025-12":
        months.append(period)
        period = B.next_period(period)
    assert len(months) == 120 and len(set(months)) == 120 and months == sorted(months)
    assert months[-1] == "2025-12" and period == "2026-01"
    assert [B.previous_period(p) for p in months[1:]] == months[:-1]
    assert all(B.parse_period(p) == p for p in months)


@pytest.mark.parametrize(("period", "label", "start"), [
    ("2026-10", "2026年10月", "2026-01"),
    ("2026-01", "2026年1月", "2026-01"),
    ("2000-12", "2000年12月", "2000-01"),
])
def test_period_label_and_year_start(period, label, start):
    assert B.period_label(period) == label
    assert B.year_start(period) == start


# --- balances --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("side", "debit", "credit", "change"), [
    (DEBIT, 100, 30, 70),
    (DEBIT, 30, 100, -70),
    (CREDIT, 100, 30, -70),
    (CREDIT, 30, 100, 70),
    (DEBIT, 0, 0, 0),
    (CREDIT, 0, 0, 0),
])
def test_signed_follows_the_normal_side(side, debit, credit, change):
    assert B.signed(side, debit, credit) == change
    assert B.side_of_opening(side, debit, credit) == change


@pytest.mark.parametrize(("row", "closing"), [
    (BalanceRow("102", "银行存款", DEBIT, 1000, 500, 200), 1300),
    (BalanceRow("211", "应付款", CREDIT, 1000, 300, 100), 800),
    (BalanceRow("152", "累计折旧", CREDIT, 5000, 0, 1000), 6000),
    (BalanceRow("102", "银行存款", DEBIT, 1000, 0, 3000), -2000),  # overdrawn
])
def test_a_balance_row_closes_on_its_normal_side(row, closing):
    assert row.closing == closing


def rows_with_overdraft() -> list[BalanceRow]:
    """Opening: 10.00 in the bank against capital. In the month 30.00 paid for the office from the bank
    (overdrawn by 20.00) and 5.00 of depreciation."""
    return [
        BalanceRow("102", "银行存款", DEBIT, 1000, 0, 3000),
        BalanceRow("152", "累计折旧", CREDIT, 0, 0, 500),
        BalanceRow("301", "资本", CREDIT, 1000, 0, 0),
        BalanceRow("513", "管理费用", DEBIT, 0, 3500, 0),
    ]


def test_trial_totals_show_a_balance_on_its_abnormal_side_in_the_other_column():
    totals = B.trial_totals(rows_with_overdraft())
    assert totals == {"opening_debit": 1000, "opening_credit": 1000, "debit": 3500, "credit": 3500,
                      "closing_debit": 3500, "closing_credit": 2000 + 500 + 1000}
    assert B.balanced(totals)


def test_trial_totals_place_a_balance_on_the_account_side():
    row = BalanceRow("231", "一事一议资金", CREDIT, 0, 0, 500)  # 5.00 received, a credit balance
    assert B.trial_totals([row])["closing_credit"] == 500


@pytest.mark.parametrize(("key", "change"), [
    ("opening_debit", 1), ("opening_credit", -1), ("debit", 1), ("credit", 1), ("closing_debit", -1),
    ("closing_credit", 1),
])
def test_any_one_column_off_by_a_fen_is_unbalanced(key, change):
    totals = B.trial_totals(rows_with_overdraft())
    totals[key] += change
    assert not B.balanced(totals)


def test_an_empty_trial_balance_is_balanced():
    assert B.balanced(B.trial_totals([]))


def test_cash_movement_counts_receipts_and_payments_and_not_transfers():
    # +500 received, −200 and −50 paid, 0 a transfer from cash to the bank.
    line = B.cash_movement([500, -200, 0, -50], 1000)
    assert line == CashLine(1000, 500, 250)
    assert line.closing == 1250


def test_cash_movement_of_a_quiet_month():
    assert B.cash_movement([], 700) == CashLine(700, 0, 0)
    assert B.cash_movement([], 700).closing == 700


def test_a_reversal_swaps_the_sides_and_nets_every_account_to_nothing():
    original = [Line("513", debit=12_345, summary="电费"), Line("101", debit=55), Line("102", credit=12_400)]
    reversal = B.reversing(original)
    assert reversal == [Line("513", credit=12_345, summary="电费"), Line("101", credit=55),
                        Line("102", debit=12_400)]
    assert B.totals(original) == (12_400, 12_400) == B.totals(reversal)
    net: dict[str, int] = {}
    for line in original + reversal:
        net[line.account] = net.get(line.account, 0) + line.debit - line.credit
    assert set(net.values()) == {0}
    assert B.check_voucher(DAY, "冲销", reversal, LEAVES, KNOWN) == []


def test_totals_sum_each_side():
    assert B.totals([]) == (0, 0)
    assert B.totals([Line("102", debit=1), Line("513", debit=2), Line("501", credit=4)]) == (3, 4)


@pytest.mark.parametrize(("number", "label"), [(None, "未编号"), (1, "记字第 1 号"), (128, "记字第 128 号")])
def test_voucher_label(number, label):
    assert B.voucher_label(number) == label


@pytest.mark.parametrize(("first", "closed", "now", "months"), [
    ("2026-03", None, "2026-03", 0),  # the first month has not ended
    ("2026-03", None, "2026-05", 2),  # March and April
    ("2026-03", "2026-04", "2026-05", 0),
    ("2025-11", "2025-12", "2026-03", 2),  # across the year's end: January and February
    ("2026-03", "2026-05", "2026-05", 0),  # never negative
])
def test_unclosed_months(first, closed, now, months):
    assert B.unclosed_months(first, closed, now) == months
