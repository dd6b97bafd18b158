"""Seals of the audit chains on both engines: whoever holds the database file and rewrites a village's
last events, recomputes their hashes and fixes the head row passes the chain's own check, and fails
against the seal; so does cutting the tail below a seal or deleting the chain with its head."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.domain import seals as S
from app.domain.audit_chain import canonical, link_hash
from app.services import audit, seals
from tests.api.test_audit_edges import chain_of, guards_off
from tests.factories import Staff, login, ok, refused


def check(database, settings, village_id: int):
    with Session(database.engine) as s:
        return seals.verify(s, settings, village_id)


def sealed(database, settings, world, db, events: int = 5):
    village = chain_of(world, db, events)
    assert seals.seal_chain(db, settings, village.id) is not None
    db.commit()
    assert seals.seal_chain(db, settings, village.id) is None  # the head has not moved: no second seal
    return village


def rewrite_tail(conn, village_id: int, from_seq: int) -> None:
    """Change the payload of every event from `from_seq` on, recompute the links and fix the head."""
    rows = conn.execute(text("SELECT seq, payload, prev_hash FROM audit_event WHERE village_id = :v AND seq >= :s "
                             "ORDER BY seq"), {"v": village_id, "s": from_seq}).all()
    prev = rows[0][2]
    for seq, payload, _ in rows:
        data = json.loads(bytes(payload))
        data["data"] = {"rewritten": True}
        body = canonical(data)
        digest = link_hash(prev, body)
        conn.execute(text("UPDATE audit_event SET payload = :p, prev_hash = :prev, hash = :h "
                          "WHERE village_id = :v AND seq = :s"), {"p": body, "prev": prev, "h": digest,
                                                                    "v": village_id, "s": seq})
        prev = digest
    conn.execute(text("UPDATE audit_head SET hash = :h WHERE village_id = :v"), {"h": prev, "v": village_id})


def test_a_tail_rewritten_with_its_head_fixed_fails_against_the_seal(database, settings, world, db):
    village = sealed(database, settings, world, db)
    with guards_off(database) as conn:
        rewrite_tail(conn, village.id, 4)
    with Session(database.engine) as s:
        assert audit.verify_chain(s, village.id).ok  # the chain alone cannot tell
    r = check(database, settings, village.id)
    assert not r.ok and r.broken_seq == 5 and "封存之前的记录被改写" in r.reason


def test_a_tail_cut_below_the_seal_fails_even_with_the_head_moved_back(database, settings, world, db):
    village = sealed(database, settings, world, db)
    with guards_off(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE village_id = :v AND seq >= 4"), {"v": village.id})
        digest = conn.execute(text("SELECT hash FROM audit_event WHERE village_id = :v AND seq = 3"),
                              {"v": village.id}).scalar_one()
        conn.execute(text("UPDATE audit_head SET seq = 3, hash = :h WHERE village_id = :v"),
                     {"h": digest, "v": village.id})
    r = check(database, settings, village.id)
    assert not r.ok and "链比封存时短" in r.reason


def test_a_chain_deleted_with_its_head_fails_against_the_seal(database, settings, world, db):
    village = sealed(database, settings, world, db)
    with guards_off(database) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE village_id = :v"), {"v": village.id})
        conn.execute(text("DELETE FROM audit_head WHERE village_id = :v"), {"v": village.id})
    r = check(database, settings, village.id)
    assert not r.ok and "链比封存时短" in r.reason


def test_events_after_the_seal_verify_and_a_forged_seal_does_not(database, settings, world, db):
    village = sealed(database, settings, world, db)
    world.member(village, name="新村民", password=None)
    assert check(database, settings, village.id).ok
    with database.engine.begin() as conn:  # a seal row added by hand, signed by nobody
        conn.execute(text("INSERT INTO seal (chain, seq, hash, sealed_at, key_id, signature, created_at) "
                          "VALUES (:v, 6, :h, CURRENT_TIMESTAMP, 'deadbeefdeadbeef', 'AAAA', CURRENT_TIMESTAMP)"),
                     {"v": village.id, "h": "0" * 64})
    r = check(database, settings, village.id)
    assert not r.ok and "签名无法用本系统公钥核验" in r.reason


def test_seals_are_only_ever_added(database, settings, world, db):
    village = sealed(database, settings, world, db)
    for sql in ("UPDATE seal SET seq = 1 WHERE chain = :v", "DELETE FROM seal WHERE chain = :v"):
        with pytest.raises(DBAPIError), database.engine.begin() as conn:
            conn.execute(text(sql), {"v": village.id})


def test_the_seal_is_public_and_the_monitor_seals_on_demand(api, client, world, db, settings):
    staff = Staff(world)
    vid = staff.village.id
    key = ok(api.get("/seal-key"))
    assert key["algorithm"] == "Ed25519" and key["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert client.get("/.well-known/cunyi-seal-key.pem").text == key["pem"]
    refused(api.get(f"/villages/{vid}/seals/latest"), 404, "还没有封存")
    monitor = world.monitor(staff.village.township_id)
    refused(api.post(f"/townships/{staff.village.township_id}/seals", staff.committee), 404)
    assert ok(api.post(f"/townships/{staff.village.township_id}/seals", monitor))["sealed"] == 1
    seal = ok(api.get(f"/villages/{vid}/seals/latest"))
    assert seal["key_id"] == key["key_id"] and seal["public_key"] == key["public_key"]
    at = datetime.strptime(seal["sealed_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert S.signature_ok(base64.b64decode(key["public_key"]), S.message(vid, seal["seq"], seal["hash"], at),
                          seal["signature"])  # checked offline, with nothing but the answers
    assert ok(api.get(f"/villages/{vid}/audit/verify"))["ok"] is True
    board = client.get(f"/v/{staff.village.slug}/").text
    assert "审计链封存" in board and f"已封存到第 {seal['seq']} 条" in board
    login(client, monitor)
    page = client.get(f"/townships/{staff.village.township_id}/dashboard").text
    assert "现在封存本乡镇各村" in page


# --- the nightly full check, resuming from it, and the cached public answer ------------------------

def full_check(database, settings, village_id: int):
    with Session(database.engine) as s:
        r = seals.check(s, settings, village_id)
        s.commit()
        return r


def test_verification_resumes_from_the_last_full_check(database, settings, world, db):
    village = chain_of(world, db, 4)
    first = full_check(database, settings, village.id)
    assert first.ok and first.checked == 4 and first.resumed_from == 0
    world.member(village, name="新来的", password=None)
    db.commit()
    r = check(database, settings, village.id)
    assert r.ok and r.resumed_from == 4 and r.checked == 1 and r.head_seq == 5  # only the new event recomputed


def test_a_resumed_verification_still_catches_the_checked_event_changed_and_a_rewritten_tail(
        database, settings, world, db):
    village = chain_of(world, db, 5)
    assert full_check(database, settings, village.id).ok
    with guards_off(database) as conn:  # rewrite from event 3 on, through the checked event 5, head fixed
        rewrite_tail(conn, village.id, 3)
    r = check(database, settings, village.id)
    assert not r.ok and r.broken_seq == 5 and "上次完整校验后被改动" in r.reason


def test_an_edit_below_the_check_is_found_by_the_next_full_check_which_stops_the_resuming(
        database, settings, world, db, client):
    village = chain_of(world, db, 5)
    assert full_check(database, settings, village.id).ok
    with guards_off(database) as conn:  # an event's payload changed below the checked event, links left alone
        conn.execute(text("UPDATE audit_event SET action = 'forged' WHERE village_id = :v AND seq = 2"),
                     {"v": village.id})
    assert check(database, settings, village.id).ok  # resuming does not re-read event 2 ...
    night = full_check(database, settings, village.id)  # ... the nightly full check does
    assert not night.ok and night.broken_seq == 2
    r = check(database, settings, village.id)  # and once a check failed, nothing resumes from it
    assert not r.ok and r.broken_seq == 2 and r.resumed_from == 0
    body = client.get(f"/api/v1/villages/{village.id}/audit/verify").json()
    assert body["ok"] is False and body["broken_seq"] == 2


def test_the_verify_job_checks_every_chain_and_records_it(database, settings, world, db):
    from app.services import jobs

    village = chain_of(world, db, 3)
    ran = dict(jobs.run_due(database.engine, settings, only="verify"))
    assert ran["verify"].startswith("完整核验审计链")  # other tests' villages share this database: some are broken
    with Session(database.engine) as s:
        last = seals.last_checks(s, [village.id])[village.id]
        assert last.ok and last.seq == 3


def test_the_public_answer_is_cached_per_head_and_recomputed_when_the_head_moves(database, settings, world, db,
                                                                                  client, monkeypatch):
    village = chain_of(world, db, 3)
    cached = settings.model_copy(update={"verify_cache_seconds": 60})
    calls = []
    real = seals.verify
    monkeypatch.setattr(seals, "verify", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    with Session(database.engine) as s:
        for _ in range(5):  # a storm of QR scans: one recomputation
            assert seals.verify_public(s, cached, village.id).head_seq == 3
        assert calls == [village.id]
    world.member(village, name="又一位", password=None)
    db.commit()
    with Session(database.engine) as s:
        r = seals.verify_public(s, cached, village.id)
    assert r.ok and r.head_seq == 4 and len(calls) == 2  # the head moved: recomputed
