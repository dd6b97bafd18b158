"""The books frozen by the database itself (migration 0007), on both engines: raw SQL can neither
change nor delete a posted voucher, its lines or its receipts, nor post into a closed month. Drafts,
their lines and their receipts still change freely, and a reopened month takes postings again: the
triggers refuse what is settled and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.services import attachments
from app.services.access import load_actor
from tests.factories import Api, Staff, ok, png, refused

POSTED = "已记账的凭证不能修改或删除"
CLOSED = "这个月已经结账，不能再记账"
RECEIPT = "已记账凭证的原始凭证不能再增删"
RENT = [{"account": "102", "debit": 500_000}, {"account": "501", "credit": 500_000}]


@dataclass
class Books:
    s: Staff
    posted: int  # an April voucher, posted, with a receipt
    receipt: int
    draft: int  # a May draft, with a receipt
    draft_receipt: int


def receipt(db, settings, user, voucher_id: int) -> int:
    return attachments.add(db, settings, load_actor(db, user), "voucher", voucher_id, "收据.png", png()).id


@pytest.fixture
def books(api: Api, world, db, settings, clock) -> Books:
    clock.on_day(date(2026, 5, 10))
    s = Staff(world)
    second = world.member(s.village, "committee", name="副主任")
    vid = s.village.id
    ok(api.post(f"/villages/{vid}/ledger", s.accountant, {"first_period": "2026-04"}), 201)
    april = ok(api.post(f"/villages/{vid}/vouchers", s.accountant,
                        {"date": "2026-04-05", "summary": "收鱼塘承包费", "lines": RENT}), 201)["id"]
    april_receipt = receipt(db, settings, s.accountant, april)
    ok(api.post(f"/vouchers/{april}/review", s.committee))
    ok(api.post(f"/vouchers/{april}/post", second))
    may = ok(api.post(f"/villages/{vid}/vouchers", s.accountant,
                      {"date": "2026-05-02", "summary": "五月草稿", "lines": RENT}), 201)["id"]
    return Books(s, april, april_receipt, may, receipt(db, settings, s.accountant, may))


def refuses(db, sql: str, words: str, **params) -> None:
    with pytest.raises(DBAPIError, match=words):
        db.execute(text(sql), params)
    db.rollback()


def allows(db, sql: str, **params) -> None:
    db.execute(text(sql), params)
    db.commit()


def scalar(db, sql: str, **params):
    db.rollback()
    return db.execute(text(sql), params).scalar_one()


@pytest.mark.parametrize("sql", [
    "UPDATE voucher SET summary = '改过的摘要' WHERE id = :v",
    "UPDATE voucher SET total = total + 1 WHERE id = :v",
    "UPDATE voucher SET voucher_date = '2026-04-06' WHERE id = :v",
    "UPDATE voucher SET state = 'draft', number = NULL WHERE id = :v",
    "UPDATE voucher SET village_id = village_id WHERE id = :v",  # even a no-op touch
    "DELETE FROM voucher WHERE id = :v",
])
def test_a_posted_voucher_is_neither_changed_nor_deleted(api, db, books, sql):
    refuses(db, sql, POSTED, v=books.posted)
    shown = ok(api.get(f"/vouchers/{books.posted}", books.s.accountant))
    assert (shown["summary"], shown["total"], shown["state"], shown["number"]) == ("收鱼塘承包费", 500_000, "posted", 1)
    # the service still answers with a refusal, not an error
    refused(api.put(f"/vouchers/{books.posted}", books.s.accountant,
                    {"date": "2026-04-05", "summary": "改", "lines": RENT}), 409)


@pytest.mark.parametrize("sql", [
    "UPDATE voucher_line SET debit = debit + 1 WHERE voucher_id = :v",
    "UPDATE voucher_line SET summary = '改' WHERE voucher_id = :v",
    "UPDATE voucher_line SET account_id = (SELECT account_id FROM voucher_line WHERE voucher_id = :v "
    "AND lineno = 2) WHERE voucher_id = :v AND lineno = 1",
    "UPDATE voucher_line SET voucher_id = :d WHERE voucher_id = :v AND lineno = 2",
    "DELETE FROM voucher_line WHERE voucher_id = :v",
    "INSERT INTO voucher_line (voucher_id, village_id, period, lineno, account_id, summary, debit, credit) "
    "SELECT :v, village_id, period, 3, account_id, '多一行', 1, 0 FROM voucher_line WHERE voucher_id = :v "
    "AND lineno = 1",
    "UPDATE voucher_line SET voucher_id = :v, lineno = lineno + 10 WHERE voucher_id = :d",  # moved onto it
])
def test_the_lines_of_a_posted_voucher_are_frozen(api, db, books, sql):
    refuses(db, sql, POSTED, v=books.posted, d=books.draft)
    lines = ok(api.get(f"/vouchers/{books.posted}", books.s.accountant))["lines"]
    assert [(ln["code"], ln["debit"], ln["credit"]) for ln in lines] == [("102", 500_000, 0), ("501", 0, 500_000)]
    assert scalar(db, "SELECT count(*) FROM voucher_line WHERE voucher_id = :d", d=books.draft) == 2


def test_nothing_posts_into_a_closed_month(api, db, books):
    s = books.s
    april = ok(api.post(f"/villages/{s.village.id}/periods/2026-04/close", s.accountant))
    assert april["state"] == "closed"
    # the May draft moved into April by hand is still a draft: allowed; posting it there is not
    allows(db, "UPDATE voucher SET period = '2026-04', voucher_date = '2026-04-20' WHERE id = :d", d=books.draft)
    refuses(db, "UPDATE voucher SET state = 'posted', number = 2 WHERE id = :d", CLOSED, d=books.draft)
    refuses(db, "UPDATE voucher SET state = 'posted', number = 2, period = '2026-04' WHERE id = :d", CLOSED,
            d=books.draft)
    columns = "village_id, period, number, voucher_date, summary, state, total, prepared_by, created_at, updated_at"
    refuses(db, f"INSERT INTO voucher ({columns}) SELECT village_id, '2026-04', 9, voucher_date, '补记一张', "
                f"'posted', total, prepared_by, created_at, updated_at FROM voucher WHERE id = :v", CLOSED,
            v=books.posted)
    assert scalar(db, "SELECT state FROM voucher WHERE id = :d", d=books.draft) == "draft"
    assert scalar(db, "SELECT count(*) FROM voucher WHERE village_id = :vid", vid=s.village.id) == 2


def test_a_reopened_month_takes_postings_again(api, world, db, books):
    s = books.s
    ok(api.post(f"/villages/{s.village.id}/periods/2026-04/close", s.accountant))
    allows(db, "UPDATE voucher SET period = '2026-04', voucher_date = '2026-04-20' WHERE id = :d", d=books.draft)
    refuses(db, "UPDATE voucher SET state = 'posted', number = 2 WHERE id = :d", CLOSED, d=books.draft)
    monitor = world.monitor(s.village.township_id)
    ok(api.post(f"/villages/{s.village.id}/periods/2026-04/reopen", monitor, {"reason": "补记一张"}))
    allows(db, "UPDATE voucher SET state = 'posted', number = 2 WHERE id = :d", d=books.draft)
    assert ok(api.get(f"/vouchers/{books.draft}", s.accountant))["label"] == "记字第 2 号"
    refuses(db, "UPDATE voucher SET summary = '改' WHERE id = :d", POSTED, d=books.draft)  # and now it is frozen


COPY = ("INSERT INTO attachment (village_id, owner_type, owner_id, filename, content_type, size, sha256, "
        "uploaded_by, created_at) SELECT village_id, owner_type, :v, filename, content_type, size, sha256, "
        "uploaded_by, created_at FROM attachment WHERE id = :r")


@pytest.mark.parametrize("sql", [
    "DELETE FROM attachment WHERE id = :a",
    "UPDATE attachment SET filename = 'swapped.png' WHERE id = :a",
    "UPDATE attachment SET sha256 = :zeros WHERE id = :a",
    "UPDATE attachment SET owner_id = :d WHERE id = :a",  # moved off the posted voucher
    "UPDATE attachment SET owner_type = 'proposal' WHERE id = :a",
    "UPDATE attachment SET owner_id = :v WHERE id = :r",  # a draft's receipt moved onto it
    COPY,  # a receipt added to it
])
def test_the_receipts_of_a_posted_voucher_are_frozen(api, db, books, sql):
    refuses(db, sql, RECEIPT, a=books.receipt, r=books.draft_receipt, v=books.posted, d=books.draft,
            zeros="0" * 64)
    shown = ok(api.get(f"/vouchers/{books.posted}", books.s.accountant))
    assert [r["id"] for r in shown["receipts"]] == [books.receipt] and shown["receipts"][0]["filename"] == "收据.png"
    assert scalar(db, "SELECT owner_id FROM attachment WHERE id = :r", r=books.draft_receipt) == books.draft


def test_drafts_their_lines_and_receipts_still_change(api, db, books):
    allows(db, "UPDATE voucher SET summary = '改过的草稿', state = 'reviewed' WHERE id = :d", d=books.draft)
    allows(db, "UPDATE voucher_line SET summary = '改过的一行' WHERE voucher_id = :d", d=books.draft)
    allows(db, "UPDATE attachment SET filename = 'renamed.png' WHERE id = :r", r=books.draft_receipt)
    shown = ok(api.get(f"/vouchers/{books.draft}", books.s.accountant))
    assert (shown["summary"], shown["state"], shown["lines"][0]["summary"]) == ("改过的草稿", "reviewed", "改过的一行")
    assert shown["receipts"][0]["filename"] == "renamed.png"
    # a file of another owner whose id happens to equal the posted voucher's is not a receipt
    allows(db, "UPDATE attachment SET owner_type = 'proposal', owner_id = :v WHERE id = :r", v=books.posted,
           r=books.draft_receipt)
    allows(db, "UPDATE attachment SET filename = 'proposal.png' WHERE id = :r", r=books.draft_receipt)
    allows(db, "DELETE FROM attachment WHERE id = :r", r=books.draft_receipt)
    allows(db, "DELETE FROM voucher_line WHERE voucher_id = :d", d=books.draft)
    allows(db, "DELETE FROM voucher WHERE id = :d", d=books.draft)
    refused(api.get(f"/vouchers/{books.draft}", books.s.accountant), 404)
    assert ok(api.get(f"/vouchers/{books.posted}", books.s.accountant))["receipt_count"] == 1
