"""Cast ballots over HTTP, beside a bare Starlette app doing the same SQL writes; tally 1,000,000 ballots.

    .venv/bin/python bench/votes.py [--voters 2000] [--clients 8] [--ballots-million 1] [--url postgresql+psycopg://...]

1. The real app (uvicorn, one worker, as deployed) on a temp database holding a village of N adult
   voters, an assembly council and an open secret vote made with the services. Every voter logs in
   first (POST /api/v1/auth/token, not timed); then a pool of keep-alive client threads casts one
   ballot per voter with POST /api/v1/votes/{sid}/ballots: ballots per second, p50/p95/p99 latency.
   (bench/cast.py drives the same casts under sustained load with wrk, one or more workers, and
   profiles one cast.)
2. A bare Starlette app (no FastAPI, no auth, no audit) served the same way, doing only the SQL
   writes of a secret ballot (register row, box row, the state re-read under a shared lock) for the
   same voters in a second session, driven by the same pool.
3. 1,000,000 ballots (with their electors and register rows) bulk-inserted into one session inside
   the database (a recursive CTE on SQLite, generate_series on PostgreSQL, in batches); then the
   time of votes._tally, twice, and on PostgreSQL once more after a VACUUM of the box, the register and
   the electorate (what autovacuum leaves behind tables that grow by inserts, as they do over a vote's
   hours: most pages marked all-visible); then close_session, with the counts.

On PostgreSQL the data lives in a fresh schema dropped at the end; on SQLite in a temp directory
removed at the end. A benchmark that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bare import Server
from common import analyze, served_database
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.db import make_engine

PASSWORD = "Bench-pass-2026"
CHAIR_PHONE = "19900000001"
BATCH = 100_000


# --- the bare app -----------------------------------------------------------------------------

def bare_app():
    """`uvicorn --factory --app-dir bench votes:bare_app`: only the SQL of a secret ballot.

    POST /ballots/{sid} {voter, choice} → 201 {receipt, changed}; 409 on a second ballot or after close.
    The body is read on the event loop and the writes run in AnyIO's thread pool, as FastAPI does for
    a sync endpoint; same engine settings (pool, SQLite pragmas) as the app.
    """
    from sqlalchemy.exc import IntegrityError
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from app.domain import votes as V
    from app.models import BallotBox, BallotRegister, VoteSession, utcnow

    engine = make_engine(Settings())
    register, box = BallotRegister.__table__, BallotBox.__table__

    def write(sid: int, voter: int, choice: int) -> tuple[int, dict]:
        receipt = V.new_receipt()
        try:
            with engine.begin() as conn:
                conn.execute(insert(register).values(vote_session_id=sid, voter_id=voter, cast_by=voter))
                conn.execute(insert(box).values(id=V.new_box_id(), vote_session_id=sid, choice=choice,
                                                receipt=receipt))
                state, closes_at = conn.execute(select(VoteSession.state, VoteSession.closes_at)
                                                .where(VoteSession.id == sid).with_for_update(read=True)).one()
                if state != "open" or utcnow() >= closes_at:
                    conn.rollback()
                    return 409, {"detail": "表决已经结束"}
        except IntegrityError:
            return 409, {"detail": "已经投过票了"}
        return 201, {"receipt": receipt, "changed": False}

    async def ballot(request):
        body = await request.json()
        status, payload = await run_in_threadpool(write, int(request.path_params["sid"]), int(body["voter"]),
                                                  int(body["choice"]))
        return JSONResponse(payload, status_code=status)

    async def ping(request):
        def one():
            with engine.connect() as conn:
                return conn.execute(text("SELECT 1")).scalar_one()
        return JSONResponse({"ok": await run_in_threadpool(one)})

    return Starlette(routes=[Route("/", ping, methods=["GET", "POST"]),
                             Route("/ballots/{sid:int}", ballot, methods=["POST"])])


# --- the database -----------------------------------------------------------------------------

@dataclass
class Setup:
    village_id: int
    chair_id: int
    voters: list[tuple[int, str]]  # (user id, phone)
    app_sid: int  # cast through the app
    bare_sid: int  # cast through the bare app
    tally_sid: int  # a draft session on a third matter, for the 1,000,000 ballots


def fill(settings: Settings, engine: Engine, n: int) -> Setup:
    from app.domain import rulebook as R
    from app.models import Household, MemberRole, Membership, Proposal, User, utcnow
    from app.services import auth, councils, places, votes
    from app.services.access import Actor, load_actor

    pw = auth.hash_password(settings, PASSWORD)  # cheap argon2 (time cost 1, 1 MiB), the same for all
    now = utcnow()
    with Session(engine) as s:
        admin = User(name="管理员", phone="19900000000", is_admin=True, status="active", password_hash=pw)
        chair = User(name="村主任", phone=CHAIR_PHONE, status="active", password_hash=pw, birth_date=date(1970, 1, 1))
        s.add_all([admin, chair])
        s.commit()
        actor = Actor(user=admin)
        county = places.create_county(s, actor, "基准县")
        township = places.create_township(s, actor, "基准镇", county.id)
        village = places.create_village(s, actor, "基准村", "bench", township.id)
        s.execute(insert(Household), [{"village_id": village.id, "number": f"B-{i:05d}"} for i in range(n // 4 + 1)])
        households = list(s.execute(select(Household.id).where(Household.village_id == village.id)
                                    .order_by(Household.id)).scalars())
        s.execute(insert(User), [{"name": f"村民{i}", "phone": f"18{i:09d}", "birth_date": date(1950 + i % 50, 1, 1),
                                  "status": "active", "password_hash": pw, "is_admin": False, "created_at": now}
                                 for i in range(n)])
        voters = [(uid, phone) for uid, phone in s.execute(
            select(User.id, User.phone).where(User.phone.like("18%")).order_by(User.id))]
        members = [(chair.id, households[-1])] + [(uid, households[i // 4]) for i, (uid, _) in enumerate(voters)]
        s.execute(insert(Membership), [{"village_id": village.id, "user_id": uid, "household_id": hid,
                                        "created_at": now} for uid, hid in members])
        mids = s.execute(select(Membership.id, Membership.user_id).where(Membership.village_id == village.id)).all()
        s.execute(insert(MemberRole), [{"membership_id": m, "role": "villager", "village_id": village.id}
                                       for m, _ in mids]
                  + [{"membership_id": m, "role": "committee", "village_id": village.id}
                     for m, u in mids if u == chair.id])
        s.execute(insert(Proposal), [
            {"village_id": village.id, "author_id": chair.id, "title": title, "body": "方案见附件。",
             "category": "facilities", "procedure": "yishiyiyi", "state": "vote", "stage_entered_at": now,
             "submitted_at": now, "cosign_count": 0, "comment_count": 0, "created_at": now, "updated_at": now}
            for title in ("安装村道路灯（经应用投票）", "安装村道路灯（裸应用投票）", "百万张票计票")])
        s.commit()
        pids = list(s.execute(select(Proposal.id).where(Proposal.village_id == village.id)
                              .order_by(Proposal.id)).scalars())
        chair_actor = load_actor(s, chair)
        council = councils.create_council(s, chair_actor, village, kind=R.ASSEMBLY, name="村民会议")
        sids = []
        for i, pid in enumerate(pids):
            vs = votes.create_session(s, chair_actor, pid, council_id=council.id, question="是否同意？", options=None,
                                      secret=True, allow_change=False, opens_at=utcnow(),
                                      closes_at=utcnow() + timedelta(days=1))
            if i < 2:
                votes.open_session(s, chair_actor, vs.id)
            sids.append(vs.id)
        return Setup(village.id, chair.id, voters, sids[0], sids[1], sids[2])


# --- servers and clients ------------------------------------------------------------------------

@dataclass
class Run:
    wall: float
    latencies: list[float]  # seconds, one per request (empty when a driver reports its own quantiles)
    statuses: dict[int, int]
    bodies: list[bytes]
    quantiles_ms: dict[float, float] | None = None  # from the driver (wrk): 0.5, 0.9, 0.99, 1.0
    requests: int | None = None  # from the driver (wrk), else one per latency
    cpu_s: float = 0.0  # the server's CPU time over the run, where measured
    db_cpu_s: float | None = None  # PostgreSQL's CPU time over the run, where measured

    @property
    def per_second(self) -> float:
        return (self.requests if self.requests is not None else len(self.latencies)) / self.wall

    def quantile(self, q: float) -> float:
        if self.quantiles_ms is not None:
            return self.quantiles_ms[q]
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    p50 = property(lambda self: self.quantile(0.5))
    p90 = property(lambda self: self.quantile(0.9))
    p99 = property(lambda self: self.quantile(0.99))
    max = property(lambda self: self.quantile(1.0))


def drive(port: int, requests: list[tuple[str, bytes, dict[str, str]]], clients: int) -> Run:
    """POST every request once, from `clients` threads each holding one keep-alive connection."""
    results: list[tuple[int, float, bytes] | None] = [None] * len(requests)
    todo = iter(range(len(requests)))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                path, body, headers = requests[i]
                started = time.perf_counter()
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json", **headers})
                response = conn.getresponse()
                data = response.read()
                results[i] = (response.status, time.perf_counter() - started, data)
        except BaseException as exc:  # noqa: BLE001 — reported after the run
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"client error: {errors[0]!r}")
    statuses: dict[int, int] = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return Run(wall, [r[1] for r in results], statuses, [r[2] for r in results])


def _json(payload: dict) -> bytes:
    return json.dumps(payload).encode()


# --- 1. and 2.: casting over HTTP ---------------------------------------------------------------

def cast_over_http(setup: Setup, env: dict[str, str], tmp: Path, clients: int) -> tuple[Run, Run]:
    app = Server(["app.main:create_app"], env, tmp / "app.log")
    try:
        t = time.perf_counter()
        logins = drive(app.port, [("/api/v1/auth/token", _json({"phone": phone, "password": PASSWORD}), {})
                                  for _, phone in setup.voters], clients)
        if logins.statuses != {200: len(setup.voters)}:
            raise RuntimeError(f"logins: {logins.statuses} {logins.bodies[0][:300]!r}")
        tokens = [json.loads(b)["access_token"] for b in logins.bodies]
        print(f"{len(tokens)} 名村民登录取得令牌（不计时）：{time.perf_counter() - t:.1f} s")
        real = drive(app.port, [(f"/api/v1/votes/{setup.app_sid}/ballots", _json({"choice": i % 3}),
                                 {"Authorization": f"Bearer {token}"}) for i, token in enumerate(tokens)], clients)
    finally:
        app.stop()
    bare = Server(["--app-dir", "bench", "votes:bare_app"], env, tmp / "bare.log")
    try:
        drive(bare.port, [("/", b"", {})] * clients * 4, clients)  # open the pool's connections, as the logins did
        bare_run = drive(bare.port, [(f"/ballots/{setup.bare_sid}", _json({"voter": uid, "choice": i % 3}), {})
                                     for i, (uid, _) in enumerate(setup.voters)], clients)
    finally:
        bare.stop()
    return real, bare_run


def ballots_in(engine: Engine, sid: int) -> tuple[int, int]:
    from app.models import BallotBox, BallotRegister

    with engine.connect() as conn:
        return (conn.execute(select(func.count()).where(BallotRegister.vote_session_id == sid)).scalar_one(),
                conn.execute(select(func.count()).where(BallotBox.vote_session_id == sid)).scalar_one())


# --- 3.: tallying a million ---------------------------------------------------------------------

def bulk_ballots(engine: Engine, setup: Setup, n: int) -> None:
    """n users, electors, register rows and box rows for the tally session, generated in the database."""
    pg = engine.dialect.name == "postgresql"
    if pg:
        series = "generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) AS s(n)"
        users_sql = f"""INSERT INTO "user" (name, phone, status, is_admin, created_at)
            SELECT '计票村民' || n, '17' || lpad(n::text, 9, '0'), 'active', false,
                   (SELECT created_at FROM "user" WHERE id = :chair) FROM {series}"""
        box_sql = f"""INSERT INTO ballot_box (id, vote_session_id, choice, receipt)
            SELECT md5(random()::text || n::text), :sid, CASE WHEN n % 10 < 6 THEN 0 WHEN n % 10 < 9 THEN 1 ELSE 2 END,
                   upper(substr(md5(n::text || random()::text), 1, 16)) FROM {series}"""
    else:
        series = "WITH RECURSIVE s(n) AS (SELECT :lo UNION ALL SELECT n + 1 FROM s WHERE n < :hi) "
        users_sql = series + """INSERT INTO "user" (name, phone, status, is_admin, created_at)
            SELECT '计票村民' || n, '17' || printf('%09d', n), 'active', 0,
                   (SELECT created_at FROM "user" WHERE id = :chair) FROM s"""
        box_sql = series + """INSERT INTO ballot_box (id, vote_session_id, choice, receipt)
            SELECT lower(hex(randomblob(16))), :sid, CASE WHEN n % 10 < 6 THEN 0 WHEN n % 10 < 9 THEN 1 ELSE 2 END,
                   hex(randomblob(8)) FROM s"""
    users_range = """FROM "user" WHERE phone BETWEEN :plo AND :phi"""
    elector_sql = f"INSERT INTO elector (vote_session_id, user_id, household_id) SELECT :sid, id, id / 4 {users_range}"
    register_sql = f"INSERT INTO ballot_register (vote_session_id, voter_id, cast_by) SELECT :sid, id, id {users_range}"
    for lo in range(1, n + 1, BATCH):
        hi = min(n, lo + BATCH - 1)
        params = {"lo": lo, "hi": hi, "sid": setup.tally_sid, "chair": setup.chair_id,
                  "plo": f"17{lo:09d}", "phi": f"17{hi:09d}"}
        with engine.begin() as conn:
            for sql in (users_sql, elector_sql, register_sql, box_sql):
                conn.execute(text(sql), params)
    from app.models import Elector, VoteSession, utcnow

    with engine.begin() as conn:
        households = conn.execute(select(func.count(func.distinct(Elector.household_id)))
                                  .where(Elector.vote_session_id == setup.tally_sid)).scalar_one()
        conn.execute(update(VoteSession).where(VoteSession.id == setup.tally_sid).values(
            state="open", opened_at=utcnow(), electorate_size=n, households_total=households))
    analyze(engine, '"user", elector, ballot_register, ballot_box')


def tally_million(settings: Settings, engine: Engine, setup: Setup, n: int) -> None:
    from app.models import User, VoteSession
    from app.services import votes
    from app.services.access import load_actor

    t = time.perf_counter()
    bulk_ballots(engine, setup, n)
    print(f"批量写入 {n:,} 名选民、{n:,} 条投票登记和 {n:,} 张选票：{time.perf_counter() - t:.1f} s")
    with Session(engine, expire_on_commit=False) as s:
        vs = s.get(VoteSession, setup.tally_sid)
        for label in ("第一次（刚批量写入，还没有清理）", "第二次"):
            t = time.perf_counter()
            tally = votes._tally(s, vs)
            print(f"votes._tally {label}：{time.perf_counter() - t:.2f} s")
            s.rollback()
        if engine.dialect.name == "postgresql":
            # what autovacuum leaves behind a table that grew by inserts (PostgreSQL 13+): a vote's ballots come
            # in over hours, so at close most pages are marked all-visible and their rows need no visibility check
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ballot_box, ballot_register, elector"))
            t = time.perf_counter()
            votes._tally(s, vs)
            print(f"votes._tally 清理（VACUUM，如 autovacuum）之后：{time.perf_counter() - t:.2f} s")
            s.rollback()
        print(f"  各项票数 {dict(zip(tally.options, tally.counts, strict=True))}，到会 {tally.present:,} 人，"
              f"到会户数 {tally.households_present:,}/{tally.households:,}")
        chair = load_actor(s, s.get(User, setup.chair_id))
        t = time.perf_counter()
        vs = votes.close_session(s, chair, setup.tally_sid)
        took = time.perf_counter() - t
        result = vs.result
        print(f"close_session（计票、写结果、审计、提交）：{took:.2f} s；"
              f"{'通过' if result['passed'] else '未通过'}，同意 {result['yes']:,} 票，需 {result['yes_needed']:,} 票")


# --- main ---------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8, help="client threads, one keep-alive connection each")
    parser.add_argument("--ballots-million", type=float, default=1.0, help="ballots to tally, in millions")
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: a temp SQLite file)")
    args = parser.parse_args()

    with served_database(args.url, "cunyi-bench-votes-") as (tmp, env, settings, engine):
        kind = engine.dialect.name
        t = time.perf_counter()
        setup = fill(settings, engine, args.voters)
        print(f"{kind}：填入 {args.voters} 名成年村民、村民会议和两次进行中的无记名表决："
              f"{time.perf_counter() - t:.1f} s")

        real, bare = cast_over_http(setup, env, tmp, args.clients)
        print(f"\n{'经 HTTP 投票（' + str(args.clients) + ' 个客户端线程，保持连接）':<34}"
              f"{'张/秒':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  状态码")
        for label, run in (("村议应用（FastAPI）", real), ("裸 Starlette（只写 SQL）", bare)):
            print(f"{label:<34}{run.per_second:>8.0f}{run.quantile(0.5):>9.1f}{run.quantile(0.95):>9.1f}"
                  f"{run.quantile(0.99):>9.1f}  "
                  f"{dict(sorted(run.statuses.items()))}")
        print(f"村议应用的吞吐是裸应用的 {real.per_second / bare.per_second:.0%}。多出的开销换来的是：令牌会话核验、"
              "CSRF 检查、本村村民与选民名单核对、表决状态与时间检查，以及每张票一条、锁住链头的审计链。")
        for label, sid in (("应用", setup.app_sid), ("裸应用", setup.bare_sid)):
            register, box = ballots_in(engine, sid)
            print(f"  {label}表决 #{sid}：投票登记 {register} 条，票箱 {box} 张")

        n = int(args.ballots_million * 1_000_000)
        print(f"\n计票 {n:,} 张（{kind}）")
        tally_million(settings, engine, setup, n)


if __name__ == "__main__":
    main()
