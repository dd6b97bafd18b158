"""The table of issue 11, from the repository: the public board, the proposal list and a secret ballot, each
served by Cunyi and by a bare Starlette app on the same data, driven by the same client.

    .venv/bin/python bench/http.py [--seconds 5] [--workers 1] [--connections 32] [--threads 2]
                                   [--notices 5000] [--proposals 10000] [--comments 50000] [--voters 2000]
                                   [--ballots 20000]
                                   [--url postgresql+psycopg://...]

One village, filled through the services (places, council, votes) and in bulk (notices, matters, comments,
people): 5,000 notices on its board, 10,000 matters with 50,000 comments, 2,000 adults (about the size of
an average village of 河源) and enough open secret votes of its assembly that each stack has `--ballots`
ballots to cast, each voter once per vote, one vote after another. Both stacks are served at once by
uvicorn (`--workers N`, as `cunyi serve` runs it; no scheduler) and each row is driven on one and then
on the other by wrk (2 threads, 32 connections, a Lua script), so other load on the machine weighs on
both sides of a row alike:

- the board `/v/bench/`, anonymous, as a QR code on a printed notice opens it (no validator sent), twice:
  as deployed, where the page rendered for the first request serves the next ones with the same stamp
  (routers/web/caching.py), and with no page kept (`CUNYI_PAGE_CACHE_ENTRIES=0`), rendered every time
  as the bare stack's is;
- the proposal list `/v/bench/proposals`, with a villager's session cookie (the list is for members);
- a secret ballot: Cunyi's `POST /api/v1/votes/{sid}/ballots` with each voter's bearer token, the bare
  app's `POST /ballots/{sid}` naming the voter.

The bare stack (bench/bare.py) runs the statements of the lists from raw sqlite3 (or psycopg) and renders
the same rows with Jinja, without login, CSRF, permission checks, security headers or the ORM; Cunyi's
board also shows the village's head counts and its last seal, which the bare board leaves out. The bare
ballot is the register and box rows, the vote's state and the audit event, in one transaction
(synchronous=FULL on SQLite). Each row is warmed for a second, then measured for `--seconds`. Printed:
requests a second, p99, the servers' CPU time per request (read from /proc: on a busy machine the
steadier comparison), and Cunyi's rate as a share of the bare stack's; then whether every acknowledged
ballot is in the database and whether the village's audit chain (both stacks write to it) verifies.

On PostgreSQL the data lives in a fresh schema dropped at the end; on SQLite in a temp directory removed
at the end. A benchmark that prints figures, not a timed test.

This file's name is the standard library's `http`: every bench runs with bench/ first on sys.path, so
`import http` (uvicorn, urllib, Starlette) would find this file. Imported under that name it hands the
import over to the standard library's package, and so imports nothing else at module level.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if __name__ == "http" or "http" not in sys.modules:
    # Imported as `http`: be the standard library's package. Run as a script: load that package now, before
    # anything looks for it on a path that starts with bench/.
    import importlib.util
    import sysconfig

    _package = Path(sysconfig.get_paths()["stdlib"]) / "http"
    _spec = importlib.util.spec_from_file_location("http", _package / "__init__.py",
                                                   submodule_search_locations=[str(_package)])
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["http"] = _module
    _spec.loader.exec_module(_module)

if TYPE_CHECKING:
    from bare import Load, Login
    from sqlalchemy.engine import Engine

    from app.config import Settings

SLUG = "bench"
PASSWORD = "Bench-pass-2026"
STATES = ["cosign", "deliberation", "vote", "notice", "review", "implementation", "acceptance", "closed"]


@dataclass
class Data:
    village_id: int
    voters: list[int]  # user ids, adults on every vote's frozen list
    votes: dict[str, list[int]]  # "app", "bare", "app-warm", "bare-warm" → open secret votes, one after another


# --- the village ---------------------------------------------------------------------------------------

def fill(settings: Settings, engine: Engine, n_notices: int, n_proposals: int, n_comments: int,
         n_voters: int, n_votes: int) -> Data:
    """One village: its board, its matters and their comments, its voters, and open secret votes of its
    assembly: `n_votes` for each stack to measure, one for each to warm up."""
    from sqlalchemy import insert, select
    from sqlmodel import Session

    from app.domain import markdown
    from app.domain import notices as N
    from app.domain import rulebook as R
    from app.models import Comment, Household, MemberRole, Membership, Notice, Proposal, User, utcnow
    from app.services import auth, councils, places, votes
    from app.services.access import Actor, load_actor

    rng = random.Random(11)
    pw = auth.hash_password(settings, PASSWORD)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as s:
        admin = User(name="管理员", phone="19900000000", is_admin=True, status="active", password_hash=pw)
        chair = User(name="村主任", phone="19900000001", status="active", password_hash=pw, birth_date=date(1970, 1, 1))
        s.add_all([admin, chair])
        s.commit()
        actor = Actor(user=admin)
        county = places.create_county(s, actor, "基准县")
        township = places.create_township(s, actor, "基准镇", county.id)
        village = places.create_village(s, actor, "基准村", SLUG, township.id)
        vid = village.id

        s.execute(insert(Household), [{"village_id": vid, "number": f"B-{i:05d}"} for i in range(n_voters // 4 + 1)])
        households = list(s.execute(select(Household.id).where(Household.village_id == vid)
                                    .order_by(Household.id)).scalars())
        s.execute(insert(User), [{"name": f"村民{i}", "phone": f"18{i:09d}", "birth_date": date(1950 + i % 50, 1, 1),
                                  "status": "active", "password_hash": pw, "is_admin": False, "created_at": now}
                                 for i in range(n_voters)])
        voters = list(s.execute(select(User.id).where(User.phone.like("18%")).order_by(User.id)).scalars())
        s.execute(insert(Membership), [{"village_id": vid, "user_id": uid, "household_id": households[i // 4],
                                        "created_at": now} for i, uid in enumerate([chair.id, *voters])])
        members = s.execute(select(Membership.id, Membership.user_id).where(Membership.village_id == vid)).all()
        s.execute(insert(MemberRole), [{"membership_id": m, "role": "villager", "village_id": vid} for m, _ in members]
                  + [{"membership_id": m, "role": "committee", "village_id": vid} for m, u in members if u == chair.id])

        body = "## 内容\n\n" + "本月收支情况如下。" * 30
        notices = []
        for i in range(n_notices):
            at = now - timedelta(hours=6 * i)
            title = f"第{i}号公开：村务收支"
            notices.append({"village_id": vid, "category": rng.choice(list(N.CATEGORIES)), "kind": "general",
                            "title": title, "body": body, "days": 7, "state": N.PUBLISHED if i < 20 else N.CLOSED,
                            "published_at": at, "window_from": at, "window_until": at + timedelta(days=7),
                            "content_hash": N.content_hash(title, body, []), "created_at": at, "updated_at": at,
                            "closed_at": None if i < 20 else at + timedelta(days=8)})
        for start in range(0, len(notices), 5000):
            s.execute(insert(Notice), notices[start:start + 5000])

        text = "方案内容。" * 20
        html = markdown.render(text)
        counts = [0] * n_proposals
        for i in range(n_comments):
            counts[0 if i < 300 else rng.randrange(n_proposals)] += 1
        rows = []
        for i in range(n_proposals):
            at = now - timedelta(minutes=i)
            rows.append({"village_id": vid, "author_id": rng.choice(voters), "title": f"事项第{i}号：修路修桥",
                         "body": text, "body_html": html, "body_html_version": markdown.VERSION,
                         "category": rng.choice(["facilities", "land", "assets", "other"]), "procedure": "yishiyiyi",
                         "state": rng.choice(STATES), "stage_entered_at": at, "submitted_at": at,
                         "cosign_count": rng.randint(0, 50), "comment_count": counts[i], "created_at": at,
                         "updated_at": at})
        for start in range(0, len(rows), 5000):
            s.execute(insert(Proposal), rows[start:start + 5000])
        pids = list(s.execute(select(Proposal.id).where(Proposal.village_id == vid).order_by(Proposal.id)).scalars())
        comment = "我同意这个方案，但预算要公开。"
        comment_html = markdown.render(comment)
        rows = [{"village_id": vid, "proposal_id": pids[i], "author_id": rng.choice(voters), "depth": 0,
                 "body": comment, "body_html": comment_html, "body_html_version": markdown.VERSION,
                 "created_at": now, "report_count": 0} for i, n in enumerate(counts) for _ in range(n)]
        for start in range(0, len(rows), 10000):
            s.execute(insert(Comment), rows[start:start + 10000])
        names = [(stack, i) for stack in ("app", "bare") for i in range(n_votes)] + [("app-warm", 0), ("bare-warm", 0)]
        s.execute(insert(Proposal), [
            {"village_id": vid, "author_id": chair.id, "title": f"安装路灯（{stack}-{i}）", "body": "方案见附件。",
             "category": "facilities", "procedure": "yishiyiyi", "state": "vote", "stage_entered_at": now,
             "submitted_at": now, "cosign_count": 0, "comment_count": 0, "created_at": now - timedelta(days=30),
             "updated_at": now - timedelta(days=30)}  # below the first page of the list
            for stack, i in names])
        s.commit()
        matters = list(s.execute(select(Proposal.id).where(Proposal.village_id == vid, Proposal.state == "vote",
                                                           Proposal.author_id == chair.id)
                                 .order_by(Proposal.id)).scalars())
        chair_actor = load_actor(s, chair)
        council = councils.create_council(s, chair_actor, village, kind=R.ASSEMBLY, name="村民会议")
        sids: dict[str, list[int]] = {}
        for (stack, _), pid in zip(names, matters, strict=True):
            vs = votes.create_session(s, chair_actor, pid, council_id=council.id, question="是否同意？", options=None,
                                      secret=True, allow_change=False, opens_at=utcnow(),
                                      closes_at=utcnow() + timedelta(days=1))
            sids.setdefault(stack, []).append(votes.open_session(s, chair_actor, vs.id).id)
    return Data(vid, voters, sids)


# --- the rows ------------------------------------------------------------------------------------------

@dataclass
class Row:
    key: str
    label: str
    bare: Load | None = None
    app: Load | None = None


def requests_of(stack: str, row: str, data: Data, member: Login, tokens: list[Login], warm: bool):
    """The row's requests for one stack: (requests, wrk's group weights)."""
    from bare import Request

    if row in ("board", "board-rendered"):
        return [Request("get", "GET", f"/v/{SLUG}/")], {"get": 1}
    if row == "proposals":
        cookie = {"Cookie": f"cunyi_session={member.token}"} if stack == "app" else {}
        return [Request("get", "GET", f"/v/{SLUG}/proposals", cookie)], {"get": 1}
    sids = data.votes[f"{stack}-warm" if warm else stack]
    json = {"Content-Type": "application/json"}
    if stack == "app":
        reqs = [Request("cast", "POST", f"/api/v1/votes/{sid}/ballots",
                        {**json, "Authorization": f"Bearer {t.token}"}, f'{{"choice":{i % 3}}}')
                for sid in sids for i, t in enumerate(tokens)]
    else:
        reqs = [Request("cast", "POST", f"/ballots/{sid}", json, f'{{"voter":{uid},"choice":{i % 3}}}')
                for sid in sids for i, uid in enumerate(data.voters)]
    return reqs, {"cast": "1:once"}


def check_pages(server, stack: str, member: Login) -> None:
    """Each page answers 200 with its list before it is measured (not a login page, not an error)."""
    for path, headers, expect in ((f"/v/{SLUG}/", {}, "第0号公开"),
                                  (f"/v/{SLUG}/proposals",
                                   {"Cookie": f"cunyi_session={member.token}"} if stack == "app" else {}, "事项第")):
        status, body = server.get(path, headers)
        if status != 200 or expect not in body:
            raise RuntimeError(f"{stack} {path}: {status}\n{body[:500]}")


def measure(args: argparse.Namespace, env: dict[str, str], tmp: Path, data: Data, member: Login,
            tokens: list[Login]) -> list[Row]:
    from bare import Server, wrk

    rows = [Row("board", "公开栏（不登录）"), Row("board-rendered", "公开栏（不登录，每次渲染）"),
            Row("proposals", "议事列表（村民登录）"), Row("cast", "无记名投票")]
    servers = {}
    try:
        # All up at once, each row driven on one and then the other: a machine whose other load comes and
        # goes then weighs on both sides of a row alike. "rendered" is the app with no page kept, so its
        # board is rendered for every request, as the bare stack's is.
        for stack, target, extra in (("bare", ["--app-dir", "bench", "bare:create_app"], {}),
                                     ("app", ["app.main:create_app"], {}),
                                     ("rendered", ["app.main:create_app"], {"CUNYI_PAGE_CACHE_ENTRIES": "0"})):
            servers[stack] = Server(target, {**env, **extra}, tmp / f"{stack}.log", workers=args.workers)
            check_pages(servers[stack], "bare" if stack == "bare" else "app", member)
        for row in rows:
            for stack in ("bare", "app"):
                server = servers["rendered" if stack == "app" and row.key == "board-rendered" else stack]
                for warm in (True, False):
                    reqs, weights = requests_of(stack, row.key, data, member, tokens, warm)
                    load = wrk(server, reqs, weights, seconds=1 if warm else args.seconds,
                               connections=args.connections, threads=args.threads, tmp=tmp)
                setattr(row, stack, load)
    finally:
        for server in servers.values():
            server.stop()
    return rows


def report(args: argparse.Namespace, kind: str, rows: list[Row]) -> None:
    from bare import cell

    print(f"\n{kind}，{args.workers} 个 uvicorn 进程；wrk {args.threads} 线程 {args.connections} 个连接，"
          f"每行预热 1 s、计 {args.seconds} s；本机 {os.cpu_count()} 核（客户端与服务端同机），"
          f"一分钟平均负载 {os.getloadavg()[0]:.1f}")
    print(f"公开栏 {args.notices:,} 份公开；议事列表 {args.proposals:,} 个事项、{args.comments:,} 条意见，每页 20 项；"
          "投票一张一个事务（登记、票箱、审计事件）")
    print("CPU：服务端各进程每答一个请求用的 CPU 时间（不随机器上其他负载涨落的那部分代价）")
    heads = (("裸栈 次/秒", 12), ("p99 ms", 9), ("CPU ms", 8), ("村议 次/秒", 12), ("p99 ms", 9), ("CPU ms", 8),
             ("村议/裸栈", 11), ("按 CPU", 8))
    print(cell("", 22, left=True) + "".join(cell(h, w) for h, w in heads))
    for row in rows:
        bare, app = row.bare, row.app
        print(cell(row.label, 22, left=True)
              + cell(f"{bare.per_second:,.0f}", 12) + cell(f"{bare.p99:.1f}", 9) + cell(f"{bare.cpu_ms:.2f}", 8)
              + cell(f"{app.per_second:,.0f}", 12) + cell(f"{app.p99:.1f}", 9) + cell(f"{app.cpu_ms:.2f}", 8)
              + cell(f"{app.per_second / bare.per_second:.0%}", 11)
              + cell(f"{bare.cpu_ms / app.cpu_ms:.0%}" if app.cpu_ms else "—", 8))
    for row in rows:
        for stack, load in (("裸栈", row.bare), ("村议", row.app)):
            expected = {201} if row.key == "cast" else {200}
            if set(load.statuses) != expected or load.spent or any(v for k, v in load.errors.items() if k != "status"):
                print(f"  注意：{row.label} {stack} 的应答 {load.status_text()}"
                      + (f"，{load.spent} 个请求时选票已用完（请加大 --ballots）" if load.spent else ""))


def check_ballots(engine: Engine, data: Data, rows: list[Row], connections: int) -> None:
    """Every 201 is a register row and a box row (a few more rows may be there: the requests still in flight
    when wrk stopped counting, at most one per connection); the chain (written by both stacks) verifies."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from app.models import BallotBox, BallotRegister
    from app.services import audit

    cast = rows[-1]
    with Session(engine) as s:
        for stack, label, load in (("bare", "裸栈", cast.bare), ("app", "村议", cast.app)):
            register = s.execute(select(func.count()).where(BallotRegister.vote_session_id.in_(data.votes[stack])))
            box = s.execute(select(func.count()).where(BallotBox.vote_session_id.in_(data.votes[stack])))
            register, box = register.scalar_one(), box.scalar_one()
            acked = load.statuses.get(201, 0)
            verdict = ("一个不少" if register == box and acked <= box <= acked + connections
                       else "不符！")
            print(f"{label}：201 应答 {acked} 张；库里投票登记 {register} 条、票箱 {box} 张"
                  f"（wrk 停表时仍在途的至多 {connections} 张也在内）—— {verdict}")
        result = audit.verify_chain(s, data.village_id)
    print(f"本村审计链（两边的投票事件都在上面）：{'完整' if result.ok else '断开：' + str(result.reason)}，"
          f"{result.checked} 条")


# --- main ------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="measured seconds per row and stack")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (both stacks)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--notices", type=int, default=5_000)
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--voters", type=int, default=2_000, help="adults of the village, each with a token")
    parser.add_argument("--ballots", type=int, default=20_000,
                        help="ballots ready per stack (each voter once in each of enough votes)")
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: a temp SQLite file)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("需要 wrk（Debian: apt-get install wrk）")

    from bare import logins
    from common import analyze, served_database


    with served_database(args.url, "cunyi-bench-http-") as (tmp, env, settings, engine):
        kind = "PostgreSQL" if engine.dialect.name == "postgresql" else "SQLite"
        started = time.perf_counter()
        n_votes = -(-args.ballots // args.voters)
        data = fill(settings, engine, args.notices, args.proposals, args.comments, args.voters, n_votes)
        analyze(engine)
        member = logins(engine, [data.voters[0]], "web")[0]
        tokens = logins(engine, data.voters, "api")
        print(f"{kind}：一个村，{args.notices:,} 份公开、{args.proposals:,} 个事项、{args.comments:,} 条意见、"
              f"{args.voters:,} 名成年村民（各有登录令牌）、{2 * n_votes + 2} 次进行中的无记名表决："
              f"{time.perf_counter() - started:.1f} s")
        rows = measure(args, env, tmp, data, member, tokens)
        report(args, kind, rows)
        check_ballots(engine, data, rows, args.connections)


if __name__ == "__main__":
    main()
