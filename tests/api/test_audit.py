"""The audit chain as users and attackers meet it: head, verify, the database's refusals, tampering,
who may read events, per-village locking and concurrent writers."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session
from typer.testing import CliRunner

from app.config import get_settings
from app.domain.audit_chain import GENESIS, canonical, link_hash
from app.services import audit
from tests.factories import bearer, login, unique_client


def audit_url(village, tail: str = "") -> str:
    return f"/api/v1/villages/{village.id}/audit{tail}"


def record(session: Session, village_id: int, n: int = 1, actor_id: int | None = None) -> None:
    for i in range(n):
        audit.record(session, village_id=village_id, actor_id=actor_id, action="test.event", entity="test",
                     entity_id=i, data={"i": i, "说明": "测试"})
    session.commit()


# --- head and verify ------------------------------------------------------------------------


def test_head_and_verify_follow_the_changes(client, world, db):
    village = world.village()
    head = client.get(audit_url(village, "/head"))
    assert head.status_code == 200
    assert head.json()["seq"] == 1 and head.json()["village_id"] == village.id  # village.create
    first_hash = head.json()["hash"]
    assert len(first_hash) == 64 and first_hash != GENESIS

    world.member(village, "committee", password=None)
    world.member(village, password=None)
    head = client.get(audit_url(village, "/head")).json()
    assert head["seq"] == 3
    verify = client.get(audit_url(village, "/verify"))
    assert verify.status_code == 200
    assert verify.json() == {"village_id": village.id, "ok": True, "checked": 3, "head_seq": 3,
                             "head_hash": head["hash"], "broken_seq": None, "reason": None,
                             "resumed_from": 0}


def test_head_and_verify_of_an_unknown_village_are_404(client):
    for tail in ("/head", "/verify", ""):  # the village is looked up first, even before asking who calls
        r = client.get(f"/api/v1/villages/987654321/audit{tail}")
        assert r.status_code == 404, (tail, r.text)
    r = client.get("/api/v1/villages/987654321/audit/verify")
    assert r.status_code == 404 and r.json()["detail"] == "找不到这个村"


def test_the_chain_links_every_event_to_the_one_before(client, world):
    village = world.village()
    committee = world.member(village, "committee")
    world.member(village, password=None)
    r = client.get(audit_url(village), headers=bearer(client, committee))
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "total", "page", "per_page"} and body["total"] == 3
    prev = GENESIS
    for event in body["items"]:
        payload = event["payload_text"].encode()
        assert event["prev_hash"] == prev
        assert event["hash"] == link_hash(prev, payload)  # anyone can recompute the chain from the API
        assert json.loads(payload) == event["payload"] and event["payload"]["seq"] == event["seq"]
        prev = event["hash"]
    assert [e["action"] for e in body["items"]] == ["village.create", "member.create", "member.create"]
    after = client.get(audit_url(village), params={"after": 2}, headers=bearer(client, committee)).json()
    assert [e["seq"] for e in after["items"]] == [3] and after["total"] == 1


def test_one_objects_events_end_to_end_one_kind_one_action(client, world, db):
    """A monitor reads one matter's whole record without paging through the village's chain."""
    village = world.village()
    committee = world.member(village, "committee")
    for entity, entity_id, action in (("proposal", 7, "proposal.create"), ("proposal", 8, "proposal.create"),
                                      ("proposal", 7, "proposal.submit"), ("notice", 7, "notice.create")):
        audit.record(db, village_id=village.id, actor_id=committee.id, action=action, entity=entity,
                     entity_id=entity_id)
    db.commit()
    headers = bearer(client, committee)

    def seqs_of(**params):
        r = client.get(audit_url(village), params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [(e["entity"], e["entity_id"], e["action"]) for e in r.json()["items"]]

    assert seqs_of(entity="proposal", entity_id="7") == [("proposal", "7", "proposal.create"),
                                                         ("proposal", "7", "proposal.submit")]
    assert len(seqs_of(entity="proposal")) == 3
    assert seqs_of(action="proposal.submit") == [("proposal", "7", "proposal.submit")]
    assert seqs_of(entity="notice", entity_id="8") == []
    for params, field in (({"entity": "spaceship"}, "entity"), ({"action": "x.y"}, "action"),
                          ({"entity_id": "7"}, "entity")):  # an id alone names nothing
        r = client.get(audit_url(village), params=params, headers=headers)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, params


# --- who may read the events ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("villager", 200),
        ("committee", 200),
        ("monitor", 200),
        ("admin", 200),
        ("other_monitor", 404),
        ("other_village", 404),
        ("nobody", 401),
    ],
)
def test_events_are_for_members_and_monitors(client, world, who, status):
    township = world.township()
    village = world.village(township)
    user = {
        "villager": lambda: world.member(village),
        "committee": lambda: world.member(village, "committee"),
        "monitor": lambda: world.monitor(township),
        "admin": lambda: world.admin,
        "other_monitor": lambda: world.monitor(world.township()),
        "other_village": lambda: world.member(world.village(), "committee"),
        "nobody": lambda: None,
    }[who]()
    headers = bearer(client, user) if user else {}
    r = client.get(audit_url(village), headers=headers)
    assert r.status_code == status
    if status != 200:
        assert r.headers["content-type"].startswith("application/problem+json")
    # head and verify are public: anyone may check a published seal
    assert client.get(audit_url(village, "/verify"), headers=headers).status_code == 200


# --- the database refuses changes -----------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET action = 'forged' WHERE village_id = :v",
        "UPDATE audit_event SET payload = payload WHERE village_id = :v AND seq = 1",
        "DELETE FROM audit_event WHERE village_id = :v",
        "DELETE FROM audit_event WHERE village_id = :v AND seq = 2",
    ],
)
def test_database_refuses_update_and_delete(database, world, client, sql):
    village = world.village()
    world.member(village, password=None)
    world.db.commit()
    with pytest.raises(DBAPIError) as caught, database.engine.begin() as conn:
        conn.execute(text(sql), {"v": village.id})
    assert "append-only" in str(caught.value)
    assert client.get(audit_url(village, "/verify")).json()["checked"] == 2


def test_database_refuses_truncate(database, world):
    if database.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite's DELETE without WHERE is refused above)")
    world.village()
    world.db.commit()
    with pytest.raises(DBAPIError) as caught, database.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))
    assert "append-only" in str(caught.value)


# --- an attacker with database-admin rights ---------------------------------------------------


@contextmanager
def triggers_off(database):
    """What someone with the database's admin rights can do: lift the append-only guard, then put
    it back exactly as the migration made it."""
    with database.engine.begin() as conn:
        if database.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
            yield conn
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_change"))
        else:
            saved = conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'"
            )).all()
            assert {name for name, _ in saved} == {"audit_event_no_update", "audit_event_no_delete"}
            for name, _ in saved:
                conn.execute(text(f"DROP TRIGGER {name}"))
            yield conn
            for _, sql in saved:
                conn.execute(text(sql))
    with pytest.raises(DBAPIError), database.engine.begin() as conn:  # the guard is back
        conn.execute(text("UPDATE audit_event SET action = action WHERE seq = 1"))


@pytest.fixture
def cli_env(database, monkeypatch):
    """`cunyi` pointed at the test database."""
    monkeypatch.setenv("CUNYI_DATABASE_URL", database.url)
    monkeypatch.setenv("CUNYI_SECRET_KEY", database.settings.secret_key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def cli(*args: str):
    from app.cli import app as cli_app

    return CliRunner().invoke(cli_app, list(args))


def edited_payload(db, village_id: int, seq: int) -> bytes:
    raw = db.execute(text("SELECT payload FROM audit_event WHERE village_id = :v AND seq = :s"),
                     {"v": village_id, "s": seq}).scalar_one()
    body = json.loads(bytes(raw))
    body["data"]["name"] = "篡改后的名字"
    return canonical(body)


def prepare_victim(world, db, client):
    """A village used only by one tampering test (its chain stays broken)."""
    village = world.village()
    for name in ("甲", "乙", "丙"):
        world.member(village, name=name, password=None)
    db.commit()
    assert client.get(audit_url(village, "/verify")).json()["ok"] is True
    return village


def assert_broken(client, village, seq: int, words: str) -> None:
    r = client.get(audit_url(village, "/verify"))
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False and body["broken_seq"] == seq, body
    assert words in body["reason"]


def test_edited_payload_is_detected_by_api_and_cli(database, world, db, client, cli_env):
    village = prepare_victim(world, db, client)
    forged = edited_payload(db, village.id, 2)
    db.rollback()
    with triggers_off(database) as conn:
        conn.execute(text("UPDATE audit_event SET payload = :p WHERE village_id = :v AND seq = 2"),
                     {"p": forged, "v": village.id})
    assert_broken(client, village, 2, "内容被改动")
    login(client, world.monitor(village.township_id))  # the township's monitor sees it on the page
    page = client.get(f"/v/{village.slug}/audit")
    assert page.status_code == 200
    assert "核验发现问题" in page.text and "从第 2 条起记录对不上" in page.text
    result = cli("audit", "verify", village.slug)
    assert result.exit_code == 1, result.output
    assert "第 2 条" in result.output
    assert cli("audit", "verify", str(village.id)).exit_code == 1
    assert cli("audit", "verify", "no-such-village").exit_code == 2


def test_rehashed_event_is_detected_at_the_next_one(database, world, db, client):
    village = prepare_victim(world, db, client)
    forged = edited_payload(db, village.id, 2)
    prev = db.execute(text("SELECT prev_hash FROM audit_event WHERE village_id = :v AND seq = 2"),
                      {"v": village.id}).scalar_one()
    db.rollback()
    with triggers_off(database) as conn:
        conn.execute(text("UPDATE audit_event SET payload = :p, hash = :h WHERE village_id = :v AND seq = 2"),
                     {"p": forged, "h": link_hash(prev, forged), "v": village.id})
    assert_broken(client, village, 3, "前一哈希")


def test_column_edited_behind_the_payload_is_detected(database, world, db, client):
    village = prepare_victim(world, db, client)
    db.rollback()
    with triggers_off(database) as conn:
        conn.execute(text("UPDATE audit_event SET actor_id = NULL WHERE village_id = :v AND seq = 3"),
                     {"v": village.id})
    assert_broken(client, village, 3, "actor_id")


def test_deleted_event_in_the_middle_is_a_gap(database, world, db, client):
    village = prepare_victim(world, db, client)
    db.rollback()
    with triggers_off(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE village_id = :v AND seq = 2"), {"v": village.id})
    assert_broken(client, village, 2, "序号不连续")


def test_deleted_last_event_is_caught_by_the_head(database, world, db, client, cli_env):
    village = prepare_victim(world, db, client)
    db.rollback()
    with triggers_off(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE village_id = :v AND seq = 4"), {"v": village.id})
    assert_broken(client, village, 4, "链尾缺失")
    assert cli("audit", "verify", village.slug).exit_code == 1


def test_untouched_village_verifies_with_the_cli_and_the_page(app, world, db, client, cli_env):
    village = prepare_victim(world, db, client)
    result = cli("audit", "verify", village.slug)
    assert result.exit_code == 0, result.output
    assert "完整" in result.output
    login(client, world.member(village))
    page = client.get(f"/v/{village.slug}/audit")
    assert page.status_code == 200 and "核验通过" in page.text and "共 5 条记录" in page.text  # 4 + the viewer
    with unique_client(app, follow_redirects=False) as outsider:
        login(outsider, world.monitor(world.township()))
        assert outsider.get(f"/v/{village.slug}/audit").status_code == 404


# --- one village's writers never wait for another's (PostgreSQL row lock on the head) --------


def test_chains_are_locked_per_village(database, world, db):
    if database.name != "postgresql":
        pytest.skip("SQLite has one write lock for the whole database")
    a = world.village()
    b = world.village()
    db.commit()
    with database.engine.connect() as locker:
        tx = locker.begin()
        locker.execute(text("SELECT seq FROM audit_head WHERE village_id = :v FOR UPDATE"), {"v": a.id})
        with Session(database.engine) as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            record(other, b.id)  # village B writes on while A is locked: waiting would raise, not pass
        with Session(database.engine) as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))
            with pytest.raises(OperationalError) as caught:
                record(other, a.id)
            assert "lock timeout" in str(caught.value)
            other.rollback()
        tx.rollback()
    with Session(database.engine) as s:
        assert audit.verify_chain(s, a.id).ok and audit.verify_chain(s, a.id).checked == 1
        assert audit.verify_chain(s, b.id).ok and audit.verify_chain(s, b.id).checked == 2


# --- concurrent writers ---------------------------------------------------------------------


def test_concurrent_writers_leave_a_gapless_chain(database, world, db):
    village = world.village()  # seq 1: village.create
    db.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(10):
                with Session(database.engine) as s:
                    record(s, village.id)
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with Session(database.engine) as s:
        seqs = list(s.execute(text("SELECT seq FROM audit_event WHERE village_id = :v ORDER BY seq"),
                              {"v": village.id}).scalars())
        assert seqs == list(range(1, 82))
        result = audit.verify_chain(s, village.id)
        assert result.ok and result.checked == 81
        assert audit.head(s, village.id)[0] == 81
