"""Ten years of one village's books: 100,000 posted vouchers (300,000 lines) over 120 months; time
posting, a month's trial balance, a month's close and the year to date, beside the bare SQL sum.

    .venv/bin/python bench/accounts.py [--scale 0.05] [--rounds 7] [--url postgresql+psycopg://...]

The village keeps the 2023 chart from 2016-01, with five sub-accounts under 112 应收款; "today" is
2026-01-15 (app.clock), so 2025-12 is the last month and still open. The ledger, its accounts and
openings go through app.services.books; the vouchers and their lines are inserted in bulk (SQLAlchemy
Core, executemany): the vouchers as reviewed with their numbers, then the lines, then one UPDATE posts
them all (the database refuses lines added to a posted voucher), so the bulk vouchers have no audit
events. The first 119 months are then closed one by one through app.services.periods.close, as a
village would (each drafts its finance notice). `--scale 0.05` keeps the 120 months with 5,000
vouchers.

Each operation runs --rounds times in a fresh session (as a request has), the actors loaded before the
clock starts; the table shows the median and worst in ms and the SQL statements of the last run. The
baseline is the bare driver (sqlite3, or psycopg on PostgreSQL) running the one SUM … GROUP BY account
query of a month (and of the year) that the statement's figures come from.
On PostgreSQL the data lives in a fresh schema dropped at the end. A benchmark that prints figures,
not a timed test.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import bench_village, drop_pg_schema, pg_schema
from sqlalchemy import event, insert, select, update
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import clock
from app.cli import upgrade_database
from app.config import Settings
from app.domain import books as B
from app.domain.calendar import from_local
from app.main import create_app
from app.models import MemberRole, Membership, TownshipMonitor, User, Village, Voucher, VoucherLine
from app.services import auth, books, periods, vouchers
from app.services.access import Actor, load_actor

FIRST, LAST = "2016-01", "2025-12"  # 120 months
TODAY = date(2026, 1, 15)
VOUCHERS = 100_000
CLOSED_MONTH = "2025-06"
SUBS = [f"112{n:02d}" for n in range(1, 6)]


def months() -> list[str]:
    out, period = [], FIRST
    while period <= LAST:
        out.append(period)
        period = B.next_period(period)
    return out


# --- the database -------------------------------------------------------------------------------------

# --- filling --------------------------------------------------------------------------------------------

@dataclass
class Setup:
    village_id: int
    accountant: int  # prepares
    reviewer: int  # committee: reviews
    poster: int  # committee: posts
    monitor: int  # the township's monitor: reopens


def people(s: Session, settings: Settings) -> Setup:
    pw = auth.hash_password(settings, "Bench-pass-2026")
    actor, township, village = bench_village(s, settings, "Bench-pass-2026")
    ids = {}
    for key, name, phone, role in (("accountant", "报账员", "18000000001", "accountant"),
                                   ("reviewer", "村委会主任", "18000000002", "committee"),
                                   ("poster", "村委会副主任", "18000000003", "committee"),
                                   ("monitor", "乡镇监督员", "18000000004", None)):
        user = User(name=name, phone=phone, status="active", password_hash=pw, birth_date=date(1975, 1, 1))
        s.add(user)
        s.flush()
        ids[key] = user.id
        if role is None:
            s.add(TownshipMonitor(township_id=township.id, user_id=user.id))
            continue
        membership = Membership(village_id=village.id, user_id=user.id)
        s.add(membership)
        s.flush()
        s.add(MemberRole(membership_id=membership.id, role=role, village_id=village.id))
    s.commit()
    return Setup(village.id, **ids)


def actor_of(s: Session, user_id: int) -> Actor:
    return load_actor(s, s.get(User, user_id))


def lines_for(rng: random.Random, kind: int, amount: int) -> tuple[str, list[tuple[str, int, int]]]:
    """A summary and three lines (code, debit, credit) of one of the village's usual vouchers."""
    part = rng.randint(1, amount - 1)
    if kind == 0:
        return "收鱼塘承包费", [("102", amount, 0), ("501", 0, part), ("504", 0, amount - part)]
    if kind == 1:
        return "付路灯电费和办公用品", [("514", part, 0), ("513", amount - part, 0), ("102", 0, amount)]
    if kind == 2:
        return "收到一事一议财政奖补", [("102", amount, 0), ("503", 0, part), ("231", 0, amount - part)]
    if kind == 3:
        return "村民借款", [(rng.choice(SUBS), part, 0), ("101", amount - part, 0), ("102", 0, amount)]
    return "提现备用", [("101", amount, 0), ("102", 0, part), ("102", 0, amount - part)]  # nets to 0 in money


def fill(settings: Settings, scale: float) -> Setup:
    app = create_app(settings)  # connects the features: closing a month drafts its finance notice
    engine = app.state.engine
    rng = random.Random(2016)
    all_months = months()
    n_vouchers = max(len(all_months) * 2, round(VOUCHERS * scale))
    with Session(engine, expire_on_commit=False) as s:
        setup = people(s, settings)
        village = s.get(Village, setup.village_id)
        keeper = actor_of(s, setup.accountant)
        books.open_ledger(s, keeper, village, "2023", FIRST)
        for code in SUBS:
            books.add_sub_account(s, keeper, village, "112", code, f"村民{code[-2:]}")
        books.set_openings(s, keeper, village, [books.OpeningIn("101", debit=200_000),
                                                books.OpeningIn("102", debit=5_000_000),
                                                books.OpeningIn("301", credit=5_200_000)])
        by_code, _ = books.leaf_codes(s, village.id)
        account = {code: a.id for code, a in by_code.items()}

        started = time.perf_counter()
        per_month = [n_vouchers // len(all_months) + (i < n_vouchers % len(all_months))
                     for i in range(len(all_months))]
        drafts, planned = [], []
        for period, count in zip(all_months, per_month, strict=True):
            year, month = int(period[:4]), int(period[5:])
            days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
            for number in range(1, count + 1):
                day = date(year, month, 1 + (number - 1) * days // count)
                at = from_local(datetime(day.year, day.month, day.day, 10))
                summary, lines = lines_for(rng, rng.randrange(5), rng.randint(1_000, 2_000_000))
                drafts.append({"village_id": village.id, "period": period, "number": number, "voucher_date": day,
                               "summary": summary, "state": B.REVIEWED, "total": sum(d for _, d, _ in lines),
                               "prepared_by": setup.accountant, "reviewed_by": setup.reviewer, "reviewed_at": at,
                               "created_at": at, "updated_at": at})
                planned.append(lines)
        for chunk in range(0, len(drafts), 10_000):
            s.execute(insert(Voucher), drafts[chunk:chunk + 10_000])
        ids = {(p, n): vid for vid, p, n in s.execute(select(Voucher.id, Voucher.period, Voucher.number)
                                                      .where(Voucher.village_id == village.id)).all()}
        rows = []
        for draft, lines in zip(drafts, planned, strict=True):
            vid = ids[(draft["period"], draft["number"])]
            for lineno, (code, debit, credit) in enumerate(lines, start=1):
                rows.append({"voucher_id": vid, "village_id": village.id, "period": draft["period"], "lineno": lineno,
                             "account_id": account[code], "summary": "", "debit": debit, "credit": credit})
        for chunk in range(0, len(rows), 30_000):
            s.execute(insert(VoucherLine), rows[chunk:chunk + 30_000])
        s.execute(update(Voucher).where(Voucher.village_id == village.id, Voucher.state == B.REVIEWED)
                  .values(state=B.POSTED, posted_by=setup.poster, posted_at=Voucher.reviewed_at))
        s.commit()
        print(f"  批量写入 {len(drafts):,} 张凭证、{len(rows):,} 行分录：{time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        for period in all_months[:-1]:
            periods.close(s, keeper, village, period)
        print(f"  逐月结账 {len(all_months) - 1} 个月（periods.close）：{time.perf_counter() - started:.1f} s")
    engine.dispose()
    return setup


# --- measuring ------------------------------------------------------------------------------------------

class Counter:
    def __init__(self, engine) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._one)

    def _one(self, *_args, **_kw) -> None:
        self.n += 1


def timed(engine, counter: Counter, rounds: int, prepare: Callable[[Session], tuple],
          run: Callable[..., object], between: Callable[[], None] | None = None) -> tuple[list[float], int]:
    """`run(session, *prepare(session))` `rounds` times, each in a fresh session; the times in ms and the
    SQL statements of the last run. `between` runs (untimed) after each but the last."""
    times, statements = [], 0
    for i in range(rounds):
        with Session(engine, expire_on_commit=False) as s:
            args = prepare(s)
            counter.n = 0
            started = time.perf_counter()
            run(s, *args)
            times.append((time.perf_counter() - started) * 1000)
            statements = counter.n
        if between is not None and i < rounds - 1:
            between()
    return times, statements


SUM_SQL = ("SELECT vl.account_id, SUM(vl.debit), SUM(vl.credit) FROM voucher_line vl "
           "JOIN voucher v ON v.id = vl.voucher_id "
           "WHERE vl.village_id = {p} AND vl.period >= {p} AND vl.period <= {p} AND v.state = 'posted' "
           "GROUP BY vl.account_id")


def bare(url: str, village_id: int, start: str, end: str, rounds: int) -> tuple[list[float], int]:
    """The bare driver: the one SUM … GROUP BY account query, on a connection opened beforehand."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        conn = sqlite3.connect(parsed.database)
        sql = SUM_SQL.format(p="?")
    else:
        import psycopg

        conn = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
        sql = SUM_SQL.format(p="%s")
    times, rows = [], 0
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            cur = conn.cursor()
            cur.execute(sql, (village_id, start, end))
            rows = len(cur.fetchall())
            times.append((time.perf_counter() - started) * 1000)
            cur.close()
    finally:
        conn.close()
    return times, rows


def measure(settings: Settings, setup: Setup, rounds: int) -> None:
    app = create_app(settings)
    engine = app.state.engine
    counter = Counter(engine)
    vid = setup.village_id

    def as_(*users: int) -> Callable[[Session], tuple]:
        return lambda s: (s.get(Village, vid), *(actor_of(s, u) for u in users))

    day = [date(2025, 12, 1)]

    def post_one(s, village, keeper, reviewer, poster):
        day[0] = day[0] + timedelta(days=1) if day[0] < date(2025, 12, 31) else date(2025, 12, 1)
        data = vouchers.VoucherIn(day[0], "付村委会办公用品", [B.Line("513", debit=12_345), B.Line("101", debit=655),
                                                             B.Line("102", credit=13_000)])
        v = vouchers.create(s, keeper, village, data)
        vouchers.review(s, reviewer, v.id)
        vouchers.post(s, poster, v.id)

    def reopen_last() -> None:
        with Session(engine, expire_on_commit=False) as s:
            periods.reopen(s, actor_of(s, setup.monitor), s.get(Village, vid), LAST, "基准测试：重新结账")

    cases: list[tuple[str, list[float], int]] = []

    def case(label: str, *args, **kw) -> None:
        times, statements = timed(engine, counter, rounds, *args, **kw)
        cases.append((label, times, statements))

    case("记账一张凭证（制单+审核+记账）", as_(setup.accountant, setup.reviewer, setup.poster), post_one)
    case(f"试算平衡 {LAST}（未结账月）", as_(setup.accountant),
         lambda s, v, a: periods.statement(s, a, v, LAST))
    case(f"试算平衡 {CLOSED_MONTH}（已结账月）", as_(setup.accountant),
         lambda s, v, a: periods.statement(s, a, v, CLOSED_MONTH))
    case(f"科目余额表 {LAST[:4]} 年初至今", as_(setup.accountant),
         lambda s, v, a: periods.statement(s, a, v, LAST, year_to_date=True))
    case("月份列表（periods.months）", as_(setup.accountant), lambda s, v, a: periods.months(s, a, v))
    case(f"结账 {LAST}（每次之间反结账）", as_(setup.accountant),
         lambda s, v, a: periods.close(s, a, v, LAST), between=reopen_last)

    with Session(engine, expire_on_commit=False) as s:
        checks = [periods.statement(s, actor_of(s, setup.accountant), s.get(Village, vid), p, year_to_date=ytd)
                  for p, ytd in ((LAST, False), (CLOSED_MONTH, False), (LAST, True))]
    engine.dispose()
    month_bare, month_rows = bare(settings.database_url, vid, LAST, LAST, rounds)
    year_bare, _ = bare(settings.database_url, vid, B.year_start(LAST), LAST, rounds)

    print(f"\n{'操作':<30}{'中位数 ms':>10}{'最慢 ms':>10}{'SQL 条数':>10}")
    for label, times, statements in cases:
        print(f"{label:<30}{statistics.median(times):>10.1f}{max(times):>10.1f}{statements:>10}")
    print(f"{'裸驱动：一个月按科目 SUM':<30}{statistics.median(month_bare):>10.1f}{max(month_bare):>10.1f}{1:>10}")
    print(f"{'裸驱动：一年按科目 SUM':<30}{statistics.median(year_bare):>10.1f}{max(year_bare):>10.1f}{1:>10}")
    month_page = next(n for label, _, n in cases if label.startswith(f"试算平衡 {LAST}")) + \
        next(n for label, _, n in cases if label.startswith("月份列表"))
    print(f"\n{LAST} 有 {checks[0].vouchers:,} 张已记账凭证，{month_rows} 个科目有发生额；"
          f"月份页（试算平衡 + 月份列表）共 {month_page} 条 SQL。")
    print("试算平衡核对：" + "，".join(f"{c.label}{'平衡' if c.balanced else '不平衡！'}（{c.vouchers:,} 张）"
                                   for c in checks))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 100,000 vouchers (0.05: 5,000)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: a temp SQLite file)")
    args = parser.parse_args()
    if not 0 < args.scale <= 1 or args.rounds < 1:
        parser.error("--scale 在 0 到 1 之间，--rounds 至少 1")

    tmp = Path(tempfile.mkdtemp(prefix="cunyi-bench-accounts-"))
    schema = None
    clock.set_source(lambda: from_local(datetime(TODAY.year, TODAY.month, TODAY.day, 12)).astimezone(UTC))
    try:
        if args.url:
            schema, url = pg_schema(args.url)
        else:
            url = f"sqlite:///{tmp / 'bench.db'}"
        settings = Settings(database_url=url, secret_key="bench", upload_dir=tmp / "uploads",
                            argon2_time_cost=1, argon2_memory_kib=1024)
        upgrade_database(settings)
        print(f"{make_url(url).get_backend_name()}：十年账（{FIRST} 至 {LAST}），规模 {args.scale:g}")
        started = time.perf_counter()
        setup = fill(settings, args.scale)
        print(f"  建账合计：{time.perf_counter() - started:.1f} s")
        measure(settings, setup, args.rounds)
    finally:
        clock.set_source(None)
        if schema:
            drop_pg_schema(args.url, schema)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
