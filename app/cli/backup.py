"""`cunyi backup` and `cunyi restore`: one archive that carries the database and the uploads, checked.

A backup is a tar archive (gzip-compressed when its name ends in .gz or .tgz) holding:
- `manifest.json`: when, which engine, the migration revision, counts, the secret key's fingerprint;
- `cunyi.db` (SQLite: a copy made with the online backup API while the server runs, so nothing in
  the `-wal` file is missed, in rollback-journal mode so the one file is the whole database) or
  `cunyi.pgdump` (PostgreSQL: `pg_dump -Fc`, which keeps the triggers);
- `uploads/`: the files under CUNYI_UPLOAD_DIR.

The secret key is never in it: activation codes are HMACs made with the key, so a restored database
needs the same key, kept apart from the backups (whoever has both can forge nothing less than codes).
Nor is the seal key (CUNYI_SEAL_KEY_FILE): the audit chains' seals verify only with the same key.

Both commands verify what they wrote: SQLite's `PRAGMA integrity_check`, every audit chain
(services/audit.verify_chain), and register = box for every secret vote.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app import __version__
from app.config import Settings
from app.db import sqlite_file, take_exclusive_lock

MANIFEST = "manifest.json"
SQLITE_NAME = "cunyi.db"
PG_NAME = "cunyi.pgdump"
UPLOADS = "uploads"
SIDE_FILES = ("-wal", "-shm", "-journal")

KEY_NOTE = ("密钥不在备份里：激活码是用密钥（CUNYI_SECRET_KEY 或 {key_file}）算出的 HMAC，恢复后必须用同一把密钥，"
            "否则已发出的激活码全部失效；审计链的封存签名用封存私钥（{seal_file}），恢复后也要用同一把，"
            "否则以前的封存都核验不了。请把两把密钥另外妥善保管（例如放进另一处加密存储），"
            "不要和备份文件放在同一个地方。")


class BackupFailed(Exception):
    """What went wrong, in Chinese, for the operator."""


@dataclass
class Check:
    """The verification of one database: integrity, chains, ballots."""

    integrity: str = "ok"
    chains: int = 0
    events: int = 0
    broken: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not self.broken


# --- verification -----------------------------------------------------------------------------

def verify(url: str) -> Check:
    """Integrity (SQLite), every audit chain, register = box for every secret vote."""
    from app.models import PLATFORM_CHAIN, BallotBox, BallotRegister, User, Village
    from app.services import audit

    check = Check()
    engine = _plain_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                rows = [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]
            check.integrity = "ok" if rows == ["ok"] else "；".join(rows[:5])
            if not check.ok:
                return check
        with Session(engine) as session:
            chains = [PLATFORM_CHAIN, *session.execute(select(Village.id).order_by(Village.id)).scalars()]
            for vid in chains:
                result = audit.verify_chain(session, vid)
                check.chains += 1
                check.events += result.checked
                if not result.ok:
                    check.broken.append(f"审计链 {vid} 第 {result.broken_seq} 条起断裂：{result.reason}")
            registers = dict(session.execute(select(BallotRegister.vote_session_id, func.count())
                                             .group_by(BallotRegister.vote_session_id)).all())
            boxes = dict(session.execute(select(BallotBox.vote_session_id, func.count())
                                         .group_by(BallotBox.vote_session_id)).all())
            for sid in sorted(set(registers) | set(boxes)):
                if registers.get(sid, 0) != boxes.get(sid, 0):
                    check.broken.append(f"表决 {sid}：投票登记 {registers.get(sid, 0)} 人，票箱 {boxes.get(sid, 0)} 张")
            check.counts = {"villages": len(chains) - 1,
                            "users": session.execute(select(func.count()).select_from(User)).scalar_one(),
                            "audit_events": check.events,
                            "secret_ballots": sum(boxes.values())}
    except Exception as error:  # noqa: BLE001 — a damaged copy can fail anywhere; that is the answer
        check.integrity = check.integrity if check.integrity != "ok" else f"无法读取：{error}"
    finally:
        engine.dispose()
    return check


def _plain_engine(url: str) -> Engine:
    """An engine without the app's pragmas (no WAL switch, nothing written to a copy)."""
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url)


def key_fingerprint(settings: Settings) -> str | None:
    """A short digest that tells whether two installations use the same secret key (never the key)."""
    key = settings.secret_key
    if not key and settings.secret_key_file.exists():
        key = settings.secret_key_file.read_text().strip()
    if not key:
        return None
    return hashlib.sha256(b"cunyi-key-fingerprint\0" + key.encode()).hexdigest()[:16]


# --- backup -----------------------------------------------------------------------------------

def backup(settings: Settings, target: Path, say: Callable[[str], None]) -> tuple[Path, Check]:
    """Write a verified backup archive to `target` (a file, or a folder to name one in)."""
    if target.is_dir():
        target = target / f"cunyi-backup-{datetime.now():%Y%m%d-%H%M%S}.tar.gz"
    if target.exists():
        raise BackupFailed(f"{target} 已存在；备份不会覆盖旧备份，请换一个文件名。")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".cunyi-backup-", dir=target.parent))
    try:
        db_file = sqlite_file(settings.database_url)
        if db_file is not None:
            name = SQLITE_NAME
            copy = work / name
            _sqlite_online_copy(db_file, copy)
            say(f"已用 SQLite 在线备份接口复制数据库（{copy.stat().st_size // 1024} KB）")
            check = verify(f"sqlite:///{copy}")
        else:
            name = PG_NAME
            check = _pg_dump(settings.database_url, work / name, say)
        if not check.ok:
            raise BackupFailed("备份副本核验未通过：" + "；".join([check.integrity] + check.broken))
        manifest = {"format": 1, "app_version": __version__, "created_at": datetime.now().astimezone().isoformat(),
                    "engine": "sqlite" if db_file is not None else "postgresql", "database": name,
                    "revision": _revision(settings.database_url), "counts": check.counts,
                    "key_fingerprint": key_fingerprint(settings)}
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        files = _write_archive(target, work, name, settings.upload_dir)
        say(f"已打包上传文件 {files} 个")
        return target, check
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sqlite_online_copy(source: Path, copy: Path) -> None:
    """sqlite3's backup API in one step: one read transaction, a consistent snapshot, writers unblocked."""
    if not source.exists():
        raise BackupFailed(f"找不到数据库文件 {source}")
    src = sqlite3.connect(source, timeout=30)  # read-write: a read-only one may not open a WAL file
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)  # pages=-1: all pages at once, from one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        dst.commit()
    finally:
        dst.close()
        src.close()


def _write_archive(target: Path, work: Path, db_name: str, upload_dir: Path) -> int:
    part = target.with_name(target.name + ".part")
    mode = "w:gz" if target.name.endswith((".gz", ".tgz")) else "w"
    files = 0
    with tarfile.open(part, mode) as tar:
        tar.add(work / MANIFEST, arcname=MANIFEST)
        tar.add(work / db_name, arcname=db_name)
        if upload_dir.is_dir():
            for path in sorted(upload_dir.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    try:
                        tar.add(path, arcname=f"{UPLOADS}/{path.relative_to(upload_dir).as_posix()}")
                        files += 1
                    except FileNotFoundError:  # a pending roster confirmed meanwhile
                        continue
    part.chmod(0o600)  # names, phone numbers and password hashes: for the operator's eyes only
    with part.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(part, target)
    return files


def _revision(url: str) -> str | None:
    engine = _plain_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 — a database never migrated has none
        return None
    finally:
        engine.dispose()


# --- PostgreSQL -------------------------------------------------------------------------------

def libpq_args(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments for a SQLAlchemy URL: connection flags, and the environment
    (PGPASSWORD, PGOPTIONS) so the password never shows in `ps`."""
    u = make_url(url)
    args = [f"--dbname={u.database}"]
    if u.host:
        args.append(f"--host={u.host}")
    if u.port:
        args.append(f"--port={u.port}")
    if u.username:
        args.append(f"--username={u.username}")
    env = {}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    options = u.query.get("options")
    if options:
        env["PGOPTIONS"] = options if isinstance(options, str) else " ".join(options)
    return args, env


def pg_schema(url: str) -> str | None:
    """The schema named by `options=-csearch_path=…` (as the tests and benches use), if any."""
    options = make_url(url).query.get("options") or ""
    options = options if isinstance(options, str) else " ".join(options)
    for part in options.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0]
    return None


def _tool(name: str, args: list[str], env: dict[str, str]) -> None:
    exe = shutil.which(name)
    shown = " ".join([name, *args])
    if exe is None:
        raise BackupFailed(f"找不到 {name}（PostgreSQL 客户端，Debian 包 postgresql-client）。请安装后重试，"
                           f"或手工运行：{shown}")
    command = [exe, *args]  # our own arguments, no shell
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupFailed(f"{shown} 失败：{done.stderr.strip()[-1500:]}")


def _pg_dump(url: str, out: Path, say: Callable[[str], None]) -> Check:
    args, env = libpq_args(url)
    schema = pg_schema(url)
    _tool("pg_dump", ["--format=custom", f"--file={out}", *([f"--schema={schema}"] if schema else []), *args], env)
    say(f"已用 pg_dump -Fc 导出数据库（{out.stat().st_size // 1024} KB）")
    _tool("pg_restore", ["--list", str(out)], {})
    return _verify_pg_dump(url, out, say)


def _verify_pg_dump(url: str, dump: Path, say: Callable[[str], None]) -> Check:
    """Restore the dump into a scratch database, verify it there, drop it. Without the right to create
    a database, verify the live database instead and say so."""
    scratch = f"cunyi_verify_{os.getpid()}_{int(datetime.now().timestamp())}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
    except Exception:  # noqa: BLE001 — no CREATEDB right
        admin.dispose()
        say("[yellow]没有建库权限，无法把导出文件还原到临时库核验；改为核验正在运行的数据库。[/yellow]")
        return verify(url)
    scratch_url = make_url(url).set(database=scratch).render_as_string(hide_password=False)
    try:
        args, env = libpq_args(scratch_url)
        _tool("pg_restore", ["--no-owner", "--exit-on-error", *args, str(dump)], env)
        check = verify(scratch_url)
        say("已把导出文件还原到临时库并核验")
        return check
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()


# --- restore ----------------------------------------------------------------------------------

def read_manifest(archive: Path) -> dict:
    if not archive.is_file():
        raise BackupFailed(f"找不到备份文件 {archive}")
    try:
        with tarfile.open(archive) as tar:
            member = tar.extractfile(MANIFEST)
            return json.loads(member.read()) if member else {}
    except (tarfile.TarError, KeyError, ValueError) as error:
        raise BackupFailed(f"{archive} 不是 cunyi backup 写的备份：{error}") from None


def restore(settings: Settings, archive: Path, say: Callable[[str], None]) -> Check:
    """Restore `archive` into the configured database, which must be empty and not in use."""
    manifest = read_manifest(archive)
    db_file = sqlite_file(settings.database_url)
    engine = "sqlite" if db_file is not None else "postgresql"
    if manifest.get("engine") != engine:
        raise BackupFailed(f"这是 {manifest.get('engine')} 的备份，而 CUNYI_DATABASE_URL 指向 {engine} 数据库。")
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
    lock = take_exclusive_lock(settings.database_url)
    if lock is None:
        raise BackupFailed("服务正在使用这个数据库（或另一个恢复正在进行）。请先停止 cunyi serve 的所有进程，再恢复。")
    try:
        work = Path(tempfile.mkdtemp(prefix=".cunyi-restore-", dir=db_file.parent if db_file else None))
        try:
            with tarfile.open(archive) as tar:
                tar.extract(manifest["database"], work, filter="data")
                uploads = [m for m in tar.getmembers() if m.name.startswith(UPLOADS + "/") and m.isfile()]
                if db_file is not None:
                    _restore_sqlite(db_file, work / manifest["database"], say)
                else:
                    _restore_pg(settings.database_url, work / manifest["database"], say)
                copied = _restore_uploads(tar, uploads, settings.upload_dir)
            say(f"已恢复上传文件 {copied} 个（已存在的同名文件保持不动）")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        check = verify(settings.database_url)
    finally:
        lock.close()
    fingerprint = key_fingerprint(settings)
    if manifest.get("key_fingerprint") and fingerprint != manifest["key_fingerprint"]:
        say("[yellow]注意：当前密钥和做备份时的密钥不同（或尚未设置）。请换回原来的密钥再启动服务，"
            "否则已发出的激活码全部失效。[/yellow]")
    return check


def _restore_sqlite(db_file: Path, copy: Path, say: Callable[[str], None]) -> None:
    problem = _sqlite_not_empty(db_file)
    if problem:
        raise BackupFailed(f"{problem}只能恢复到空数据库。请先把它（连同 -wal、-shm 文件）移到别处留存，再恢复。")
    check = verify(f"sqlite:///{copy}")
    if not check.ok:
        raise BackupFailed("备份文件里的数据库核验未通过，未做任何改动：" + "；".join([check.integrity] + check.broken))
    for suffix in SIDE_FILES:  # stale -wal/-shm beside a new file would be replayed into it: malformed
        side = db_file.with_name(db_file.name + suffix)
        if side.exists():
            side.unlink()
            say(f"已删除旧的 {side.name}")
    db_file.parent.mkdir(parents=True, exist_ok=True)
    with copy.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(copy, db_file)
    dir_fd = os.open(db_file.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    say(f"已恢复数据库到 {db_file}")


def _sqlite_not_empty(db_file: Path) -> str | None:
    """None when the file is missing or holds no rows (a migrated empty database counts as empty)."""
    if not db_file.exists() or db_file.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=1)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                  "AND name NOT IN ('alembic_version', 'sqlite_sequence')")]
            for table in tables:
                if conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                    return f"{db_file} 里已有数据（表 {table}）。"
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return f"{db_file} 无法读取（{error}）。"
    return None


def _restore_pg(url: str, dump: Path, say: Callable[[str], None]) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            others = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()")).scalar_one()
            tables = conn.execute(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema')")).scalar_one()
    finally:
        engine.dispose()
    if others:
        raise BackupFailed(f"还有 {others} 个连接在使用这个数据库。请先停止 cunyi serve 的所有进程，再恢复。")
    if tables:
        raise BackupFailed("数据库里已有表，只能恢复到空数据库。请新建一个空库（createdb），"
                           "把 CUNYI_DATABASE_URL 指向它，再恢复。")
    args, env = libpq_args(url)
    env.pop("PGOPTIONS", None)  # the dump creates its own schema
    _tool("pg_restore", ["--no-owner", "--exit-on-error", *args, str(dump)], env)
    say("已用 pg_restore 恢复数据库")


def _restore_uploads(tar: tarfile.TarFile, members: list[tarfile.TarInfo], upload_dir: Path) -> int:
    copied = 0
    for member in members:
        rel = member.name[len(UPLOADS) + 1:]
        if (upload_dir / rel).exists():
            continue
        member = member.replace(name=rel)
        tar.extract(member, upload_dir, filter="data")
        copied += 1
    return copied
