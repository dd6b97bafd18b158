"""`cunyi backup` and `cunyi restore`, and the server's start-up check (issue 14, item 11).

A backup taken while threads cast ballots holds every ballot acknowledged before it began, is
consistent (register = box, integrity ok, every chain verifies) and restores into a fresh database.
Restore refuses a database with rows and a database a server is using, and removes stale -wal/-shm
files. The server refuses to start on a damaged database, with a message that says to restore.
"""

from __future__ import annotations

import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.cli import backup as backups
from app.cli import upgrade_database
from app.config import get_settings
from app.db import DatabaseRefused, make_engine
from app.main import create_app
from app.models import BallotBox, BallotRegister
from tests.api.test_vote_races import adults, cast, open_vote
from tests.conftest import PG_URL, create_pg_schema, drop_pg_schema, make_settings
from tests.factories import World


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A migrated SQLite database of its own (the backup copies it whole; keep it small)."""
    tmp = tmp_path_factory.mktemp("backup-source")
    settings = make_settings(f"sqlite:///{tmp / 'cunyi.db'}", tmp)
    upgrade_database(settings)
    engine = make_engine(settings)
    yield settings, engine
    engine.dispose()


def target_settings(source_settings, tmp: Path, name: str = "restored"):
    """Another installation: an empty database path and upload folder, the same secret key."""
    settings = make_settings(f"sqlite:///{tmp / name / 'cunyi.db'}", tmp / name)
    return settings.model_copy(update={"secret_key": source_settings.secret_key})


def receipts(engine, sid: int) -> tuple[set[str], int]:
    with engine.connect() as conn:
        box = set(conn.execute(select(BallotBox.receipt).where(BallotBox.vote_session_id == sid)).scalars())
        register = conn.execute(select(func.count()).select_from(BallotRegister)
                                .where(BallotRegister.vote_session_id == sid)).scalar_one()
    return box, register


def test_a_backup_under_load_restores_every_acknowledged_ballot(source, tmp_path):
    settings, engine = source
    with Session(engine, expire_on_commit=False) as db:
        world = World(db, settings)
        village = world.village()
        committee = world.member(village, "committee", name="主任")
        people = adults(db, village, 160)
        sid = open_vote(db, village, committee)
    upload = settings.upload_dir / "files" / "ab" / "abcdef"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"%PDF-1.4 minutes of the meeting")

    lock = threading.Lock()
    acked: list[tuple[float, str]] = []  # (when acknowledged, receipt)
    enough = threading.Event()

    def voter(i: int) -> None:
        outcome, receipt = cast(engine, people[i], sid, i % 3)
        assert outcome == "ok", receipt
        with lock:
            acked.append((time.monotonic(), receipt))
            if len(acked) >= 40:
                enough.set()

    with ThreadPoolExecutor(max_workers=8) as pool:
        casts = [pool.submit(voter, i) for i in range(len(people))]
        assert enough.wait(timeout=60)
        began = time.monotonic()
        archive, check = backups.backup(settings, tmp_path / "nightly.tar.gz", quiet)
        ended = time.monotonic()
        for future in casts:
            future.result()
    before = {r for t, r in acked if t < began}
    assert len(before) >= 40 and check.ok, check
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "cunyi.db", "uploads/files/ab/abcdef"} <= set(tar.getnames())

    restored = target_settings(settings, tmp_path)
    check = backups.restore(restored, archive, quiet)
    assert check.ok and check.integrity == "ok" and not check.broken, check
    restored_engine = create_engine(restored.database_url)
    try:
        box, register = receipts(restored_engine, sid)
    finally:
        restored_engine.dispose()
    assert before <= box  # every ballot acknowledged before the backup began is in it
    assert box <= {r for _, r in acked}  # and nothing that was never acknowledged
    assert register == len(box)  # the copy is one snapshot: the register and the box agree
    late = {r for t, r in acked if t > ended}
    assert not (late & box)  # acknowledged after the copy finished: not in it
    assert (restored.upload_dir / "files" / "ab" / "abcdef").read_bytes() == upload.read_bytes()


@pytest.fixture(scope="module")
def archive(source, tmp_path_factory) -> Path:
    settings, engine = source
    with Session(engine, expire_on_commit=False) as db:
        World(db, settings).village()  # never empty, whichever test runs first
    path, check = backups.backup(settings, tmp_path_factory.mktemp("archives"), quiet)
    assert check.ok and path.name.startswith("cunyi-backup-") and path.name.endswith(".tar.gz")
    return path


def test_restore_refuses_a_database_with_rows(source, archive):
    settings, engine = source
    with pytest.raises(backups.BackupFailed, match="只能恢复到空数据库"):
        backups.restore(settings, archive, quiet)
    with engine.connect() as conn:  # untouched
        assert conn.execute(text("PRAGMA quick_check")).scalar_one() == "ok"


def test_restore_refuses_while_a_server_uses_the_database(source, archive, tmp_path):
    settings = target_settings(source[0], tmp_path)
    app = create_app(settings)
    try:
        # the server's start-up takes the serving lock
        with TestClient(app), pytest.raises(backups.BackupFailed, match="服务正在使用这个数据库"):
            backups.restore(settings, archive, quiet)
        # stopped: the same restore goes through (the empty file the server left is still empty)
        assert backups.restore(settings, archive, quiet).ok
    finally:
        app.state.engine.dispose()


def test_a_server_cannot_start_while_a_restore_runs(source, tmp_path):
    from app.db import take_exclusive_lock

    settings = target_settings(source[0], tmp_path)
    lock = take_exclusive_lock(settings.database_url)
    app = create_app(settings)
    try:
        with pytest.raises(DatabaseRefused, match="正在恢复数据库"), TestClient(app):
            pass
    finally:
        lock.close()
        app.state.engine.dispose()


def test_restore_removes_stale_wal_and_shm_files(source, archive, tmp_path):
    settings = target_settings(source[0], tmp_path)
    db_file = Path(settings.database_url.removeprefix("sqlite:///"))
    db_file.parent.mkdir(parents=True)
    # the -wal of another database, left beside the file: replayed into the restored one it would
    # corrupt it; restore must delete it
    other = tmp_path / "other.db"
    keep = create_engine(f"sqlite:///{other}")
    with keep.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
        conn.execute(text("PRAGMA wal_autocheckpoint=0"))
        conn.execute(text("CREATE TABLE t (x BLOB)"))
        conn.execute(text("INSERT INTO t SELECT randomblob(3000) FROM (SELECT 1 UNION SELECT 2 UNION SELECT 3)"))
    for suffix in ("-wal", "-shm"):
        (db_file.parent / (db_file.name + suffix)).write_bytes((tmp_path / f"other.db{suffix}").read_bytes())
    keep.dispose()

    result = CliRunner().invoke(cli_app, ["restore", str(archive)], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    assert "已删除旧的 cunyi.db-wal" in result.output and "恢复完成并已核验" in result.output
    assert "密钥" in result.output  # where the secret key must be kept
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    finally:
        engine.dispose()


def cli_env(settings) -> dict[str, str]:
    get_settings.cache_clear()
    return {"CUNYI_DATABASE_URL": settings.database_url, "CUNYI_SECRET_KEY": settings.secret_key,
            "CUNYI_UPLOAD_DIR": str(settings.upload_dir)}


@pytest.fixture
def damaged(source, archive, tmp_path):
    """A restored database whose pages were then overwritten in the middle."""
    settings = target_settings(source[0], tmp_path)
    assert backups.restore(settings, archive, quiet).ok
    db_file = Path(settings.database_url.removeprefix("sqlite:///"))
    data = bytearray(db_file.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for n in range(2, len(data) // page, 3):  # every third page from the second: garbage after its header
        data[n * page + 12:(n + 1) * page - 16] = b"\xa5" * (page - 28)
    db_file.write_bytes(bytes(data))
    yield settings
    get_settings.cache_clear()


def test_the_server_refuses_to_start_on_a_damaged_database(damaged):
    app = create_app(damaged)
    try:
        with pytest.raises(DatabaseRefused, match="cunyi restore"), TestClient(app):
            pass
    finally:
        app.state.engine.dispose()
    # the check can be turned off (CUNYI_STARTUP_CHECK=false), e.g. to copy out what is readable
    app = create_app(damaged.model_copy(update={"startup_check": False}))
    try:
        with TestClient(app):
            pass
    finally:
        app.state.engine.dispose()


def test_cunyi_serve_refuses_a_damaged_database_before_uvicorn(damaged, monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn started"))
    result = CliRunner().invoke(cli_app, ["serve"], env=cli_env(damaged))
    assert result.exit_code == 1, result.output
    assert "数据库完整性检查未通过" in result.output and "cunyi restore" in result.output


def test_backup_refuses_to_overwrite_and_restore_a_file_that_is_no_backup(source, archive, tmp_path):
    with pytest.raises(backups.BackupFailed, match="已存在"):
        backups.backup(source[0], archive, quiet)
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar")
    with pytest.raises(backups.BackupFailed, match="不是 cunyi backup 写的备份"):
        backups.restore(target_settings(source[0], tmp_path), junk, quiet)


@pytest.mark.skipif(not PG_URL, reason="CUNYI_TEST_DATABASE_URL is not set")
def test_postgresql_backup_and_restore_into_an_empty_database(tmp_path):
    from sqlalchemy.engine import make_url

    schema, url = create_pg_schema(PG_URL, "cunyi_bk")
    fresh = f"cunyi_restore_{schema.rsplit('_', 1)[1]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        settings = make_settings(url, tmp_path / "src")
        upgrade_database(settings)
        engine = make_engine(settings)
        with Session(engine, expire_on_commit=False) as db:
            world = World(db, settings)
            village = world.village()
            committee = world.member(village, "committee", name="主任")
            people = adults(db, village, 12)
            sid = open_vote(db, village, committee)
        acked = {cast(engine, uid, sid, i % 3)[1] for i, uid in enumerate(people)}
        engine.dispose()
        archive, check = backups.backup(settings, tmp_path / "pg.tar.gz", quiet)
        assert check.ok and check.counts["secret_ballots"] >= 12, check

        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{fresh}"'))
        target_url = make_url(url).set(database=fresh).render_as_string(hide_password=False)
        restored = make_settings(target_url, tmp_path / "dst").model_copy(update={"secret_key": settings.secret_key})
        check = backups.restore(restored, archive, quiet)
        assert check.ok, check
        restored_engine = create_engine(target_url)
        box, register = receipts(restored_engine, sid)
        restored_engine.dispose()
        assert box == acked and register == len(acked)
        with pytest.raises(backups.BackupFailed, match="只能恢复到空数据库"):
            backups.restore(restored, archive, quiet)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        admin.dispose()
        drop_pg_schema(PG_URL, schema)
