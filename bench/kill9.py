"""Kill -9 under load: no acknowledged ballot is lost, nobody votes twice, the database stays sound.

    .venv/bin/python bench/kill9.py [--workers 1] [--kills 8] [--voters 2000] [--threads 16]
                                    [--url postgresql+psycopg://user@127.0.0.1:5432/db]

Starts `cunyi serve` (uvicorn) on a temp SQLite database (or a fresh schema of `--url`, dropped at
the end) holding a village of N voters and an open secret vote; logs every voter in; then 16 client
threads cast one secret ballot each over HTTP while the server's whole process group is killed with
SIGKILL every second or so and restarted. A request cut off by a kill is retried after the restart:
it answers 201 (the first try never committed) or 409 "已经投过票了" (it committed but its answer was
lost). At the end it checks:
- every receipt answered with 201 is in the box (lost = 0);
- no voter was answered 201 twice and box = 201s + lost answers (duplicates = 0, phantoms = 0);
- register = box;
- `PRAGMA integrity_check` is ok (SQLite) and `cunyi audit verify` passes.
A benchmark that prints figures (too slow for the suite); exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bare import free_port  # noqa: E402
from common import drop_pg_schema as drop_schema  # noqa: E402
from common import pg_schema, server_env  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from votes import PASSWORD, drive, fill  # noqa: E402

from app.cli import upgrade_database  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60


class Server:
    """`cunyi serve` in its own process group, so SIGKILL reaches every worker at once."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.env, self.workers, self.log = env, workers, log
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        began = time.monotonic()
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cunyi serve exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/openapi.json", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return time.monotonic() - began
            except (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"cunyi serve did not answer in {STARTUP_TIMEOUT_S} s")
            time.sleep(0.05)

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # the group we started: uvicorn and its workers
        self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[int, list[str]] = {}  # voter → receipts answered 201
        self.answer_lost: set[int] = set()  # cut off, then 409 "already voted" on retry
        self.cut_off = 0  # requests sent that got no answer
        self.refused = 0  # connections refused while the server was down
        self.other: dict[int, int] = {}  # unexpected statuses


def cast_all(port: int, sid: int, tokens: list[tuple[int, str]], threads: int, tally: Tally,
             done: threading.Event) -> None:
    todo: queue.Queue[tuple[int, str, int]] = queue.Queue()
    for i, (uid, token) in enumerate(tokens):
        todo.put((uid, token, i % 3))

    def worker() -> None:
        conn: http.client.HTTPConnection | None = None
        while True:
            try:
                uid, token, choice = todo.get_nowait()
            except queue.Empty:
                return
            was_cut = False
            while True:
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("POST", f"/api/v1/votes/{sid}/ballots", body=json.dumps({"choice": choice}),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                    response = conn.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as error:
                    if conn is not None:
                        conn.close()
                    conn = None
                    refused = isinstance(error, ConnectionRefusedError)  # never reached the server
                    with tally.lock:
                        tally.refused += refused
                        tally.cut_off += not refused
                    was_cut = was_cut or not refused
                    time.sleep(0.05)
                    continue
                with tally.lock:
                    if response.status == 201:
                        tally.acked.setdefault(uid, []).append(json.loads(body)["receipt"])
                    elif response.status == 409 and was_cut and "已经投过票" in body.decode():
                        tally.answer_lost.add(uid)
                    else:
                        tally.other[response.status] = tally.other.get(response.status, 0) + 1
                break

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    done.set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL URL (a fresh schema is made and dropped); default a temp SQLite file")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--voters", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cunyi-kill9-"))
    schema = None
    if args.url:
        schema, url = pg_schema(args.url)
    else:
        url = f"sqlite:///{tmp / 'cunyi.db'}"
    env = server_env(url, tmp)
    settings = Settings(database_url=url, secret_key=env["CUNYI_SECRET_KEY"], upload_dir=tmp / "uploads",
                        argon2_time_cost=1, argon2_memory_kib=1024)
    engine = None
    server = Server(env, args.workers, tmp / "server.log")
    try:
        upgrade_database(settings)
        engine = make_engine(settings)
        setup = fill(settings, engine, args.voters)
        sid = setup.app_sid
        server.start()
        logins = drive(server.port, [("/api/v1/auth/token", json.dumps({"phone": p, "password": PASSWORD}).encode(),
                                      {}) for _, p in setup.voters], args.threads)
        if logins.statuses != {200: len(setup.voters)}:
            raise RuntimeError(f"logins: {logins.statuses}")
        tokens = [(uid, json.loads(b)["access_token"]) for (uid, _), b in zip(setup.voters, logins.bodies, strict=True)]

        tally, done = Tally(), threading.Event()
        began = time.monotonic()
        caster = threading.Thread(target=cast_all, args=(server.port, sid, tokens, args.threads, tally, done))
        caster.start()
        kills, restarts = 0, []
        while kills < args.kills and not done.wait(random.uniform(0.4, 1.2)):  # noqa: S311
            server.kill9()
            kills += 1
            restarts.append(server.start())
        caster.join()
        wall = time.monotonic() - began
        server.stop()

        engine.dispose()
        with engine.connect() as conn:
            from app.models import BallotBox, BallotRegister

            box = list(conn.execute(select(BallotBox.receipt).where(BallotBox.vote_session_id == sid)).scalars())
            register = conn.execute(select(func.count()).select_from(BallotRegister)
                                    .where(BallotRegister.vote_session_id == sid)).scalar_one()
            integrity = (conn.execute(text("PRAGMA integrity_check")).scalar_one()
                         if engine.dialect.name == "sqlite" else "不适用（PostgreSQL）")
        audit = subprocess.run([sys.executable, "-m", "app.cli", "audit", "verify"], cwd=ROOT, env=env,  # noqa: S603
                               capture_output=True, text=True, check=False)
    finally:
        server.stop()
        if engine is not None:
            engine.dispose()
        if schema:
            drop_schema(args.url, schema)
        shutil.rmtree(tmp, ignore_errors=True)

    acked = [r for rs in tally.acked.values() for r in rs]
    in_box = set(box)
    lost = [r for r in acked if r not in in_box]
    duplicates = sum(len(rs) - 1 for rs in tally.acked.values()) + (len(box) - len(in_box))
    phantoms = len(box) - len(acked) - len(tally.answer_lost)
    engine_name = "PostgreSQL" if args.url else "SQLite"
    print(f"{engine_name}，{args.workers} 个进程，{args.threads} 个客户端线程，{args.voters} 名选民，用时 {wall:.1f} s")
    span = f"{min(restarts, default=0):.1f}–{max(restarts, default=0):.1f} s"
    print(f"  kill -9 次数          {kills}（每次重启到能答复用时 {span}）")
    print(f"  答复 201 的选票       {len(acked)}")
    print(f"  被切断的请求          {tally.cut_off}（已入箱、答复丢失、重试答 409 的 {len(tally.answer_lost)} 张；"
          f"停机时被拒的连接 {tally.refused} 次）")
    print(f"  其他答复              {tally.other or '无'}")
    print(f"  票箱 / 投票登记       {len(box)} / {register}")
    print(f"  丢失                  {len(lost)}")
    print(f"  重复                  {duplicates}")
    print(f"  来历不明              {phantoms}")
    print(f"  PRAGMA integrity_check {integrity}")
    print(f"  cunyi audit verify    {'通过' if audit.returncode == 0 else '失败：' + audit.stdout[-500:]}")
    failed = (lost or duplicates or phantoms or register != len(box) or tally.other
              or integrity not in ("ok", "不适用（PostgreSQL）") or audit.returncode != 0
              or len(tally.acked) + len(tally.answer_lost) != args.voters)
    print("结果：" + ("[失败]" if failed else "全部检查通过"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
