"""The bare stack under bench/http.py's table: a small Starlette app on Cunyi's own tables, and nothing else.

    uvicorn --factory --app-dir bench bare:create_app      (CUNYI_DATABASE_URL names the database)

No FastAPI, no ORM, no login, CSRF, permission check, security header or validator: each route runs the
statements the app's page runs for the same answer, from raw sqlite3 (or psycopg), in Starlette's thread
pool as the app's sync endpoints are, and renders a Jinja page (autoescaped) of the same rows:

- `GET /v/{slug}/`: the public board: the notices in their window, then the archive's first 20 with its
  count (the columns a board row shows, as services/board.py reads them);
- `GET /v/{slug}/proposals`: the proposal list: 20 matters with their authors and comment counts, and
  the count (as services/proposal_views.list_proposals);
- `POST /ballots/{sid}` `{"voter": id, "choice": n}`: a secret ballot: the register row, the box row,
  the vote's state re-read, and the ballot's event on the village's audit chain (the head bumped, the
  event's hash linked as app/domain/audit_chain.py says, so the chain still verifies), in one
  transaction; 201, or 409 for a second ballot or a closed vote.

SQLite runs as the app runs it: WAL, foreign_keys=ON, synchronous=FULL; its writers take turns on a lock
(threads) and an flock (worker processes), then BEGIN IMMEDIATE. PostgreSQL: a pool of connections of the
app's size. A benchmark's baseline, not part of the service.

Below the app: what bench/http.py and bench/city.py share to serve an app with uvicorn and drive it with
wrk, and the bulk logins both need.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import secrets
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

try:
    import fcntl
except ImportError:  # not POSIX: the threads' lock only
    fcntl = None

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · {{ village.name }}</title><link rel="stylesheet" href="/static/site.css"></head>
<body><header><a href="/v/{{ village.slug }}/">{{ village.name }}</a></header><main><h1>{{ title }}</h1>
{% block main %}{% endblock %}</main></body></html>"""

BOARD = """{% extends "page" %}{% block main %}
<h2>公示中</h2><ul>{% for n in current %}
<li><a href="/v/{{ village.slug }}/notices/{{ n.id }}">{{ n.title }}</a> <span>{{ categories[n.category] }}</span>
<time>{{ n.published_at }}</time> 至 <time>{{ n.window_until }}</time></li>{% else %}<li>暂无</li>{% endfor %}</ul>
<h2>往期公开（共 {{ total }} 份）</h2><ul>{% for n in archive %}
<li><a href="/v/{{ village.slug }}/notices/{{ n.id }}">{{ n.title }}</a> <span>{{ categories[n.category] }}</span>
<time>{{ n.published_at }}</time></li>{% endfor %}</ul>
{% if total > 20 %}<a href="?page=2">下一页</a>{% endif %}{% endblock %}"""

PROPOSALS = """{% extends "page" %}{% block main %}
<p>共 {{ total }} 项</p><ul>{% for p in rows %}
<li><a href="/v/{{ village.slug }}/proposals/{{ p.id }}">{{ p.title }}</a> <span>{{ p.state }}</span>
<span>{{ p.category }}</span> <span>{{ p.author }}</span> <span>{{ p.comment_count }} 条意见</span>
<span>{{ p.cosign_count }} 人附议</span> <time>{{ p.updated_at }}</time></li>{% endfor %}</ul>
{% if total > 20 %}<a href="?page=2">下一页</a>{% endif %}{% endblock %}"""

CATEGORIES = {"party": "党务", "village": "村务", "finance": "财务"}

VILLAGE = "SELECT id, name, slug FROM village WHERE slug = ?"
NOTICE_ROW = "SELECT id, category, kind, title, state, published_at, window_from, window_until FROM notice"
# as services/board.py states them (bound parameters, so SQLite plans them as it plans the app's)
CURRENT = (NOTICE_ROW + " WHERE village_id = ? AND state IN (?, ?) AND state = ? AND window_until > ?"
           " ORDER BY published_at DESC LIMIT 50")
ARCHIVED = " WHERE village_id = ? AND state IN (?, ?) AND (state = ? OR window_until <= ?)"
ARCHIVE_COUNT = "SELECT count(*) FROM notice" + ARCHIVED
ARCHIVE = NOTICE_ROW + ARCHIVED + " ORDER BY published_at DESC, id DESC LIMIT 20 OFFSET 0"
LISTED = " WHERE p.village_id = ? AND p.submitted_at IS NOT NULL"
PROPOSAL_COUNT = 'SELECT count(*) FROM proposal p JOIN "user" u ON u.id = p.author_id' + LISTED
PROPOSAL_PAGE = ('SELECT p.id, p.title, p.category, p.state, p.comment_count, p.cosign_count, p.updated_at,'
                 ' u.name AS author FROM proposal p JOIN "user" u ON u.id = p.author_id' + LISTED
                 + " ORDER BY p.updated_at DESC, p.id DESC LIMIT 20 OFFSET 0")
REGISTER = "INSERT INTO ballot_register (vote_session_id, voter_id, cast_by) VALUES (?, ?, ?)"
BOX = "INSERT INTO ballot_box (id, vote_session_id, choice, receipt) VALUES (?, ?, ?, ?)"
STATE = "SELECT state, closes_at, village_id FROM vote_session WHERE id = ?"
BUMP = "UPDATE audit_head SET seq = seq + 1 WHERE village_id = ? RETURNING seq, hash"
HEAD_HASH = "UPDATE audit_head SET hash = ? WHERE village_id = ?"
EVENT = ("INSERT INTO audit_event (village_id, seq, actor_id, action, entity, entity_id, payload, prev_hash, hash,"
         " created_at) VALUES (?, ?, NULL, 'vote.ballot', 'vote', ?, ?, ?, ?, ?)")
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class Database:
    """SQLite: a connection per thread, writers in line (threads, then processes), as the app's are.
    PostgreSQL: a pool that keeps up to `CUNYI_DB_POOL_SIZE` idle connections, as the app's does."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.local = threading.local()
            self.path = unquote(url.split(":///", 1)[1].split("?", 1)[0])
            self.writers = threading.Lock()
            self.lock_file = os.open(self.path + "-bare-writer.lock", os.O_CREAT | os.O_RDWR, 0o600) if fcntl else None
        else:
            self.conninfo = "postgresql://" + url.split("://", 1)[1]
            self.idle: queue.LifoQueue = queue.LifoQueue()
            self.keep = int(os.environ.get("CUNYI_DB_POOL_SIZE", "20"))

    def sql(self, statement: str) -> str:
        return statement if self.sqlite else statement.replace("?", "%s")

    @contextmanager
    def connection(self):
        if self.sqlite:
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
                for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=FULL"):
                    conn.execute(f"PRAGMA {pragma}")
                conn.row_factory = sqlite3.Row
                self.local.conn = conn
            yield conn
            return
        import psycopg
        from psycopg.rows import dict_row

        try:
            conn = self.idle.get_nowait()
        except queue.Empty:
            conn = psycopg.connect(self.conninfo, autocommit=True, row_factory=dict_row)
        try:
            yield conn
        finally:
            if conn.closed or self.idle.qsize() >= self.keep:
                conn.close()
            else:
                self.idle.put(conn)

    def rows(self, statement: str, *params) -> list:
        with self.connection() as conn:
            return list(conn.execute(self.sql(statement), params).fetchall())

    def one(self, statement: str, *params):
        with self.connection() as conn:
            return conn.execute(self.sql(statement), params).fetchone()

    def scalar(self, statement: str, *params):
        return _values(self.one(statement, *params))[0]

    def now(self):
        """UTC now as the columns hold it (SQLAlchemy's text on SQLite; timestamptz on PostgreSQL)."""
        now = datetime.now(UTC)
        return now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else now

    def write(self, work):
        """Run `work(execute)` in one transaction and return what it returns; an exception rolls back."""
        with self.connection() as conn:
            if not self.sqlite:
                with conn.transaction():
                    return work(lambda statement, *p: conn.execute(self.sql(statement), p))
            with self.writers:
                if self.lock_file is not None:
                    fcntl.flock(self.lock_file, fcntl.LOCK_EX)
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        result = work(lambda statement, *p: conn.execute(statement, p))
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
                    return result
                finally:
                    if self.lock_file is not None:
                        fcntl.flock(self.lock_file, fcntl.LOCK_UN)


class Refused(Exception):
    pass


def create_app():
    from jinja2 import DictLoader, Environment
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse
    from starlette.routing import Route

    db = Database(os.environ["CUNYI_DATABASE_URL"])
    is_integrity_error = _integrity_errors(db)
    env = Environment(loader=DictLoader({"page": PAGE, "board": BOARD, "proposals": PROPOSALS}), autoescape=True)
    board_page, proposal_page = env.get_template("board"), env.get_template("proposals")

    def village_of(slug: str):
        village = db.one(VILLAGE, slug)
        if village is None:
            raise Refused
        return village

    def board(slug: str) -> str:
        village = village_of(slug)
        now = db.now()
        visible = ("published", "closed")
        current = db.rows(CURRENT, village["id"], *visible, "published", now)
        total = db.scalar(ARCHIVE_COUNT, village["id"], *visible, "closed", now)
        archive = db.rows(ARCHIVE, village["id"], *visible, "closed", now)
        return board_page.render(title="公开栏", village=village, current=current, archive=archive, total=total,
                                 categories=CATEGORIES)

    def proposals(slug: str) -> str:
        village = village_of(slug)
        total = db.scalar(PROPOSAL_COUNT, village["id"])
        rows = db.rows(PROPOSAL_PAGE, village["id"])
        return proposal_page.render(title="议事", village=village, rows=rows, total=total)

    def cast(sid: int, voter: int, choice: int) -> tuple[int, dict]:
        receipt = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))

        def work(execute):
            execute(REGISTER, sid, voter, voter)
            execute(BOX, secrets.token_hex(16), sid, choice, receipt)
            state, closes_at, village_id = _values(execute(STATE, sid).fetchone())
            if state != "open" or _aware(closes_at) <= datetime.now(UTC):
                raise Refused
            seq, prev = _values(execute(BUMP, village_id).fetchone())
            now = datetime.now(UTC)
            payload = json.dumps({"village_id": village_id, "seq": seq, "actor_id": None, "action": "vote.ballot",
                                  "entity": "vote", "entity_id": str(sid), "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                  "data": {"on_behalf": False}}, ensure_ascii=False, sort_keys=True,
                                 separators=(",", ":")).encode()
            digest = hashlib.sha256(bytes.fromhex(prev) + payload).hexdigest()
            execute(HEAD_HASH, digest, village_id)
            execute(EVENT, village_id, seq, str(sid), payload, prev, digest, db.now())

        try:
            db.write(work)
        except Refused:
            return 409, {"detail": "表决已经结束"}
        except Exception as exc:
            if is_integrity_error(exc):
                return 409, {"detail": "已经投过票了"}
            raise
        return 201, {"receipt": receipt}

    async def board_route(request):
        try:
            return HTMLResponse(await run_in_threadpool(board, request.path_params["slug"]))
        except Refused:
            return PlainTextResponse("找不到这个村", status_code=404)

    async def proposals_route(request):
        try:
            return HTMLResponse(await run_in_threadpool(proposals, request.path_params["slug"]))
        except Refused:
            return PlainTextResponse("找不到这个村", status_code=404)

    async def ballot_route(request):
        body = await request.json()
        status, payload = await run_in_threadpool(cast, request.path_params["sid"], int(body["voter"]),
                                                  int(body["choice"]))
        return JSONResponse(payload, status_code=status)

    async def ping(request):
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/", ping), Route("/v/{slug}/", board_route),
                             Route("/v/{slug}/proposals", proposals_route),
                             Route("/ballots/{sid:int}", ballot_route, methods=["POST"])])


def _integrity_errors(db: Database):
    if db.sqlite:
        return lambda exc: isinstance(exc, sqlite3.IntegrityError)
    import psycopg

    return lambda exc: isinstance(exc, psycopg.errors.IntegrityError)


def _values(row) -> tuple:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def _aware(moment) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- serving and driving: what bench/http.py and bench/city.py share ------------------------------------
#
# (They live here because bench/http.py cannot be imported under its own name: see its docstring.)

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60

# wrk's script. The requests come from a file, one a line: group, method, path, headers (`name: value`,
# joined by \x1f) and body, separated by tabs. wrk's arguments after `--`: the file, the number of threads,
# then `name=weight` for each group, or `name=weight:once` for a group whose requests are each sent once
# (a ballot per voter), every thread taking its share in order. Each request picks a group by weight, then
# one of its requests (at random, or the next one of a once-group; past the end, the last again). At the
# end one line: RESULT {requests, duration_us, p50, p90, p99, max (µs), errors, statuses, sent, spent}.
LUA = r"""
local counter, threads = 0, {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local file, n = args[1], tonumber(args[2])
  groups, total = {}, 0
  local byname = {}
  for i = 3, #args do
    local name, weight, mode = args[i]:match("^([^=]+)=(%d+):?(%a*)$")
    local g = {name = name, weight = tonumber(weight), once = mode == "once", reqs = {}, nexti = 1, seen = 0}
    byname[name] = g
    table.insert(groups, g)
    total = total + g.weight
  end
  for line in io.lines(file) do
    local name, method, path, head, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    local g = byname[name]
    if g then
      local mine = true
      if g.once then
        mine = g.seen % n == id
        g.seen = g.seen + 1
      end
      if mine then
        local headers = {}
        for h in head:gmatch("[^\31]+") do
          local k, v = h:match("^([^:]+): (.*)$")
          headers[k] = v
        end
        table.insert(g.reqs, wrk.format(method, path, headers, body ~= "" and body or nil))
      end
    end
  end
  sent, statuses, spent = {}, {}, 0
  math.randomseed(os.time() * 100 + id)
end

function request()
  local r, g = math.random() * total, groups[#groups]
  for _, candidate in ipairs(groups) do
    r = r - candidate.weight
    if r < 0 then
      g = candidate
      break
    end
  end
  sent[g.name] = (sent[g.name] or 0) + 1
  if g.once then
    local req = g.reqs[g.nexti]
    if req == nil then
      spent = spent + 1
      return g.reqs[#g.reqs]
    end
    g.nexti = g.nexti + 1
    return req
  end
  return g.reqs[math.random(#g.reqs)]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

local function object(t)
  local parts = {}
  for k, v in pairs(t) do table.insert(parts, string.format('"%s":%d', k, v)) end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local codes, sent_by_group, spent_total = {}, {}, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do codes[k] = (codes[k] or 0) + v end
    for k, v in pairs(thread:get("sent")) do sent_by_group[k] = (sent_by_group[k] or 0) + v end
    spent_total = spent_total + thread:get("spent")
  end
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":%s,"sent":%s,"spent":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, object(codes), object(sent_by_group), spent_total))
end
"""


@dataclass
class Request:
    group: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def line(self) -> str:
        head = "\x1f".join(f"{k}: {v}" for k, v in self.headers.items())
        for part in (self.group, self.method, self.path, head, self.body):
            if "\t" in part or "\n" in part:
                raise ValueError(f"a request field holds a tab or a newline: {part!r}")
        return "\t".join((self.group, self.method, self.path, head, self.body))


@dataclass
class Load:
    """What wrk reported for one run."""

    requests: int
    seconds: float
    p50: float  # ms
    p90: float
    p99: float
    max: float
    statuses: dict[int, int]
    errors: dict[str, int]
    sent: dict[str, int]  # requests per group
    spent: int  # requests of a once-group sent after its requests ran out
    cpu_ms: float = 0.0  # the server's CPU time per request answered (0: not measured)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def status_text(self) -> str:
        errors = {k: v for k, v in self.errors.items() if v and k != "status"}
        return str(dict(sorted(self.statuses.items()))) + (f" 连接错误 {errors}" if errors else "")


def wrk(server: Server, requests: list[Request], weights: dict[str, str | int], *, seconds: float, connections: int,
        threads: int, tmp: Path) -> Load:
    """wrk -t{threads} -c{connections} -d{seconds}s on the server with the script above; the server's CPU time
    is read before and after."""
    for name, weight in weights.items():
        have = sum(1 for r in requests if r.group == name)
        if have < (threads if str(weight).endswith(":once") else 1):
            raise ValueError(f"group {name}: {have} requests")
    requests_file, script = tmp / "wrk-requests.txt", tmp / "wrk.lua"
    requests_file.write_text("".join(r.line() + "\n" for r in requests))
    script.write_text(LUA)
    cpu = server.cpu_seconds()
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
                          "-s", str(script), f"http://127.0.0.1:{server.port}", "--", str(requests_file),
                          str(threads), *(f"{name}={weight}" for name, weight in weights.items())],
                         capture_output=True, text=True, check=True)
    cpu = server.cpu_seconds() - cpu
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk said:\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("RESULT "))
    return Load(data["requests"], data["duration_us"] / 1e6, data["p50"] / 1000, data["p90"] / 1000,
                data["p99"] / 1000, data["max"] / 1000, {int(k): v for k, v in data["statuses"].items()},
                data["errors"], data["sent"], data["spent"], cpu * 1000 / max(1, data["requests"]))


def cell(value: object, width: int, *, left: bool = False) -> str:
    """`value` padded to `width` columns of a terminal, a Chinese character taking two."""
    text = str(value)
    room = " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))
    return text + room if left else room + text


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




class Server:
    """uvicorn in a subprocess, as `cunyi serve --workers N` runs it (an ASGI factory, N processes) but on a
    free loopback port and without the access log; stopped (terminated, then killed) by `stop`."""

    def __init__(self, target: list[str], env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.log = log
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", *target, "--host", "127.0.0.1", "--port",
                 str(self.port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            self._wait_until_up()
        except BaseException:  # Ctrl-C included: never leave the server behind
            self.stop()
            raise

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 — loopback only
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def cpu_seconds(self) -> float:
        """User and system CPU time used so far by the server's processes (uvicorn and its workers; Linux's
        /proc, 0 elsewhere): divided by the requests served, a cost that other load on the machine does
        not inflate the way it inflates latency."""
        return cpu_seconds(self.proc.pid)

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if self.get("/")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not answer in {STARTUP_TIMEOUT_S} s:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children so far (Linux's /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return own + sum(cpu_seconds(child) for child in children)


@dataclass(frozen=True)
class Login:
    user_id: int
    token: str  # the cookie's value (web) or the bearer token (api)
    csrf: str


def logins(engine, user_ids: list[int], kind: str, hours: int = 12) -> list[Login]:
    """A live session per user, written in bulk as if each had just logged in (kind "web": a browser's
    cookie with its CSRF token; "api": a bearer token)."""
    from sqlalchemy import insert

    from app.models import UserSession, utcnow

    now = utcnow()
    made = [Login(uid, secrets.token_urlsafe(32), secrets.token_urlsafe(32)) for uid in user_ids]
    rows = [{"token_hash": hashlib.sha256(m.token.encode()).hexdigest(), "user_id": m.user_id, "kind": kind,
             "csrf_token": m.csrf, "created_at": now, "last_seen_at": now,
             "expires_at": now + timedelta(hours=hours)} for m in made]
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(UserSession), rows[start:start + 5000])
    return made
