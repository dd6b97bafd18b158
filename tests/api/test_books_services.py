"""The village's books through their services, on both engines: opening the books, vouchers from
draft to posted, numbering, reversal, closing a month and the finance notice it drafts, reopening."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import books as B
from app.models import Notice
from app.services import books, periods, statements, vouchers
from app.services.access import load_actor
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.factories import Staff

L = B.Line


def actor(db, user):
    return load_actor(db, user)


@pytest.fixture
def kept(world, db, clock):
    """A village whose books start in 2026-03, on 2026-05-10, with an opening of 10,000 元 in the bank."""
    clock.on_day(date(2026, 5, 10))
    staff = Staff(world)
    staff.second = world.member(staff.village, "committee", name="副主任")
    books.open_ledger(db, actor(db, staff.accountant), staff.village, "2023", "2026-03")
    books.set_openings(db, actor(db, staff.accountant), staff.village,
                       [books.OpeningIn("102", debit=1_000_000), books.OpeningIn("301", credit=1_000_000)])
    return staff


def draft(db, staff, day, summary, *lines, user=None):
    return vouchers.create(db, actor(db, user or staff.accountant), staff.village,
                           vouchers.VoucherIn(day, summary, list(lines)))


def posted(db, staff, day, summary, *lines):
    v = draft(db, staff, day, summary, *lines)
    vouchers.review(db, actor(db, staff.committee), v.id)
    return vouchers.post(db, actor(db, staff.second), v.id)


def test_a_voucher_goes_from_draft_to_posted_and_takes_the_next_number(db, kept):
    first = posted(db, kept, date(2026, 3, 5), "收鱼塘承包费", L("102", debit=500_000), L("501", credit=500_000))
    second = posted(db, kept, date(2026, 3, 9), "付路灯电费", L("514", debit=12_345), L("102", credit=12_345))
    assert (first.number, second.number) == (1, 2)
    assert first.period == "2026-03" and first.state == B.POSTED
    april = posted(db, kept, date(2026, 4, 1), "付办公用品", L("513", debit=100), L("101", credit=100))
    assert april.number == 1  # numbers start again each month


def test_the_preparer_may_not_review_and_an_unreviewed_voucher_is_not_posted(db, kept):
    v = draft(db, kept, date(2026, 3, 5), "收租金", L("102", debit=100), L("501", credit=100), user=kept.committee)
    with pytest.raises(Conflict, match="制单人不能审核"):
        vouchers.review(db, actor(db, kept.committee), v.id)
    with pytest.raises(Conflict, match="要先审核"):
        vouchers.post(db, actor(db, kept.second), v.id)
    with pytest.raises(Forbidden):
        vouchers.review(db, actor(db, kept.supervisor), v.id)


@pytest.mark.parametrize("lines, message", [
    ([L("102", debit=100), L("501", credit=99)], "借贷不平"),
    ([L("102", debit=100)], "至少要有两行"),
    ([L("102", debit=100, credit=100), L("501", credit=0)], "不能同时"),
    ([L("102"), L("501")], "没有金额"),
    ([L("999", debit=100), L("501", credit=100)], "不存在"),
])
def test_a_bad_voucher_is_refused_whole_and_nothing_is_written(db, kept, lines, message):
    before = vouchers.list_vouchers(db, actor(db, kept.accountant), kept.village).total
    with pytest.raises(Invalid, match=message):
        draft(db, kept, date(2026, 3, 5), "有错的凭证", *lines)
    assert vouchers.list_vouchers(db, actor(db, kept.accountant), kept.village).total == before


def test_a_line_must_use_a_leaf_account(db, kept):
    books.add_sub_account(db, actor(db, kept.accountant), kept.village, "112", "11201", "张三")
    with pytest.raises(Invalid, match="最末一级"):
        draft(db, kept, date(2026, 3, 5), "借款", L("112", debit=100), L("102", credit=100))
    v = draft(db, kept, date(2026, 3, 5), "借款", L("11201", debit=100), L("102", credit=100))
    assert [ln.account for ln in vouchers.lines_of(db, v)] == ["应收款—张三", "银行存款"]


def test_dates_before_the_books_or_after_today_are_refused(db, kept):
    with pytest.raises(Invalid, match="不能更早"):
        draft(db, kept, date(2026, 2, 28), "早了", L("102", debit=1), L("501", credit=1))
    with pytest.raises(Invalid, match="晚于今天"):
        draft(db, kept, date(2026, 5, 11), "晚了", L("102", debit=1), L("501", credit=1))


def test_closing_a_month_records_it_and_drafts_its_finance_notice(db, kept):
    posted(db, kept, date(2026, 3, 5), "收鱼塘承包费", L("102", debit=500_000), L("501", credit=500_000))
    posted(db, kept, date(2026, 3, 9), "付路灯电费", L("514", debit=12_345), L("102", credit=12_345))
    row = periods.close(db, actor(db, kept.accountant), kept.village, "2026-03")
    assert row.state == B.CLOSED and row.notice_id
    notice = db.get(Notice, row.notice_id)
    assert notice.category == "finance" and notice.state == "draft" and notice.period == "2026-03"
    assert "上月结余 10,000.00 元 + 本月收入 5,000.00 元 − 本月支出 123.45 元 = 本月结余 14,876.55 元" in notice.body
    assert "记字第 1 号 | 收鱼塘承包费 | 5,000.00" in notice.body
    s = statements.statement(db, kept.village, "2026-03")
    assert s.closed and s.balanced and s.cash.closing == 1_487_655
    # Nothing posts into the closed month any more; the next month opens where this one closed.
    with pytest.raises(Invalid, match="已经结账"):
        draft(db, kept, date(2026, 3, 20), "补一张", L("102", debit=1), L("501", credit=1))
    april = statements.statement(db, kept.village, "2026-04")
    assert april.cash.opening == 1_487_655


def test_months_close_in_order_after_they_end_and_with_every_voucher_posted(db, kept):
    with pytest.raises(Conflict, match="请先给2026年3月结账"):
        periods.close(db, actor(db, kept.accountant), kept.village, "2026-04")
    with pytest.raises(Conflict, match="还没有过完"):
        periods.close(db, actor(db, kept.accountant), kept.village, "2026-05")
    draft(db, kept, date(2026, 3, 5), "没记账", L("102", debit=1), L("501", credit=1))
    with pytest.raises(Conflict, match="1 张凭证没有记账"):
        periods.close(db, actor(db, kept.accountant), kept.village, "2026-03")


def test_a_posted_voucher_is_corrected_by_a_reversal_that_cites_it(db, kept):
    original = posted(db, kept, date(2026, 3, 5), "收租金", L("102", debit=300), L("501", credit=300))
    with pytest.raises(Conflict, match="红字冲销"):
        vouchers.update_draft(db, actor(db, kept.accountant), original.id,
                              vouchers.VoucherIn(date(2026, 3, 5), "改", [L("102", debit=1), L("501", credit=1)]))
    red = vouchers.reverse(db, actor(db, kept.accountant), original.id, date(2026, 4, 2))
    assert red.reverses_id == original.id and red.summary == "冲销2026年3月记字第1号凭证"
    assert [(ln.code, ln.debit, ln.credit) for ln in vouchers.lines_of(db, red)] == [("102", 0, 300), ("501", 300, 0)]
    with pytest.raises(Conflict, match="已经做过冲销"):
        vouchers.reverse(db, actor(db, kept.accountant), original.id)


def test_only_a_monitor_reopens_the_last_closed_month_with_a_reason(db, world, kept):
    periods.close(db, actor(db, kept.accountant), kept.village, "2026-03")
    periods.close(db, actor(db, kept.accountant), kept.village, "2026-04")
    monitor = world.monitor(kept.village.township_id)
    with pytest.raises(Forbidden):
        periods.reopen(db, actor(db, kept.committee), kept.village, "2026-04", "错了")
    with pytest.raises(Invalid):
        periods.reopen(db, actor(db, monitor), kept.village, "2026-04", " ")
    with pytest.raises(Conflict, match="请先反结账2026年4月"):
        periods.reopen(db, actor(db, monitor), kept.village, "2026-03", "漏了一张")
    row = periods.reopen(db, actor(db, monitor), kept.village, "2026-04", "漏了一张发票")
    assert row.state == B.OPEN and row.reopen_reason == "漏了一张发票"
    posted(db, kept, date(2026, 4, 20), "补记电费", L("514", debit=500), L("102", credit=500))
    again = periods.close(db, actor(db, kept.accountant), kept.village, "2026-04")
    assert again.times_closed == 2 and "本月支出 5.00 元" in db.get(Notice, again.notice_id).body


def test_villagers_read_a_month_only_once_its_notice_is_published(db, kept):
    v = posted(db, kept, date(2026, 3, 5), "收租金", L("102", debit=300), L("501", credit=300))
    periods.close(db, actor(db, kept.accountant), kept.village, "2026-03")
    with pytest.raises(NotFound):
        vouchers.get(db, actor(db, kept.villager), v.id)
    with pytest.raises(NotFound):
        periods.statement(db, None, kept.village, "2026-03")
    assert vouchers.get(db, actor(db, kept.supervisor), v.id)[0].id == v.id


def test_the_year_statements_balance_and_follow_the_books(db, kept):
    posted(db, kept, date(2026, 3, 5), "收鱼塘承包费", L("102", debit=500_000), L("501", credit=500_000))
    posted(db, kept, date(2026, 3, 9), "付路灯电费", L("514", debit=12_345), L("102", credit=12_345))
    posted(db, kept, date(2026, 4, 9), "买水泵", L("151", debit=80_000), L("102", credit=80_000))
    year = statements.annual(db, kept.village, "2026-04")
    sheet = {f.label: f.amount for f in year.balance_sheet}
    income = {f.label: f.amount for f in year.income}
    assert year.balanced and sheet["资产总计"] == 1_000_000 + 500_000 - 12_345
    assert sheet["货币资金"] == 1_000_000 + 500_000 - 12_345 - 80_000 and sheet["固定资产净值"] == 80_000
    assert sheet["未分配收益"] == 500_000 - 12_345  # the year's net, not yet carried over
    assert income["经营收入"] == 500_000 and income["净收益"] == 500_000 - 12_345


def test_openings_come_from_a_spreadsheet_and_must_balance(db, world, clock):
    from app.services import book_files

    clock.on_day(date(2026, 5, 10))
    staff = Staff(world)
    books.open_ledger(db, actor(db, staff.accountant), staff.village)
    csv = "科目编号,科目名称,期初借方,期初贷方\n102,银行存款,\"1,000.50\",\n301,资本,,1000.50\n合计,,1000.50,1000.50\n"
    assert book_files.import_openings(db, actor(db, staff.accountant), staff.village, "期初.csv",
                                      csv.encode("gb18030")) == 2
    with pytest.raises(Invalid, match="不相等"):
        book_files.import_openings(db, actor(db, staff.accountant), staff.village, "期初.csv",
                                   "科目编号,借方,贷方\n102,5,\n301,,4\n".encode())
    with pytest.raises(Invalid, match="找不到表头"):
        book_files.import_openings(db, actor(db, staff.accountant), staff.village, "期初.csv", b"a,b\n1,2\n")
    with pytest.raises(Invalid, match="两位小数"):
        book_files.import_openings(db, actor(db, staff.accountant), staff.village, "期初.csv",
                                   "科目编号,借方,贷方\n102,5.001,\n".encode())
    template = book_files.opening_template(db, actor(db, staff.accountant), staff.village)
    assert book_files.parse_openings("期初.xlsx", template) == [books.OpeningIn("102", 100_050, 0),
                                                                 books.OpeningIn("301", 0, 100_050)]


def test_the_statement_workbook_carries_the_same_figures(db, kept):
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    from app.services import book_files

    posted(db, kept, date(2026, 3, 5), "=HYPERLINK(\"x\")收费", L("102", debit=500_000), L("501", credit=500_000))
    s = statements.statement(db, kept.village, "2026-03")
    wb = load_workbook(io.BytesIO(book_files.statement_xlsx(s, statements.annual(db, kept.village, "2026-03"))))
    assert wb.sheetnames == ["科目余额表", "收支明细表", "资产负债表", "收益及收益分配表"]
    bank = next(r for r in wb["科目余额表"].iter_rows(values_only=True) if r[0] == "102")
    assert [Decimal(str(x)) for x in bank[2:]] == [Decimal("10000"), Decimal("5000"), Decimal("0"), Decimal("15000")]
    summaries = [r[3] for r in wb["收支明细表"].iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"x\")收费" in summaries  # a formula typed as a summary stays text
    sheet = {r[0].strip("　"): r[1] for r in wb["资产负债表"].iter_rows(min_row=3, values_only=True)}
    assert Decimal(str(sheet["资产总计"])) == Decimal(str(sheet["负债和所有者权益总计"])) == Decimal("15000")
