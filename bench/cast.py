"""Casting secret ballots over HTTP under load: ballots per second and latency at 32 connections, then a
check that every acknowledged ballot landed; and a profile of one cast.

    .venv/bin/python bench/cast.py [--workers 1] [--connections 32] [--seconds 10] [--voters 30000]
                                   [--driver wrk|python] [--bare] [--profile 300] [--threads N]
                                   [--url postgresql+psycopg://...]

The real app (uvicorn, `--workers N`, as `cunyi serve` runs it) on a temp database holding a village of
N adult voters, its assembly and open secret votes made with the services. Every voter has a bearer
token (a session row written in bulk just before the run, as if each had just logged in). After a
warm-up of a few hundred casts on another vote, the load: each request casts one voter's ballot with
POST /api/v1/votes/{sid}/ballots, never the same voter twice.

The driver is wrk (2 threads, bench/bare.py's Lua script, each request the next voter's token) when it is
installed, as the figures of issue 11 were measured; otherwise Python threads, one keep-alive connection
each (slower: on a two-core machine the client takes CPU from the server). `--bare` also drives the bare
Starlette app of bench/votes.py (only the SQL of a secret ballot, no auth, no audit) the same way: the
ceiling of the stack.

Each row also gives the server's CPU time per ballot (its processes' user and system time over the
run, divided by the answers): on a machine shared with the client and other work it moves far less than
the rate does, so compare changes by it. On PostgreSQL a second column gives the CPU per ballot of the
PostgreSQL backends serving the server (when PostgreSQL runs on this machine, sharing its cores); there
the pool holds a connection per client connection, so that none closes during a run and takes its
backend's time along.

After the run: the register, the box and the ballot audit events each hold exactly as many rows as
there were 201 answers, and the village's audit chain verifies. Durability is as deployed
(synchronous=FULL on SQLite).

`--profile N` first casts N ballots one after another inside this process, through the whole ASGI app
(the thread pool run inline so the profiler sees the endpoint), and prints the time and SQL statements
per cast and pyinstrument's profile (when it is importable) of those casts. A secret ballot's write runs
on the ballot writer's own thread (app/batches.py), which the profile does not follow: the time it takes
shows as the request's wait.

On PostgreSQL the data lives in a fresh schema dropped at the end; on SQLite in a temp directory
removed at the end. A benchmark that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import secrets
import shutil
import time
from datetime import timedelta
from pathlib import Path

from bare import Request, Server, wrk
from common import backends_cpu, backends_cpu_since, served_database
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from votes import Run, Setup, drive, fill

from app.config import Settings

WARMUP = 300



def tokens_for(engine: Engine, settings: Settings, voters: list[tuple[int, str]]) -> list[str]:
    """A live API session per voter, written in bulk (as many logins just before the vote)."""
    from app.models import UserSession, utcnow

    now = utcnow()
    tokens = [secrets.token_urlsafe(32) for _ in voters]
    rows = [{"token_hash": hashlib.sha256(t.encode()).hexdigest(), "user_id": uid, "kind": "api",
             "csrf_token": secrets.token_urlsafe(32), "created_at": now, "last_seen_at": now,
             "expires_at": now + timedelta(hours=settings.session_max_hours)} for t, (uid, _) in zip(tokens, voters,
                                                                                                    strict=True)]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(UserSession), rows[start:start + 5000])
    return tokens


def another_open_vote(engine: Engine, setup: Setup, title: str) -> int:
    """One more open secret vote of the same assembly on a new matter (the warm-up's, the profile's)."""
    from app.models import Council, Proposal, User, utcnow
    from app.services import votes
    from app.services.access import load_actor

    now = utcnow()
    with Session(engine, expire_on_commit=False) as s:
        proposal = Proposal(village_id=setup.village_id, author_id=setup.chair_id, title=title, body="方案见附件。",
                            category="facilities", procedure="yishiyiyi", state="vote", stage_entered_at=now,
                            submitted_at=now, cosign_count=0, comment_count=0)
        s.add(proposal)
        s.commit()
        council = s.execute(select(Council.id).where(Council.village_id == setup.village_id)).scalar_one()
        chair = load_actor(s, s.get(User, setup.chair_id))
        vs = votes.create_session(s, chair, proposal.id, council_id=council, question="是否同意？", options=None,
                                  secret=True, allow_change=False, opens_at=utcnow(),
                                  closes_at=utcnow() + timedelta(days=1))
        return votes.open_session(s, chair, vs.id).id


# --- the load ------------------------------------------------------------------------------------

def run_wrk(server: Server, path: str, keys: list[str], mode: str, connections: int, seconds: int,
            tmp: Path) -> Run:
    """wrk -t2 -cN -dS through bench/bare.py's driver: each request casts the next voter's ballot once
    (past the last voter, the last again: a 409, counted apart)."""
    json_type = {"Content-Type": "application/json"}
    if mode == "bare":
        requests = [Request("cast", "POST", path, json_type, f'{{"voter":{k},"choice":{i % 3}}}')
                    for i, k in enumerate(keys)]
    else:
        requests = [Request("cast", "POST", path, {**json_type, "Authorization": f"Bearer {k}"},
                            f'{{"choice":{i % 3}}}') for i, k in enumerate(keys)]
    load = wrk(server, requests, {"cast": "1:once"}, seconds=seconds, connections=connections, threads=2, tmp=tmp)
    if load.spent:
        print(f"  注意：投票人不够，{load.spent} 个请求重复了投票人（409），请加大 --voters")
    return Run(load.seconds, [], load.statuses, [],
               {0.5: load.p50, 0.9: load.p90, 0.99: load.p99, 1.0: load.max}, load.requests)


def run_python(port: int, path: str, keys: list[str], mode: str, connections: int) -> Run:
    if mode == "bare":
        requests = [(path, json.dumps({"voter": int(k), "choice": i % 3}).encode(), {}) for i, k in enumerate(keys)]
    else:
        requests = [(path, json.dumps({"choice": i % 3}).encode(), {"Authorization": f"Bearer {k}"})
                    for i, k in enumerate(keys)]
    return drive(port, requests, connections)


def landed(engine: Engine, setup: Setup, sid: int) -> dict[str, int]:
    """What the database holds for one vote: register rows, box rows, ballot audit events."""
    from app.models import AuditEvent, BallotBox, BallotRegister

    with engine.connect() as conn:
        def n(stmt):
            return conn.execute(stmt).scalar_one()
        return {
            "register": n(select(func.count()).where(BallotRegister.vote_session_id == sid)),
            "box": n(select(func.count()).where(BallotBox.vote_session_id == sid)),
            "audit": n(select(func.count()).where(AuditEvent.village_id == setup.village_id,
                                                  AuditEvent.entity == "vote", AuditEvent.entity_id == str(sid),
                                                  AuditEvent.action == "vote.ballot")),
        }


def chain_ok(engine: Engine, village_id: int) -> str:
    from app.services import audit

    with Session(engine) as s:
        result = audit.verify_chain(s, village_id)
    return f"完整（{result.checked} 条）" if result.ok else f"断在第 {result.broken_at} 条：{result.reason}"


def report(label: str, run: Run) -> None:
    """One row of the table. The server's CPU per request (its processes' user and system time over the
    run, divided by the requests answered) moves far less than the rate with other load on the machine:
    compare changes by it."""
    answered = run.requests if run.requests is not None else len(run.latencies)
    cpu_ms = run.cpu_s * 1000 / answered if answered else 0.0
    db_ms = f"{run.db_cpu_s * 1000 / answered:>11.2f}" if run.db_cpu_s is not None and answered else ""
    print(f"{label:<28}{run.per_second:>8.0f}{run.p50:>9.1f}{run.p90:>9.1f}{run.p99:>9.1f}{run.max:>9.1f}"
          f"{cpu_ms:>10.2f}{db_ms}  {dict(sorted(run.statuses.items()))}")


# --- a profile of one cast, in this process --------------------------------------------------------

def profile_casts(settings: Settings, engine: Engine, sid: int, tokens: list[str]) -> None:
    """Cast one ballot per token through the ASGI app in this thread (FastAPI's thread pool run inline)."""
    import fastapi.dependencies.utils
    import fastapi.routing
    import starlette.concurrency

    from app.main import create_app

    async def inline(func, *args, **kwargs):
        return func(*args, **kwargs)

    for module in (fastapi.routing, fastapi.dependencies.utils, starlette.concurrency):
        if hasattr(module, "run_in_threadpool"):
            module.run_in_threadpool = inline
    app = create_app(settings.model_copy(update={"scheduler": False, "startup_check": False}))
    statements: list[str] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda _c, _cur, sql, *a: statements.append(sql))

    async def one(token: str, choice: int) -> int:
        body = json.dumps({"choice": choice}).encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": f"/api/v1/votes/{sid}/ballots", "raw_path": b"", "query_string": b"",
                 "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
                 "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode()),
                             (b"authorization", f"Bearer {token}".encode())]}
        status: list[int] = []
        sent = False

        async def receive():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        return status[0]

    async def all_of(batch: list[str]) -> list[int]:
        return [await one(t, i % 3) for i, t in enumerate(batch)]

    asyncio.run(all_of(tokens[:20]))  # warm the caches
    half = (len(tokens) - 20) // 2
    timed, profiled = tokens[20:20 + half], tokens[20 + half:]
    statements.clear()
    started, cpu = time.perf_counter(), time.process_time()
    codes = asyncio.run(all_of(timed))
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    per = len(statements) / len(timed)
    print(f"\n一张接一张投 {len(timed)} 张（进程内，整个 ASGI 应用，不剖析）：每张 {took / len(timed) * 1000:.2f} ms"
          f"（CPU {cpu / len(timed) * 1000:.2f} ms），SQL {per:.1f} 条；"
          f"状态码 {dict(sorted({c: codes.count(c) for c in codes}.items()))}")
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None  # noqa: N806
    profiler = Profiler(async_mode="disabled") if Profiler else None
    if profiler:
        profiler.start()
    codes = asyncio.run(all_of(profiled))
    if profiler:
        profiler.stop()
    app.state.engine.dispose()
    seen: dict[str, int] = {}
    for sql in statements[:round(per)]:
        key = " ".join(sql.split())[:110]
        seen[key] = seen.get(key, 0) + 1
    for sql, n in seen.items():
        print(f"  {n} × {sql}")
    if profiler:
        print(profiler.output_text(unicode=True, color=False, show_all=False, time="percent_of_total"))
    else:
        print("（没有 pyinstrument：只计时，不出剖析）")


# --- main -------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--threads", type=int, default=None, help="CUNYI_THREADS of the server (default: its own)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10, help="length of the run with wrk")
    parser.add_argument("--voters", type=int, default=30000)
    parser.add_argument("--driver", choices=("wrk", "python"), default=None,
                        help="default: wrk when installed, else Python threads")
    parser.add_argument("--bare", action="store_true", help="also drive the bare Starlette app")
    parser.add_argument("--profile", type=int, default=0, help="first profile this many casts in-process")
    parser.add_argument("--profile-only", action="store_true", help="only the profile, no load")
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: a temp SQLite file)")
    args = parser.parse_args()
    driver = args.driver or ("wrk" if shutil.which("wrk") else "python")

    with served_database(args.url, "cunyi-bench-cast-") as (tmp, env, settings, engine):
        if args.threads:
            env["CUNYI_THREADS"] = str(args.threads)
        kind = engine.dialect.name
        if kind == "postgresql":  # no connection closes during a run, taking its backend's CPU time along
            env["CUNYI_DB_POOL_SIZE"] = str(args.connections)
        t = time.perf_counter()
        setup = fill(settings, engine, args.voters)
        warm_sid = another_open_vote(engine, setup, "预热用的表决")
        profile_sid = another_open_vote(engine, setup, "剖析用的表决") if args.profile else None
        tokens = tokens_for(engine, settings, setup.voters)
        print(f"{kind}：{args.voters} 名成年村民（各有登录令牌）、村民会议、进行中的无记名表决："
              f"{time.perf_counter() - t:.1f} s")
        if profile_sid:
            profile_casts(settings, engine, profile_sid, tokens[:args.profile])
            if args.profile_only:
                return

        def load(server: Server, path: str, keys: list[str], name: str) -> Run:
            """The load on `server`, with its CPU time over the run and (PostgreSQL) its backends'."""
            cpu, db_cpu = server.cpu_seconds(), backends_cpu(engine) if kind == "postgresql" else {}
            if driver == "wrk":
                run = run_wrk(server, path, keys, name, args.connections, args.seconds, tmp)
            else:
                run = run_python(server.port, path, keys, name, args.connections)
            run.cpu_s = server.cpu_seconds() - cpu
            if kind == "postgresql":
                run.db_cpu_s = backends_cpu_since(engine, db_cpu)
            return run

        app = Server(["app.main:create_app"], env, tmp / "app.log", workers=args.workers)
        try:
            warm = drive(app.port, [(f"/api/v1/votes/{warm_sid}/ballots", b'{"choice": 0}',
                                     {"Authorization": f"Bearer {k}"}) for k in tokens[:WARMUP]],
                         args.connections)
            if warm.statuses != {201: WARMUP}:
                raise RuntimeError(f"warm-up: {warm.statuses} {warm.bodies[0][:300]!r}")
            real = load(app, f"/api/v1/votes/{setup.app_sid}/ballots", tokens, "app")
        finally:
            app.stop()
        bare = None
        if args.bare:
            server = Server(["--app-dir", "bench", "votes:bare_app"], env, tmp / "bare.log",
                            workers=args.workers)
            try:
                drive(server.port, [("/", b"", {})] * args.connections * 4, args.connections)
                bare = load(server, f"/ballots/{setup.bare_sid}", [str(uid) for uid, _ in setup.voters], "bare")
            finally:
                server.stop()

        print(f"\n{kind}，{args.workers} 个进程，{args.connections} 个连接，驱动：{driver}")
        print(f"{'':<28}{'张/秒':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'最慢 ms':>9}{'CPU ms/张':>10}"
          f"{'  库 CPU ms/张' if kind == 'postgresql' else ''}  状态码")
        report("村议应用（FastAPI）", real)
        if bare:
            report("裸 Starlette（只写 SQL）", bare)
        counts = landed(engine, setup, setup.app_sid)
        acked = real.statuses.get(201, 0)
        # wrk stops with up to one request in flight per connection: those may land unanswered
        in_flight = args.connections if driver == "wrk" else 0
        same = counts["register"] == counts["box"] == counts["audit"]
        verdict = "一致" if same and acked <= counts["register"] <= acked + in_flight else "不一致！"
        print(f"201 应答 {acked} 张；库里：投票登记 {counts['register']} 条，票箱 {counts['box']} 张，"
              f"投票审计事件 {counts['audit']} 条 —— {verdict}"
              + (f"（wrk 停下时至多 {in_flight} 个请求在途，落库而未收到应答）" if in_flight else ""))
        print(f"本村审计链：{chain_ok(engine, setup.village_id)}")


if __name__ == "__main__":
    main()
