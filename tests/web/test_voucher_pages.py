"""Voucher pages (记账凭证) as the accountant, the committee, villagers and visitors meet them: the entry
form with a receipt photo (errors beside their rows, "再加一行"), the voucher as paper shows it, review,
return, posting, editing, deleting, reversing, receipts — and who sees what, on both engines."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest

from app.domain import books as B
from app.domain.proposals import ProposalDraft
from app.services import attachments, books, notices, periods, vouchers
from app.services import proposals as proposal_service
from app.services.access import load_actor
from tests.factories import Staff, login, png
from tests.querycount import count_queries
from tests.web.test_proposal_pages import flash, follow, main

L = B.Line
TODAY = date(2026, 5, 10)


class Books:
    """A village whose books start in 2026-03 (2023 chart, 10,000 元 in the bank), on 2026-05-10, with
    an accountant, two committee members, a supervisor and villagers."""

    def __init__(self, world, clock):
        clock.on_day(TODAY)
        self.db = world.db
        self.staff = Staff(world)
        self.village = self.staff.village
        self.slug = self.village.slug
        self.accountant = self.staff.accountant
        self.committee = self.staff.committee
        self.second = world.member(self.village, "committee", name="副主任")
        self.villager = self.staff.villager
        books.open_ledger(self.db, self.actor(self.accountant), self.village, "2023", "2026-03")
        books.set_openings(self.db, self.actor(self.accountant), self.village,
                           [books.OpeningIn("102", debit=1_000_000), books.OpeningIn("301", credit=1_000_000)])

    def url(self, tail: str = "") -> str:
        return f"/v/{self.slug}/accounts/vouchers{tail}"

    def actor(self, user):
        return load_actor(self.db, user)

    def draft(self, summary: str = "收鱼塘承包费", *lines: B.Line, day: date = date(2026, 3, 5), user=None):
        lines = lines or (L("102", debit=500_000), L("501", credit=500_000))
        return vouchers.create(self.db, self.actor(user or self.accountant), self.village,
                               vouchers.VoucherIn(day, summary, list(lines)))

    def posted(self, summary: str = "收鱼塘承包费", *lines: B.Line, day: date = date(2026, 3, 5)):
        v = self.draft(summary, *lines, day=day)
        vouchers.review(self.db, self.actor(self.committee), v.id)
        return vouchers.post(self.db, self.actor(self.second), v.id)

    def publish_month(self, period: str = "2026-03") -> None:
        """Close the month and publish its finance notice (review by the supervisory committee)."""
        row = periods.close(self.db, self.actor(self.accountant), self.village, period)
        notices.submit(self.db, self.actor(self.committee), row.notice_id)
        notices.review(self.db, self.actor(self.staff.supervisor), row.notice_id, approve=True)
        notices.publish(self.db, self.actor(self.committee), row.notice_id)

    def count(self) -> int:
        return vouchers.list_vouchers(self.db, self.actor(self.accountant), self.village).total


@pytest.fixture
def b(world, clock) -> Books:
    return Books(world, clock)


def entry(token: str, *lines: tuple[str, str, str], rows: int = 4, date_: str = "2026-03-05",
          summary: str = "收鱼塘承包费", **extra) -> dict:
    """The entry form as a browser sends it: every row's four fields, typed or empty."""
    lines = lines or (("102 银行存款", "5000", ""), ("501 经营收入", "", "5000"))
    padded = list(lines) + [("", "", "")] * (rows - len(lines))
    return {"csrf_token": token, "date": date_, "summary": summary, "proposal_id": "",
            "account": [r[0] for r in padded], "debit": [r[1] for r in padded], "credit": [r[2] for r in padded],
            "line_summary": [""] * len(padded), **extra}


def value_of(html: str, field_id: str) -> str:
    match = re.search(rf'<input id="{re.escape(field_id)}"[^>]*\bvalue="([^"]*)"', html)
    assert match, field_id
    return unescape(match.group(1))


def error_of(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', html)
    return unescape(match.group(1)) if match else ""


def voucher_id(response) -> int:
    assert response.status_code == 303, response.text
    match = re.search(r"/accounts/vouchers/(\d+)$", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


# --- entering a voucher ---------------------------------------------------------------------------

def test_the_accountant_enters_a_voucher_with_a_receipt_photo(client, b):
    token = login(client, b.accountant)
    form = client.get(b.url("/new"))
    assert form.status_code == 200
    html = form.text
    assert value_of(html, "date") == "2026-05-10" and 'type="date"' in html
    assert len(re.findall(r'name="account" list="accounts"', html)) == 4
    assert '<option value="102 银行存款">' in html and '<option value="501 经营收入">' in html
    assert 'inputmode="decimal"' in html
    assert re.search(r'<input id="receipt" name="receipt" type="file" accept="image/\*,application/pdf" '
                     r'capture="environment"', html)
    photo = png()
    r = client.post(b.url("/new"), data=entry(token, ("102 银行存款", "5,000", ""), ("经营收入", "", "5000.00")),
                    files={"receipt": ("发票.png", photo, "image/png")})
    vid = voucher_id(r)
    page = follow(client, r)
    assert flash(page.text) == "ok: 凭证已保存，请另一位村委会成员审核；已附原始凭证：发票.png"
    text = main(page.text)
    assert "草稿" in text and "待审核" in text and "收鱼塘承包费" in text and "2026年3月5日" in text
    assert "银行存款" in text and "经营收入" in text and "合计（元） 5,000.00 5,000.00" in text
    assert "制单 报账员" in text and "未审核" in text
    img = re.search(rf'<img src="(/v/{b.slug}/accounts/vouchers/\d+/receipts/\d+)" alt="原始凭证：发票.png"', page.text)
    assert img
    download = client.get(img.group(1))
    assert download.status_code == 200 and download.content == photo
    # the accountant may still change it, but not review it
    assert f'href="{b.url(f"/{vid}/edit")}"' in page.text and "/review" not in page.text


def test_an_empty_file_input_is_no_receipt(client, b):
    token = login(client, b.accountant)
    r = client.post(b.url("/new"), data=entry(token), files={"receipt": ("", b"", "application/octet-stream")})
    page = follow(client, r)
    assert flash(page.text) == "ok: 凭证已保存，请另一位村委会成员审核"
    assert "没有附原始凭证" in page.text


def test_a_bad_receipt_is_refused_before_anything_is_saved(client, b):
    token = login(client, b.accountant)
    r = client.post(b.url("/new"), data=entry(token), files={"receipt": ("x.html", b"<script>1</script>", "text/html")})
    assert r.status_code == 422
    assert "只能上传图片、PDF" in error_of(r.text, "receipt")
    assert value_of(r.text, "account-1") == "102 银行存款" and value_of(r.text, "credit-2") == "5000"
    assert b.count() == 0


@pytest.mark.parametrize("lines, summary, field, message", [
    ((("102 银行存款", "5000", ""), ("501", "", "4999.99")), "收租金", "lines", "借贷不平"),
    ((("102 银行存款", "100", "100"), ("501", "", "100")), "收租金", "lines.1.amount", "不能同时有借方和贷方"),
    ((("102 银行存款", "12.345", ""), ("501", "", "12.34")), "收租金", "lines.1.amount", "金额最多两位小数"),
    ((("102 银行存款", "10", ""), ("999 不存在的", "", "10")), "收租金", "lines.2.account", "科目 999 不存在"),
    ((("112 应收款", "10", ""), ("102", "", "10")), "借给张三", "lines.1.account", "有明细科目，请选到最末一级"),
    ((), "", "summary", "请填写摘要"),
])
def test_errors_are_shown_beside_their_rows_with_everything_typed(client, b, lines, summary, field, message):
    books.add_sub_account(b.db, b.actor(b.accountant), b.village, "112", "11201", "张三")
    token = login(client, b.accountant)
    data = entry(token, *lines, summary=summary) if lines else entry(token, ("", "", ""), summary=summary)
    r = client.post(b.url("/new"), data=data)
    assert r.status_code == 422, r.text
    assert message in error_of(r.text, field), r.text
    assert 'class="flash flash-error" role="alert"' in r.text
    for n, (account, debit, credit) in enumerate(lines, start=1):
        assert (value_of(r.text, f"account-{n}"), value_of(r.text, f"debit-{n}"),
                value_of(r.text, f"credit-{n}")) == (account, debit, credit)
    assert value_of(r.text, "summary") == summary and value_of(r.text, "date") == "2026-03-05"
    if not lines:
        assert "至少要有两行" in error_of(r.text, "lines")
    assert b.count() == 0


def test_the_running_totals_show_after_a_submit(client, b):
    token = login(client, b.accountant)
    r = client.post(b.url("/new"), data=entry(token, ("102", "5000", ""), ("501", "", "4999.99")))
    text = main(r.text)
    assert "借方合计 5,000.00 元 贷方合计 4,999.99 元 相差 0.01 元" in text
    assert "借方合计" not in main(client.get(b.url("/new")).text)


def test_rows_are_numbered_as_the_messages_count_them(client, b):
    token = login(client, b.accountant)
    r = client.post(b.url("/new"), data=entry(token, ("", "", ""), ("102", "5000", ""), ("", "", ""),
                                                ("999", "", "5000")))
    assert r.status_code == 422
    # the empty rows go last on the way back, so "第 2 行" is the second row on the screen
    assert value_of(r.text, "account-1") == "102" and value_of(r.text, "account-2") == "999"
    assert "第 2 行的科目 999 不存在" in error_of(r.text, "lines.2.account")


def test_another_row_keeps_every_value_and_saves_nothing(client, b):
    token = login(client, b.accountant)
    data = entry(token, ("102 银行存款", "300", ""), ("501", "", "200"), ("502", "", "100"), ("", "", ""),
                 summary="收租金", more="1")
    r = client.post(b.url("/new"), data=data, files={"receipt": ("发票.png", png(), "image/png")})
    assert r.status_code == 200
    assert len(re.findall(r'name="account" list="accounts"', r.text)) == 6
    assert [value_of(r.text, f"account-{n}") for n in range(1, 5)] == ["102 银行存款", "501", "502", ""]
    assert value_of(r.text, "debit-1") == "300" and value_of(r.text, "credit-3") == "100"
    assert value_of(r.text, "summary") == "收租金"
    assert "借贷相等" in main(r.text) and "刚才选的文件还没有上传" in r.text
    assert 'class="field-error"' not in r.text and 'aria-invalid' not in r.text
    assert b.count() == 0


def test_a_voucher_names_the_matter_it_belongs_to(client, b):
    matter = proposal_service.create(b.db, b.actor(b.committee), b.village, ProposalDraft(
        title="硬化村东头道路", body="修 300 米水泥路。", category="facilities", procedure="yishiyiyi"))
    proposal_service.transition(b.db, b.actor(b.committee), matter.id, "submit")
    token = login(client, b.accountant)
    assert f'<option value="{matter.id}">硬化村东头道路</option>' in client.get(b.url("/new")).text
    r = client.post(b.url("/new"), data=entry(token, proposal_id="abc"))
    assert r.status_code == 422 and error_of(r.text, "proposal_id") == "请从列表中选择事项"
    r = client.post(b.url("/new"), data=entry(token, proposal_id="987654321"))
    assert r.status_code == 422 and error_of(r.text, "proposal_id") == "关联的事项不存在"
    assert '<option value="987654321" selected>' in r.text  # what was chosen is kept
    # a code and its name with a full-width space between them, as a Chinese keyboard types it
    r = client.post(b.url("/new"), data=entry(token, ("102\u3000银行存款", "80", ""), ("501", "", "80"),
                                              proposal_id=str(matter.id)))
    page = follow(client, r)
    assert f'<a href="/v/{b.slug}/proposals/{matter.id}">硬化村东头道路</a>' in page.text
    edit = client.get(b.url(f"/{voucher_id(r)}/edit")).text
    assert f'<option value="{matter.id}" selected>硬化村东头道路</option>' in edit


def test_the_form_is_the_book_keepers(client, world, b):
    login(client, b.villager)
    assert client.get(b.url("/new")).status_code == 403
    client.cookies.clear()
    r = client.get(b.url("/new"))
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    other = world.village()
    client.cookies.clear()
    login(client, b.accountant)
    assert client.get(f"/v/{other.slug}/accounts/vouchers/new").status_code == 404


# --- review, return, post -------------------------------------------------------------------------

def test_committee_reviews_and_another_member_posts(client, b):
    v = b.draft()
    token = login(client, b.committee)
    page = client.get(b.url(f"/{v.id}"))
    assert "审核通过" in page.text and "/post" not in page.text
    r = client.post(b.url(f"/{v.id}/review"), data={"csrf_token": token})
    page = follow(client, r)
    assert flash(page.text) == "ok: 已审核，村委会可以记账了"
    assert "已审核" in main(page.text) and "审核 主任" in main(page.text)
    client.cookies.clear()
    token = login(client, b.second)
    r = client.post(b.url(f"/{v.id}/post"), data={"csrf_token": token})
    page = follow(client, r)
    assert flash(page.text) == "ok: 已记账：2026年3月记字第 1 号"
    text = main(page.text)
    assert "记字第 1 号" in text and "已记账" in text and "记账 副主任" in text and "制单 报账员" in text
    assert "草稿" not in text
    # posted: nothing is edited, deleted or added any more; it is reversed instead
    assert "/edit" not in page.text and "/delete" not in page.text and "/receipts" not in page.text
    assert "红字冲销" in page.text


def test_the_preparer_cannot_review_their_own_voucher(client, b):
    v = b.draft(user=b.committee)
    token = login(client, b.committee)
    page = client.get(b.url(f"/{v.id}"))
    assert "这张凭证是你做的，要由另一位村委会成员审核" in page.text and "审核通过" not in page.text
    r = client.post(b.url(f"/{v.id}/review"), data={"csrf_token": token})
    page = follow(client, r)
    assert flash(page.text) == "error: 制单人不能审核自己做的凭证，请另一位村委会成员审核"
    r = client.post(b.url(f"/{v.id}/post"), data={"csrf_token": token})
    assert flash(follow(client, r).text) == "error: 凭证要先审核才能记账"
    client.cookies.clear()
    token = login(client, b.accountant)  # not the committee: the error page
    assert client.post(b.url(f"/{v.id}/review"), data={"csrf_token": token}).status_code == 403


def test_a_voucher_is_returned_with_a_note(client, b):
    v = b.draft()
    vouchers.review(b.db, b.actor(b.committee), v.id)
    token = login(client, b.second)
    r = client.post(b.url(f"/{v.id}/return"), data={"csrf_token": token, "note": "  "})
    assert r.status_code == 422 and error_of(r.text, "return") == "请写明退回的原因"
    assert "<details open>" in r.text
    r = client.post(b.url(f"/{v.id}/return"), data={"csrf_token": token, "note": "缺发票原件"})
    page = follow(client, r)
    assert flash(page.text) == "ok: 已退回制单人修改，退回意见已通知制单人"
    assert "退回意见： 缺发票原件" in main(page.text) and "待审核" in main(page.text)
    client.cookies.clear()
    login(client, b.accountant)
    assert "缺发票原件" in client.get("/me/notifications").text
    assert "退回意见：</strong>缺发票原件" in client.get(b.url(f"/{v.id}/edit")).text


# --- edit, delete, reverse ------------------------------------------------------------------------

def test_the_accountant_edits_a_voucher_and_a_reviewed_one_goes_back_to_review(client, b):
    v = b.draft("收租金", L("102", debit=123_450), L("501", credit=123_450))
    vouchers.review(b.db, b.actor(b.committee), v.id)
    token = login(client, b.accountant)
    form = client.get(b.url(f"/{v.id}/edit"))
    assert form.status_code == 200
    assert value_of(form.text, "account-1") == "102 银行存款" and value_of(form.text, "debit-1") == "1234.50"
    assert value_of(form.text, "credit-2") == "1234.50" and value_of(form.text, "debit-2") == ""
    assert value_of(form.text, "summary") == "收租金" and value_of(form.text, "date") == "2026-03-05"
    assert "修改后要重新审核" in form.text
    r = client.post(b.url(f"/{v.id}/edit"), data=entry(token, ("102", "1500", ""), ("501", "", "1500"),
                                                         summary="收租金（更正）", date_="2026-03-06"))
    assert voucher_id(r) == v.id
    page = follow(client, r)
    assert flash(page.text) == "ok: 凭证已修改，要重新审核"
    text = main(page.text)
    assert "收租金（更正）" in text and "1,500.00" in text and "1,234.50" not in text and "待审核" in text
    # a mistake on the way is shown on the form, the voucher stays as it was
    r = client.post(b.url(f"/{v.id}/edit"), data=entry(token, ("102", "1", ""), ("501", "", "2")))
    assert r.status_code == 422 and "借贷不平" in error_of(r.text, "lines")
    assert "1,500.00" in main(client.get(b.url(f"/{v.id}")).text)


def test_a_posted_voucher_is_not_edited(client, b):
    v = b.posted()
    token = login(client, b.accountant)
    r = client.get(b.url(f"/{v.id}/edit"))
    assert flash(follow(client, r).text) == "error: 已记账的凭证不能修改；如有错误请做红字冲销凭证"
    for data in (entry(token), entry(token, ("102", "1", ""), ("501", "", "2")), entry(token, more="1")):
        r = client.post(b.url(f"/{v.id}/edit"), data=data)
        assert flash(follow(client, r).text) == "error: 已记账的凭证不能修改；如有错误请做红字冲销凭证"
    red = vouchers.reverse(b.db, b.actor(b.accountant), v.id, date(2026, 4, 2))
    r = client.get(b.url(f"/{red.id}/edit"))
    assert flash(follow(client, r).text) == "error: 红字冲销凭证照原凭证生成，不能修改；不要了可以删除"


def test_a_draft_is_deleted_after_confirming(client, b):
    v = b.draft("作废的凭证")
    token = login(client, b.accountant)
    r = client.post(b.url(f"/{v.id}/delete"), data={"csrf_token": token})
    assert r.status_code == 422 and "请先勾选“确定删除”" in error_of(r.text, "delete")
    assert b.count() == 1
    r = client.post(b.url(f"/{v.id}/delete"), data={"csrf_token": token, "confirm": "yes"})
    assert r.headers["location"] == b.url()
    page = follow(client, r)
    assert flash(page.text) == "ok: 凭证已删除" and "作废的凭证" not in main(page.text)
    assert client.get(b.url(f"/{v.id}")).status_code == 404
    # the next voucher gets a new id: the record's "voucher.delete" never reads as its (migration 0022)
    assert b.draft("重新做的凭证").id > v.id


def test_a_posted_voucher_is_reversed_into_a_new_draft(client, b):
    original = b.posted("收租金", L("102", debit=30_000), L("501", credit=30_000))
    token = login(client, b.accountant)
    r = client.post(b.url(f"/{original.id}/reverse"), data={"csrf_token": token, "date": "2026-05-11"})
    assert r.status_code == 422 and "晚于今天" in error_of(r.text, "reverse")
    assert 'value="2026-05-11"' in r.text
    r = client.post(b.url(f"/{original.id}/reverse"), data={"csrf_token": token, "date": "2026-04-02"})
    red = voucher_id(r)
    assert red != original.id
    page = follow(client, r)
    assert flash(page.text) == "ok: 已生成红字冲销凭证（草稿），审核、记账后生效"
    text = main(page.text)
    assert "冲销2026年3月记字第1号凭证" in text and "红字冲销" in text and "2026年4月2日" in text
    assert f'href="{b.url(f"/{original.id}")}">2026年3月记字第 1 号：收租金</a>' in page.text
    assert "/edit" not in page.text  # a reversal is not edited, only deleted
    again = client.get(b.url(f"/{original.id}"))
    assert "已被冲销" in main(again.text) and f'href="{b.url(f"/{red}")}"' in again.text
    assert f'action="{b.url(f"/{original.id}/reverse")}"' not in again.text
    r = client.post(b.url(f"/{original.id}/reverse"), data={"csrf_token": token, "date": "2026-04-03"})
    assert flash(follow(client, r).text) == "error: 这张凭证已经做过冲销凭证了"


# --- receipts -------------------------------------------------------------------------------------

def test_receipts_are_added_on_the_voucher_until_it_is_posted(client, b):
    v = b.draft()
    token = login(client, b.accountant)
    r = client.post(b.url(f"/{v.id}/receipts"), data={"csrf_token": token},
                    files={"receipt": ("收据.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    page = follow(client, r)
    assert flash(page.text) == "ok: 已上传原始凭证：收据.pdf"
    assert re.search(rf'<a class="file" href="/v/{b.slug}/accounts/vouchers/\d+/receipts/\d+">收据.pdf</a>', page.text)
    r = client.post(b.url(f"/{v.id}/receipts"), data={"csrf_token": token})
    assert flash(follow(client, r).text) == "error: 请选择原始凭证的照片或 PDF"
    r = client.post(b.url(f"/{v.id}/receipts"), data={"csrf_token": token},
                    files={"receipt": ("a.txt", b"hello", "text/plain")})
    assert flash(follow(client, r).text).startswith("error: 只能上传图片、PDF")
    vouchers.review(b.db, b.actor(b.committee), v.id)
    vouchers.post(b.db, b.actor(b.committee), v.id)
    r = client.post(b.url(f"/{v.id}/receipts"), data={"csrf_token": token},
                    files={"receipt": ("晚了.png", png(), "image/png")})
    assert flash(follow(client, r).text) == "error: 已记账的凭证不能再加原始凭证"


# --- who sees what --------------------------------------------------------------------------------

def test_villagers_see_a_voucher_once_the_months_notice_is_published(client, b):
    v = b.posted()
    draft = b.draft("四月的草稿", day=date(2026, 4, 1))
    login(client, b.villager)
    assert client.get(b.url(f"/{v.id}")).status_code == 404
    assert "收鱼塘承包费" not in client.get(b.url()).text
    client.cookies.clear()
    assert client.get(b.url(f"/{v.id}")).status_code == 404
    b.publish_month("2026-03")
    login(client, b.villager)
    page = client.get(b.url(f"/{v.id}"))
    assert page.status_code == 200 and "记字第 1 号" in page.text and "制单 报账员" in main(page.text)
    listing = main(client.get(b.url()).text)
    assert "收鱼塘承包费" in listing and "四月的草稿" not in listing
    assert client.get(b.url(f"/{draft.id}")).status_code == 404  # drafts stay with the book keepers
    # a visitor reads the figures of a published month, without names, and not the receipts
    client.cookies.clear()
    page = client.get(b.url(f"/{v.id}"))
    assert page.status_code == 200 and "5,000.00" in page.text
    assert "报账员" not in main(page.text) and "主任" not in main(page.text)
    assert "没有附原始凭证" in page.text
    assert "<form" not in page.text[page.text.index("<main"):]


def test_a_visitor_is_told_receipts_are_for_villagers(client, settings, b):
    v = b.draft()
    attachments.add(b.db, settings, b.actor(b.accountant), "voucher", v.id, "发票.png", png())
    vouchers.review(b.db, b.actor(b.committee), v.id)
    vouchers.post(b.db, b.actor(b.second), v.id)
    b.publish_month("2026-03")
    page = client.get(b.url(f"/{v.id}"))
    assert "原始凭证 1 张，本村村民登录后可以查看" in main(page.text) and "<img" not in page.text
    login(client, b.villager)
    page = client.get(b.url(f"/{v.id}"))
    img = re.search(r'<img src="([^"]+)"', page.text)
    assert img and client.get(img.group(1)).status_code == 200


def test_a_voucher_under_another_village_is_404(client, world, b):
    v = b.draft()
    other = world.village()
    login(client, b.accountant)
    assert client.get(f"/v/{other.slug}/accounts/vouchers/{v.id}").status_code == 404
    assert client.get(f"/v/{other.slug}/accounts/vouchers/{v.id}/edit").status_code == 404
    assert client.get(b.url("/987654321")).status_code == 404
    outsider = world.member(other, "committee", name="外村主任")
    client.cookies.clear()
    token = login(client, outsider)
    assert client.get(b.url(f"/{v.id}")).status_code == 404
    assert client.post(b.url(f"/{v.id}/review"), data={"csrf_token": token}).status_code == 404
    assert client.post(b.url(f"/{v.id}/delete"), data={"csrf_token": token, "confirm": "yes"}).status_code == 404


def test_a_village_without_books_has_no_vouchers(client, world):
    village = world.village()
    accountant = world.member(village, "accountant", name="报账员")
    login(client, accountant)
    assert client.get(f"/v/{village.slug}/accounts/vouchers").status_code == 404
    assert client.get(f"/v/{village.slug}/accounts/vouchers/new").status_code == 404


# --- the list -------------------------------------------------------------------------------------

def test_the_list_filters_by_state_and_month_and_pages(client, b):
    b.posted("三月收入")
    b.draft("四月草稿", L("514", debit=100), L("102", credit=100), day=date(2026, 4, 3))
    for i in range(21):
        b.draft(f"五月第{i}张", L("514", debit=100), L("102", credit=100), day=date(2026, 5, 1))
    login(client, b.accountant)
    page = client.get(b.url())
    assert page.status_code == 200
    text = main(page.text)
    assert "做凭证" in text and "待审核 22 张" in text
    assert "第 1 / 2 页，共 23 条" in text
    march = main(client.get(b.url("?period=2026-03")).text)
    assert "三月收入" in march and "记字第 1 号" in march and "四月草稿" not in march and "5,000.00 元" in march
    assert "2026年3月" in march and "原始凭证 0 张" in march and "已记账" in march
    drafts = main(client.get(b.url("?state=draft&period=2026-04")).text)
    assert "四月草稿" in drafts and "三月收入" not in drafts and "草稿 四月草稿" in drafts
    second = client.get(b.url("?state=draft&page=2"))
    assert "state=draft&amp;page=1" in second.text
    # unknown filters show everything rather than an error
    assert "共 23 条" in main(client.get(b.url("?period=13-2026&state=nonsense")).text)


def test_the_voucher_page_takes_the_same_queries_for_2_or_10_lines(app, client, b):
    small = b.draft("两行", L("102", debit=1_000), L("501", credit=1_000))
    big = b.draft("十行", *[L("514", debit=100) for _ in range(9)], L("102", credit=900))
    login(client, b.committee)

    def measure(v) -> int:
        with count_queries(app.state.engine) as counter:
            r = client.get(b.url(f"/{v.id}"))
        assert r.status_code == 200
        return counter.count

    measure(small)
    assert measure(small) == measure(big)
    assert main(client.get(b.url(f"/{big.id}")).text).count("公益支出") == 9


def test_receipts_open_for_members_and_for_everyone_once_made_public(client, world, db, clock):
    from app.services import attachments
    from tests.factories import Staff, books_in_may, login, png

    staff = Staff(world)
    keeper, (v,) = books_in_may(db, staff, clock)
    photo = attachments.add(db, world.settings, keeper, "voucher", v.id, "发票.png", png())
    url = f"/v/{staff.village.slug}/accounts/vouchers/{v.id}/receipts/{photo.id}"
    login(client, staff.supervisor)
    assert client.get(url).headers["content-type"] == "image/png"
    assert client.get(f"/v/{staff.village.slug}/accounts/vouchers/{v.id}/receipts/{photo.id + 10_000}"
                      ).status_code == 404
    client.cookies.clear()
    assert client.get(url).status_code == 404  # not public: the draft's month is not published either
