"""A city on PostgreSQL: a synthetic 河源 under a mixed load, at one and at two workers.

    .venv/bin/python bench/city.py --url postgresql+psycopg://user@host:5432/db
                                   [--scale 0.01] [--seconds 5] [--workers 1,2] [--connections 32] [--threads 2]

河源 has 1,441 villages and communities in 101 townships (六个县区) and about 2.84 million residents.
`--scale 1` builds all of it (hours of filling and some gigabytes); the default `--scale 0.01` builds
1 township, 14 villages and 28,400 residents, which a laptop fills in a minute or so. Townships, villages
and residents scale together; what one village holds does not: two years of its board (finance monthly,
village affairs and party affairs more or less so; the latest in their window), 30 matters (8 under
discussion) with their comments, its assembly and an open secret vote per measured run. Residents live
in households of about three; about 83 % are adults; each village has a committee, a supervisory
committee and representatives; each township a monitor. The split of townships among the six counties
and every name are made up.

Places, councils and votes are made through the services (so the audit chains are real); people,
notices, matters and comments in bulk (people by generate_series, in the database). Some adults of each
village are logged in (a session cookie and its CSRF token, written in bulk as if they had just logged
in), as is each township's monitor.

The load, from wrk (2 threads, 32 connections; one request per pick, weights in percent):

    80 anonymous reads    40 a village's board, 10 its archive or a category, 30 a notice
    15 logged-in pages     4 我的待办 (/me), 4 the proposal list, 4 a matter with its comments,
                           2 a vote, 1 the township's dashboard (its monitor)
     5 writes              3 a comment on a matter under discussion, 2 a ballot (the vote page's form,
                           each voter once)

against `cunyi serve`'s uvicorn with 1 and then 2 worker processes (no scheduler; a pool of one
connection per wrk connection), each after a second of warm-up on the reads. Printed per run: requests a
second, p50 and p99, the answers by status, the CPU time per request of the app's processes and of the
PostgreSQL backends serving them (read from /proc when PostgreSQL runs on this machine: what a core of
each buys, however loaded the machine is), and what the writes left in the database. The anonymous pages
are rendered every time (wrk sends no validator); browsers that revalidate get a 304 for less.
docs/SCALING.md says what to expect at 8 workers and how a deployment grows past one machine.

The data lives in a fresh schema dropped at the end. A benchmark that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bare import Load, Login, Request, Server, cell, logins, wrk
from common import analyze, backends_cpu, backends_cpu_since, drop_pg_schema, named, pg_schema, server_env
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.cli import upgrade_database
from app.config import Settings
from app.db import make_engine

# 河源's six county-level divisions; 101 townships among them (a made-up split), 1,441 villages, 2.84 million.
COUNTIES = [("源城区", 7), ("东源县", 21), ("和平县", 17), ("龙川县", 25), ("紫金县", 18), ("连平县", 13)]
TOWNSHIPS, VILLAGES, RESIDENTS = 101, 1_441, 2_840_000
MONTHS = 24  # of notices on each board
MATTERS, DISCUSSED = 30, 8  # matters per village; of which under discussion (comments open)
LOGGED_IN = 60  # adults per village with a live session (fewer if the village has fewer)
PASSWORD = "Bench-pass-2026"
WEIGHTS = {"board": 40, "archive": 10, "notice": 30,
           "me": 4, "list": 4, "matter": 4, "vote": 2, "dashboard": 1,
           "comment": 3}  # + the ballots' 2, once each
BALLOT_WEIGHT = 2
STATES = ["cosign", "notice", "review", "implementation", "acceptance", "closed"]


@dataclass
class Village:
    id: int
    slug: str
    township_id: int
    notices: list[int] = field(default_factory=list)
    discussed: list[int] = field(default_factory=list)  # matters open to comments
    votes: list[int] = field(default_factory=list)  # one open secret vote per run
    people: list[Login] = field(default_factory=list)  # logged-in adults


@dataclass
class City:
    villages: list[Village]
    monitors: dict[int, Login]  # township id → its monitor's session
    residents: int
    townships: int


# --- the city --------------------------------------------------------------------------------------------

def spread(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers (largest remainders first)."""
    shares = [total * w / sum(weights) for w in weights]
    out = [math.floor(s) for s in shares]
    for i in sorted(range(len(out)), key=lambda i: out[i] - shares[i])[:total - sum(out)]:
        out[i] += 1
    return out


PEOPLE_SQL = [
    """INSERT INTO household (village_id, number)
       SELECT :v, 'H' || lpad(g::text, 5, '0') FROM generate_series(1, CAST(:households AS integer)) AS g""",
    """INSERT INTO "user" (name, phone, password_hash, birth_date, status, is_admin, created_at, large_type)
       SELECT '村民' || n, '13' || lpad(n::text, 9, '0'), :pw, DATE '1936-01-01' + (n * 7919 % 32000)::integer,
              'active', false, :now, false
       FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS n""",
    """INSERT INTO membership (village_id, user_id, household_id, created_at)
       SELECT :v, u.id, h.id, :now FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) AS n
       JOIN "user" u ON u.phone = '13' || lpad(n::text, 9, '0')
       JOIN household h ON h.village_id = :v
        AND h.number = 'H' || lpad((1 + (n - :lo) * :households / (:hi - :lo + 1))::text, 5, '0')""",
    """INSERT INTO member_role (membership_id, role, village_id) SELECT id, 'villager', :v FROM membership
       WHERE village_id = :v""",
    """INSERT INTO member_role (membership_id, role, village_id)
       SELECT id, CASE WHEN r <= 5 THEN 'committee' WHEN r <= 8 THEN 'supervisor' ELSE 'representative' END, :v
       FROM (SELECT m.id, row_number() OVER (ORDER BY m.id) AS r FROM membership m
             JOIN "user" u ON u.id = m.user_id WHERE m.village_id = :v AND u.birth_date <= :adult) AS a
       WHERE r <= 8 OR r % 40 = 0""",
]


def fill(settings: Settings, engine: Engine, scale: float, runs: int, rng: random.Random) -> City:
    from app import clock
    from app.domain import markdown
    from app.domain import notices as N
    from app.domain import rulebook as R
    from app.domain.people import adult_born_on_or_before
    from app.models import Comment, Notice, Proposal, TownshipMonitor, User, utcnow
    from app.models import Village as VillageRow
    from app.services import auth, councils, places, votes
    from app.services.access import Actor, load_actor

    n_townships = max(1, round(TOWNSHIPS * scale))
    n_villages = max(n_townships, round(VILLAGES * scale))
    per_county = spread(n_townships, [n for _, n in COUNTIES])
    per_township = spread(n_villages, [1] * n_townships)
    residents = spread(round(RESIDENTS * scale), [rng.uniform(0.5, 1.5) for _ in range(n_villages)])
    pw = auth.hash_password(settings, PASSWORD)
    adult = adult_born_on_or_before(clock.local_today())
    now = utcnow()
    city = City([], {}, sum(residents), n_townships)
    with Session(engine, expire_on_commit=False) as s:
        admin = User(name="管理员", phone="19900000000", is_admin=True, status="active", password_hash=pw)
        s.add(admin)
        s.commit()
        actor = Actor(user=admin)
        townships = []
        for (county_name, _), count in zip(COUNTIES, per_county, strict=True):
            if count <= 0:
                continue
            county = places.create_county(s, actor, county_name)
            for _ in range(count):
                number = len(townships) + 1
                townships.append(places.create_township(s, actor, f"{county_name[:2]}第{number}镇", county.id).id)
        monitors = []
        for i, tid in enumerate(townships):
            user = User(name=f"监督员{i + 1}", phone=f"199{i + 1:08d}", status="active", password_hash=pw)
            s.add(user)
            s.flush()
            s.add(TownshipMonitor(township_id=tid, user_id=user.id))
            monitors.append((tid, user.id))
        s.commit()

        first = 1
        index = 0
        for t, (tid, count) in enumerate(zip(townships, per_township, strict=True)):
            for j in range(count):
                village = places.create_village(s, actor, f"第{t + 1}镇第{j + 1}村", f"t{t + 1:03d}-v{j + 1:02d}", tid)
                n = residents[index]
                index += 1
                params = {"v": village.id, "lo": first, "hi": first + n - 1, "households": max(1, round(n / 3.2)),
                          "pw": pw, "now": now, "adult": adult}
                first += n
                for sql in PEOPLE_SQL:
                    s.execute(text(sql), params)
                s.commit()
                city.villages.append(Village(village.id, village.slug, tid))

        # each village's board, matters and comments, in bulk
        body = "## 收支明细\n\n" + "本月收入、支出及结余如下，请村民监督。" * 12
        today = now.date()
        for v in city.villages:
            rows = []
            for m in range(MONTHS):  # this month's are in their window, the rest closed
                at = now - timedelta(days=30 * m + rng.randint(1, 5), hours=rng.randint(0, 23))
                month = (today.replace(day=1) - timedelta(days=30 * m)).strftime("%Y年%m月")
                kinds = [("finance", f"{month}财务收支公开"), ("village", f"{month}村务公开")]
                if m % 3 == 0:
                    kinds.append(("party", f"{month}党务公开"))
                for category, title in kinds:
                    until = (now if m == 0 else at) + timedelta(days=6)
                    rows.append({"village_id": v.id, "category": category, "kind": "general", "title": title,
                                 "body": body, "days": 7, "state": N.PUBLISHED if m == 0 else N.CLOSED,
                                 "published_at": at, "window_from": at, "window_until": until,
                                 "content_hash": N.content_hash(title, body, []), "created_at": at, "updated_at": at,
                                 "closed_at": None if m == 0 else until + timedelta(days=1)})
            s.execute(insert(Notice), rows)
        s.commit()
        members = s.execute(text("""SELECT m.village_id, array_agg(m.user_id ORDER BY m.user_id) FROM membership m
                                    JOIN "user" u ON u.id = m.user_id WHERE u.birth_date <= :adult
                                    GROUP BY m.village_id"""), {"adult": adult}).all()
        adults = dict(members)
        plan = "方案：村道硬化 1.2 公里，预算 36 万元，其中一事一议筹资每人 15 元。"
        html = markdown.render(plan)
        comment = "同意，但预算明细要公开，施工要请村民监督。"
        comment_html = markdown.render(comment)
        for v in city.villages:
            people = adults[v.id]
            rows = []
            for i in range(MATTERS):
                at = now - timedelta(days=rng.randint(0, 700))
                state = "deliberation" if i < DISCUSSED else rng.choice(STATES)
                rows.append({"village_id": v.id, "author_id": rng.choice(people), "title": f"第{i + 1}件：修村道",
                             "body": plan, "body_html": html, "body_html_version": markdown.VERSION,
                             "category": "facilities", "procedure": "yishiyiyi", "state": state,
                             "stage_entered_at": at, "submitted_at": at, "cosign_count": rng.randint(0, 40),
                             "comment_count": 0, "created_at": at, "updated_at": at})
            s.execute(insert(Proposal), rows)
            pids = s.execute(select(Proposal.id, Proposal.state).where(Proposal.village_id == v.id)).all()
            v.discussed = [pid for pid, state in pids if state == "deliberation"]
            rows = [{"village_id": v.id, "proposal_id": pid, "author_id": rng.choice(people), "depth": 0,
                     "body": comment, "body_html": comment_html, "body_html_version": markdown.VERSION,
                     "created_at": now, "report_count": 0} for pid, _ in pids for _ in range(rng.randint(0, 12))]
            if rows:
                s.execute(insert(Comment), rows)
        s.execute(text("""UPDATE proposal p SET comment_count = c.n FROM
                          (SELECT proposal_id, count(*) AS n FROM comment GROUP BY proposal_id) c
                          WHERE c.proposal_id = p.id"""))
        s.commit()
        for v in city.villages:
            v.notices = list(s.execute(select(Notice.id).where(Notice.village_id == v.id)
                                       .order_by(Notice.published_at.desc()).limit(20)).scalars())

        # each village's assembly and an open secret vote per run, through the services
        for v in city.villages:
            committee = s.execute(text("""SELECT m.user_id FROM member_role r
                                          JOIN membership m ON m.id = r.membership_id
                                          WHERE r.village_id = :v AND r.role = 'committee'
                                          ORDER BY m.user_id LIMIT 1"""), {"v": v.id}).scalar_one()
            chair = load_actor(s, s.get(User, committee))
            council = councils.create_council(s, chair, s.get(VillageRow, v.id), kind=R.ASSEMBLY, name="村民会议")
            for r in range(runs):
                proposal = Proposal(village_id=v.id, author_id=committee, title=f"安装村道路灯（第{r + 1}次表决）",
                                    body="方案见附件。", body_html=markdown.render("方案见附件。"),
                                    body_html_version=markdown.VERSION, category="facilities", procedure="yishiyiyi",
                                    state="vote", stage_entered_at=now, submitted_at=now, cosign_count=0,
                                    comment_count=0)
                s.add(proposal)
                s.commit()
                vs = votes.create_session(s, chair, proposal.id, council_id=council.id, question="是否同意？",
                                          options=None, secret=True, allow_change=False, opens_at=utcnow(),
                                          closes_at=utcnow() + timedelta(days=1))
                v.votes.append(votes.open_session(s, chair, vs.id).id)
    # who is logged in
    for v in city.villages:
        people = adults[v.id]
        v.people = logins(engine, rng.sample(people, min(LOGGED_IN, len(people))), "web")
    city.monitors = {tid: login for (tid, _), login in
                     zip(monitors, logins(engine, [uid for _, uid in monitors], "web"), strict=True)}
    return city


# --- the load ---------------------------------------------------------------------------------------------

def form(person: Login, **fields: str) -> tuple[dict[str, str], str]:
    from urllib.parse import urlencode

    headers = {"Cookie": f"cunyi_session={person.token}", "Content-Type": "application/x-www-form-urlencoded"}
    return headers, urlencode({"csrf_token": person.csrf, **fields})


def load_of(city: City, run: int, rng: random.Random) -> list[Request]:
    """Every request the mix may send in run `run` (the ballots of that run's votes, each voter once)."""
    reqs: list[Request] = []
    ballots: list[Request] = []
    for v in city.villages:
        base = f"/v/{v.slug}"
        reqs.append(Request("board", "GET", f"{base}/"))
        reqs += [Request("archive", "GET", f"{base}/?page=2"), Request("archive", "GET", f"{base}/?category=finance")]
        reqs += [Request("notice", "GET", f"{base}/notices/{nid}") for nid in v.notices]
        for person in v.people:
            cookie = {"Cookie": f"cunyi_session={person.token}"}
            matter = rng.choice(v.discussed)
            reqs += [Request("me", "GET", "/me", cookie), Request("list", "GET", f"{base}/proposals", cookie),
                     Request("matter", "GET", f"{base}/proposals/{matter}", cookie),
                     Request("vote", "GET", f"{base}/votes/{v.votes[run]}", cookie)]
            headers, body = form(person, body="我同意，请把预算明细贴到公开栏。")
            reqs.append(Request("comment", "POST", f"{base}/proposals/{matter}/comments", headers, body))
            headers, body = form(person, choice=str(rng.randrange(3)))
            ballots.append(Request("ballot", "POST", f"{base}/votes/{v.votes[run]}/cast", headers, body))
    for tid, person in city.monitors.items():
        cookie = {"Cookie": f"cunyi_session={person.token}"}
        reqs.append(Request("dashboard", "GET", f"/townships/{tid}/dashboard", cookie))
    rng.shuffle(ballots)
    return reqs + ballots


def check_pages(server: Server, city: City) -> None:
    """One of each page answers 200 as its reader sees it (not a login page, not an error)."""
    v = city.villages[0]
    person = v.people[0]
    cookie = {"Cookie": f"cunyi_session={person.token}"}
    monitor = {"Cookie": f"cunyi_session={city.monitors[v.township_id].token}"}
    for path, headers in ((f"/v/{v.slug}/", {}), (f"/v/{v.slug}/notices/{v.notices[0]}", {}), ("/me", cookie),
                          (f"/v/{v.slug}/proposals/{v.discussed[0]}", cookie),
                          (f"/v/{v.slug}/votes/{v.votes[0]}", cookie),
                          (f"/townships/{v.township_id}/dashboard", monitor)):
        status, body = server.get(path, headers)
        if status != 200 or "登录" in body and 'name="password"' in body:
            raise RuntimeError(f"{path}: {status}\n{body[:500]}")


def written(engine: Engine, city: City, run: int) -> tuple[int, int]:
    from app.models import BallotRegister, Comment

    with engine.connect() as conn:
        comments = conn.execute(select(func.count()).select_from(Comment)).scalar_one()
        ballots = conn.execute(select(func.count()).where(
            BallotRegister.vote_session_id.in_([v.votes[run] for v in city.villages]))).scalar_one()
    return comments, ballots


@dataclass
class Run:
    workers: int
    load: Load
    comments: int
    ballots: int
    db_cpu_ms: float  # PostgreSQL's CPU time per request (its backends serving the app), 0 if not readable


def drive(args: argparse.Namespace, engine: Engine, env: dict[str, str], tmp: Path, city: City,
          rng: random.Random) -> list[Run]:
    runs = []
    reads = {name: w for name, w in WEIGHTS.items() if name != "comment"}
    for run, workers in enumerate(args.workers):
        reqs = load_of(city, run, rng)
        server = Server(["app.main:create_app"], env, tmp / f"app-{workers}.log", workers=workers)
        try:
            check_pages(server, city)
            wrk(server, [r for r in reqs if r.group in reads], reads, seconds=1, connections=args.connections,
                threads=args.threads, tmp=tmp)
            comments, ballots = written(engine, city, run)
            db = backends_cpu(engine)
            load = wrk(server, reqs, {**WEIGHTS, "ballot": f"{BALLOT_WEIGHT}:once"}, seconds=args.seconds,
                       connections=args.connections, threads=args.threads, tmp=tmp)
            db_cpu = backends_cpu_since(engine, db)
        finally:
            server.stop()
        after = written(engine, city, run)
        runs.append(Run(workers, load, after[0] - comments, after[1] - ballots,
                        db_cpu * 1000 / max(1, load.requests)))
    return runs


def report(args: argparse.Namespace, city: City, runs: list[Run]) -> None:
    print(f"\nPostgreSQL；wrk {args.threads} 线程 {args.connections} 个连接，每次预热 1 s、计 {args.seconds} s；"
          f"本机 {os.cpu_count()} 核（客户端、服务端和数据库同机），一分钟平均负载 {os.getloadavg()[0]:.1f}")
    print("应用 CPU：uvicorn 各进程每答一个请求用的 CPU 时间；一核：按此一个核每秒能答的请求数；"
          "库 CPU：PostgreSQL 为应用服务的后端进程每个请求用的 CPU 时间")
    print(cell("进程数", 8, left=True) + "".join(cell(h, w) for h, w in (("次/秒", 9), ("p50 ms", 9), ("p99 ms", 9),
                                                                       ("应用 CPU ms", 13), ("一核", 7),
                                                                       ("库 CPU ms", 11)))
          + "  应答")
    for r in runs:
        per_core = f"{1000 / r.load.cpu_ms:,.0f}" if r.load.cpu_ms else "—"
        print(cell(r.workers, 8, left=True) + cell(f"{r.load.per_second:,.0f}", 9) + cell(f"{r.load.p50:.1f}", 9)
              + cell(f"{r.load.p99:.1f}", 9) + cell(f"{r.load.cpu_ms:.1f}", 13) + cell(per_core, 7)
              + cell(f"{r.db_cpu_ms:.1f}" if r.db_cpu_ms else "—", 11) + "  " + r.load.status_text())
    for r in runs:
        sent = r.load.sent
        total = sum(sent.values()) or 1
        anonymous = sum(sent.get(k, 0) for k in ("board", "archive", "notice"))
        logged_in = sum(sent.get(k, 0) for k in ("me", "list", "matter", "vote", "dashboard"))
        print(f"{r.workers} 个进程：发出 {total:,} 次，匿名 {anonymous / total:.0%}、登录后 {logged_in / total:.0%}、"
              f"写 {(sent.get('comment', 0) + sent.get('ballot', 0)) / total:.0%}；"
              f"库里新增意见 {r.comments} 条（发出 {sent.get('comment', 0)} 次）、选票 {r.ballots} 张"
              f"（发出 {sent.get('ballot', 0)} 次"
              + (f"，其中 {r.load.spent} 次投票人已用完" if r.load.spent else "") + "）")


def chains_ok(engine: Engine, city: City) -> str:
    from app.services import audit

    broken = []
    with Session(engine) as s:
        for v in city.villages:
            result = audit.verify_chain(s, v.id)
            if not result.ok:
                broken.append(f"{v.slug}: {result.reason}")
    return "全部完整" if not broken else "断开：" + "；".join(broken[:5])


# --- main ---------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="PostgreSQL URL; a fresh schema is made in it and dropped")
    parser.add_argument("--scale", type=float, default=0.01, help="share of 河源 to build (1 = all of it)")
    parser.add_argument("--seconds", type=int, default=5, help="measured seconds per run")
    parser.add_argument("--workers", type=lambda t: [int(x) for x in t.split(",")], default=[1, 2],
                        help="uvicorn worker processes, one run each (default 1,2)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        sys.exit("--url 须是 PostgreSQL（postgresql+psycopg://…）")
    if shutil.which("wrk") is None:
        sys.exit("需要 wrk（Debian: apt-get install wrk）")

    rng = random.Random(1441)
    tmp = Path(tempfile.mkdtemp(prefix="cunyi-bench-city-"))
    schema, url = pg_schema(args.url)
    engine = None
    try:
        # the served app's connections carry a name; its pool holds one connection per wrk connection, so
        # none closes during a run and takes its CPU time along
        env = server_env(named(url), tmp)
        env["CUNYI_DB_POOL_SIZE"] = str(args.connections)
        settings = Settings(database_url=url, secret_key=env["CUNYI_SECRET_KEY"], upload_dir=tmp / "uploads",
                            argon2_time_cost=1, argon2_memory_kib=1024)
        upgrade_database(settings)
        engine = make_engine(settings)
        started = time.perf_counter()
        city = fill(settings, engine, args.scale, len(args.workers), rng)
        analyze(engine)
        logged = sum(len(v.people) for v in city.villages)
        print(f"河源 × {args.scale:g}：{city.townships} 个乡镇、{len(city.villages)} 个村、{city.residents:,} 名村民；"
              f"每村 {MONTHS} 个月的公开、{MATTERS} 个事项、每次测量一次进行中的无记名表决；"
              f"{logged:,} 人已登录：{time.perf_counter() - started:.1f} s")
        runs = drive(args, engine, env, tmp, city, rng)
        report(args, city, runs)
        print(f"各村审计链：{chains_ok(engine, city)}")
    finally:
        if engine is not None:
            engine.dispose()
        drop_pg_schema(args.url, schema)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
