"""The year's statements of the books on the web: the 资产负债表 and 收益及收益分配表 page, the A4
sheet, and the Excel workbook — the same figures everywhere, and for the same readers as the month."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from app.domain.money import yuan
from app.services import statements
from tests.factories import login
from tests.web.test_book_pages import bk, kept  # noqa: F401 (fixtures)


def test_the_annual_page_shows_a_balanced_sheet_and_the_year_income(client, kept):  # noqa: F811
    login(client, kept.supervisor)
    page = client.get(kept.url("/periods/2026-03/annual"))
    assert page.status_code == 200
    a = statements.annual(kept.db, kept.village, "2026-03")
    sheet = {f.label: f.amount for f in a.balance_sheet}
    total = f"<th scope=\"row\">资产总计</th><td class=\"num\">{yuan(sheet['资产总计'])}</td>"
    assert a.balanced and total in page.text
    assert "收益及收益分配表" in page.text and yuan(500_000 - 12_345) in page.text  # the year's net so far


def test_the_workbook_and_the_sheet_carry_the_month_page_figures(client, kept):  # noqa: F811
    login(client, kept.accountant)
    s = statements.statement(kept.db, kept.village, "2026-03")
    book = client.get(kept.url("/periods/2026-03/statements.xlsx"))
    assert book.status_code == 200 and book.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    wb = load_workbook(io.BytesIO(book.content))
    bank = next(r for r in wb["科目余额表"].iter_rows(values_only=True) if r[0] == "102")
    row = next(r for r in s.rows if r.account.code == "102")
    assert Decimal(str(bank[5])) * 100 == row.closing
    month = client.get(kept.url("/periods/2026-03")).text
    sheet = client.get(kept.url("/periods/2026-03/print?annual=1")).text
    for text in (yuan(row.closing), yuan(s.cash.closing), yuan(s.expense_total)):
        assert text in month and text in sheet
    assert "资产负债表" in sheet and 'class="village-nav"' not in sheet
    assert sheet.index("<h1>") < sheet.index("<h2>")  # the sheet's headings skip no level


def test_a_villager_reads_the_year_only_once_the_month_is_published(client, kept):  # noqa: F811
    login(client, kept.villager)
    for tail in ("/annual", "/print", "/statements.xlsx"):
        assert client.get(kept.url(f"/periods/2026-03{tail}")).status_code == 404
    notice_id = kept.close("2026-03").notice_id
    kept.publish(notice_id)
    for tail in ("/annual", "/print", "/statements.xlsx"):
        assert client.get(kept.url(f"/periods/2026-03{tail}")).status_code == 200
    assert client.get(kept.url("/periods/2026-13/annual")).status_code == 404
