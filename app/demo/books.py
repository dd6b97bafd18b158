"""A year of 杏花村's books, kept through the real services with the clock set to each day: vouchers
drafted by the accountant, reviewed and posted by the committee, each month closed early in the next,
its finance notice drafted from the books, reviewed by the supervisory committee and published.

The year holds the township's monthly transfer, cleaning and office costs, street-light electricity,
the fish-pond lease (a contract whose first year falls due and is paid), the 一事一议 money of the
waste-collection matter (obligations per household, two exemptions, payments by receipt, labour), the
village's fixed assets, and a repair bill posted with a wrong amount and corrected by a reversing
voucher. Last month's notice waits for the
supervisory committee's review; this month has one voucher to review and one to post.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app.clock import frozen, local_today
from app.config import Settings
from app.domain import books as B
from app.domain.calendar import from_local
from app.domain.money import yuan
from app.models import Proposal, User, Village
from app.services import assets, attachments, books, funds, notices, periods, vouchers
from app.services.access import Actor, load_actor

L = B.Line
FUND_MATTER = "新建垃圾集中收集点"


def _actor(session: Session, phone: str) -> Actor:
    return load_actor(session, session.execute(select(User).where(User.phone == phone)).scalar_one())


@contextmanager
def _on(day: date, hour: int = 10) -> Iterator[None]:
    with frozen(from_local(datetime(day.year, day.month, day.day, hour))):
        yield


def _day(period: str, day: int) -> date:
    return date(int(period[:4]), int(period[5:]), day)


def receipt_pdf(number: str, summary: str, fen: int) -> bytes:
    """A one-page PDF receipt (收据) for the demo, in plain ASCII so any reader shows it."""
    lines = ["RECEIPT / SHOU JU", f"No. {number}", f"Amount: CNY {yuan(fen)}",
             f"Ref: {summary.encode('unicode_escape').decode()[:60]}", "Xinghua Village (demo)"]
    text = "BT /F1 14 Tf 40 260 Td 20 TL " + " ".join(f"({t.replace('(', '[').replace(')', ']')}) '" for t in lines) \
        + " ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 300]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(text) + text.encode() + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _month_plan(period: str, index: int) -> list[tuple[int, str, list[B.Line], int | None]]:
    """(day, summary, lines, proposal id) of one month's vouchers; `index` counts months from the start."""
    transfer = 2_000_000 + index * 15_000
    plan = [
        (3, "收到镇财政转移支付", [L("102", debit=transfer), L("503", credit=transfer)], None),
        (5, "从银行提取备用金", [L("101", debit=100_000), L("102", credit=100_000)], None),
        (8, "支付村道保洁员工资", [L("51401", debit=300_000 + index * 2_000), L("102", credit=300_000 + index * 2_000)],
         None),
        (12, "购买办公用品", [L("51301", debit=78_000 + index * 500), L("101", credit=78_000 + index * 500)], None),
        (20, "支付路灯电费", [L("51402", debit=26_000 + (index % 4) * 3_150),
                        L("102", credit=26_000 + (index % 4) * 3_150)], None),
    ]
    return plan


def load(session: Session, settings: Settings) -> None:
    village = session.execute(select(Village).where(Village.slug == "xinghua")).scalar_one_or_none()
    if village is None:
        return
    chair, clerk, accountant = (_actor(session, p) for p in ("13800000001", "13800000002", "13800000003"))
    supervisor = _actor(session, "13800000004")
    fund_matter = session.execute(select(Proposal.id).where(Proposal.village_id == village.id,
                                                            Proposal.title == FUND_MATTER)).scalar_one_or_none()
    today = local_today()
    this_month = B.period_of(today)
    first = this_month
    for _ in range(12):
        first = B.previous_period(first)
    with _on(_day(first, 1), 9):
        books.open_ledger(session, accountant, village, "2023", first)
        for parent, code, name in (("501", "50101", "发包收入"), ("501", "50102", "租赁收入"),
                                   ("513", "51301", "办公费"), ("513", "51302", "干部报酬"),
                                   ("514", "51401", "环境卫生"), ("514", "51402", "路灯电费"),
                                   ("112", "11201", "王某（鱼塘承包户）")):
            books.add_sub_account(session, accountant, village, parent, code, name)
        books.set_openings(session, accountant, village, [
            books.OpeningIn("101", debit=200_000), books.OpeningIn("102", debit=14_800_000),
            books.OpeningIn("151", debit=60_000_000), books.OpeningIn("152", credit=12_000_000),
            books.OpeningIn("301", credit=30_000_000), books.OpeningIn("311", credit=33_000_000)])
        for name, category, fen, acquired, place in ASSETS:
            assets.add_asset(session, accountant, village, assets.AssetIn(name, fen, acquired, place, category))
        start = _day(first, 1)
        lease = assets.create_contract(session, accountant, village, assets.ContractIn(
            "lease", "村东鱼塘（12 亩）", "王某", start, date(start.year + 3, start.month, 1) - timedelta(days=1),
            "50101", [(date(start.year + y, start.month, 1) + timedelta(days=74), 2_400_000) for y in range(3)],
            note="2024 年村民代表会议决议：每亩每年 2,000 元，三年一签。"))
    serial = 0
    period, index = first, 0
    while period < this_month:
        for day, summary, lines, matter in _month_plan(period, index):
            serial += 1
            _voucher(session, settings, village, (accountant, chair, clerk), _day(period, day), summary, lines,
                     matter, receipt=f"XH-{period}-{serial:03d}")
        if index == 2:  # the fish pond's first year falls due and is paid
            first_due = assets.instalments(session, lease)[0]
            with _on(first_due.due_date, 9):
                assets.book_receivable(session, accountant, first_due.id)
            with _on(first_due.due_date, 15):
                assets.record_payment(session, accountant, first_due.id, first_due.due_date)
        if index == 11 and fund_matter:  # last month: the waste-collection matter's money, household by household
            # (the township filed the matter on the month's 2nd: app/demo/proposals.py)
            _fund(session, village, (accountant, chair), fund_matter, period)
        if index == 6:  # an office bill posted as 8,800 instead of 880, reversed and entered again
            wrong = _voucher(session, settings, village, (accountant, chair, clerk), _day(period, 22),
                             "支付打印机维修费", [L("51301", debit=880_000), L("102", credit=880_000)], None,
                             receipt=f"XH-{period}-R01")
            with _on(_day(period, 25)):
                red = vouchers.reverse(session, accountant, wrong.id, _day(period, 25))
                vouchers.review(session, chair, red.id)
                vouchers.post(session, clerk, red.id)
            _voucher(session, settings, village, (accountant, chair, clerk), _day(period, 25),
                     "支付打印机维修费（更正后）", [L("51301", debit=88_000), L("102", credit=88_000)], None,
                     receipt=f"XH-{period}-R02")
        following = B.next_period(period)
        close_day = _day(following, 2) if following < this_month or today.day > 2 else today
        with _on(close_day, 16 if close_day != today else 0):
            row = periods.close(session, accountant, village, period)
        if following < this_month or today.day >= 4:
            with _on(_day(following, 3), 9):
                notices.submit(session, accountant, row.notice_id)
        if following < this_month:
            with _on(_day(following, 3), 15):
                notices.review(session, supervisor, row.notice_id, approve=True)
            with _on(_day(following, 4), 9):
                notices.publish(session, chair, row.notice_id)
        period, index = following, index + 1
    # This month: one voucher waiting for review, one reviewed and waiting to be posted.
    if today.day >= 2:
        with _on(_day(this_month, 1)):
            done = vouchers.create(session, accountant, village, vouchers.VoucherIn(
                _day(this_month, 1), "收到镇财政转移支付", [L("102", debit=2_200_000), L("503", credit=2_200_000)]))
            vouchers.review(session, chair, done.id)
    with _on(today, 0):
        spend = vouchers.create(session, accountant, village, vouchers.VoucherIn(
            today, f"购买垃圾收集箱：{FUND_MATTER}", [L("153", debit=480_000), L("102", credit=480_000)], fund_matter))
        attachments.add(session, settings, accountant, "voucher", spend.id, "发票.pdf",
                        receipt_pdf(f"XH-{this_month}-001", spend.summary, 480_000))


ASSETS = [  # (name, category, fen, acquired, place): the 600,000 元 of 151 固定资产 at the books' start
    ("村部办公楼", "房屋", 45_000_000, date(2015, 6, 30), "村部"),
    ("文化广场健身器材", "设备", 12_000_000, date(2019, 9, 1), "文化广场"),
    ("灌溉抽水泵（2 台）", "机械", 3_000_000, date(2021, 4, 10), "第二组泵站"),
]


def _fund(session: Session, village: Village, people: tuple[Actor, Actor], matter: int, period: str) -> None:
    """Obligations set, two people excused, two in three households paying by receipt, some labour."""
    accountant, chair = people
    with _on(_day(period, 6), 9):
        funds.set_obligations(session, chair, matter)
        exempt = [uid for uid, *_ in funds.people(session, chair, matter)][-2:]
        for uid, reason in zip(exempt, ("wubao", "soldier"), strict=True):
            funds.exempt(session, chair, matter, uid, reason)
    rows = funds.households(session, chair, matter)
    for n, row in enumerate(rows):
        if n % 3 == 2 or not row.due:
            continue
        day = _day(period, 8 + n % 15)
        with _on(day, 10):
            funds.record_payment(session, accountant, matter, row.household_id, row.due, f"YS{period[2:4]}{n + 1:04d}",
                                 day)
    workers = [uid for uid, *_ in funds.people(session, chair, matter)][:12]
    for n, uid in enumerate(workers):
        with _on(_day(period, 20 + n % 5), 17):
            funds.record_labour(session, accountant, matter, uid, 1, _day(period, 20 + n % 5))


def _voucher(session: Session, settings: Settings, village: Village, people: tuple[Actor, Actor, Actor], day: date,
             summary: str, lines: list[B.Line], matter: int | None, *, receipt: str) -> object:
    accountant, reviewer, poster = people
    with _on(day):
        v = vouchers.create(session, accountant, village, vouchers.VoucherIn(day, summary, lines, matter))
        attachments.add(session, settings, accountant, "voucher", v.id, "收据.pdf",
                        receipt_pdf(receipt, summary, v.total))
        vouchers.review(session, reviewer, v.id)
        return vouchers.post(session, poster, v.id)
