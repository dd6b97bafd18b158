"""The audit chain's arithmetic: canonical bytes, link hashes, and which event `verify` names."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from app.domain.audit_chain import GENESIS, ChainRow, canonical, link_hash, verify


def make_chain(n: int, village_id: int = 7) -> list[ChainRow]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        body = {
            "village_id": village_id,
            "seq": seq,
            "actor_id": 3,
            "action": "member.update",
            "entity": "user",
            "entity_id": str(100 + seq),
            "at": "2026-11-28T08:00:00Z",
            "data": {"name": f"村民{seq}", "roles": ["villager"]},
        }
        payload = canonical(body)
        digest = link_hash(prev, payload)
        rows.append(ChainRow(seq, village_id, 3, "member.update", "user", str(100 + seq), payload, prev, digest))
        prev = digest
    return rows


# --- canonical bytes and link hash ----------------------------------------------------------


def test_canonical_bytes_are_stable():
    a = canonical({"b": 1, "a": "杏花村", "c": {"y": [1, 2], "x": None}})
    b = canonical({"c": {"x": None, "y": [1, 2]}, "a": "杏花村", "b": 1})
    assert a == b
    assert a == '{"a":"杏花村","b":1,"c":{"x":null,"y":[1,2]}}'.encode()


def test_canonical_keeps_chinese_readable_utf8():
    assert canonical({"name": "李建国"}) == '{"name":"李建国"}'.encode()
    assert b"\\u" not in canonical({"name": "李建国"})


def test_link_hash_is_sha256_of_previous_hash_bytes_and_payload():
    payload = b'{"seq":1}'
    assert link_hash(GENESIS, payload) == hashlib.sha256(bytes(32) + payload).hexdigest()
    prev = "ab" * 32
    assert link_hash(prev, payload) == hashlib.sha256(bytes.fromhex(prev) + payload).hexdigest()
    assert link_hash(prev, payload) != link_hash(GENESIS, payload)
    assert link_hash(GENESIS, payload + b" ") != link_hash(GENESIS, payload)


# --- verify ---------------------------------------------------------------------------------


def test_an_untouched_chain_verifies():
    rows = make_chain(5)
    result = verify(rows)
    assert result.ok
    assert (result.checked, result.head_seq, result.head_hash) == (5, 5, rows[-1].hash)
    assert result.broken_seq is None and result.reason is None


def test_an_empty_chain_verifies_at_genesis():
    result = verify([])
    assert result.ok and result.checked == 0 and result.head_seq == 0 and result.head_hash == GENESIS


def test_verify_can_continue_from_a_known_seal():
    rows = make_chain(6)
    result = verify(rows[3:], start_seq=3, start_hash=rows[2].hash)
    assert result.ok and result.checked == 3 and result.head_seq == 6


def _edit_payload(row: ChainRow) -> ChainRow:
    body = json.loads(row.payload)
    body["data"]["name"] = "改过的名字"
    return dataclasses.replace(row, payload=canonical(body))


def _edit_payload_and_rehash(row: ChainRow) -> ChainRow:
    """An attacker who recomputes this row's hash: the next row's prev_hash no longer fits."""
    edited = _edit_payload(row)
    return dataclasses.replace(edited, hash=link_hash(row.prev_hash, edited.payload))


TAMPERS = {
    "payload edited": (_edit_payload, "内容被改动"),
    "payload bytes reformatted": (
        lambda r: dataclasses.replace(r, payload=json.dumps(json.loads(r.payload), ensure_ascii=False).encode()),
        "内容被改动",
    ),
    "hash edited": (lambda r: dataclasses.replace(r, hash="f" * 64), "内容被改动"),
    "prev_hash edited": (lambda r: dataclasses.replace(r, prev_hash="e" * 64), "前一哈希"),
    "actor column differs from payload": (lambda r: dataclasses.replace(r, actor_id=99), "actor_id"),
    "action column differs from payload": (lambda r: dataclasses.replace(r, action="member.create"), "action"),
    "entity_id column differs from payload": (lambda r: dataclasses.replace(r, entity_id="1"), "entity_id"),
    "village column differs from payload": (lambda r: dataclasses.replace(r, village_id=8), "village_id"),
}


@pytest.mark.parametrize("position", [1, 3, 5])
@pytest.mark.parametrize("kind", list(TAMPERS))
def test_each_tamper_is_named_at_its_seq(kind, position):
    rows = make_chain(5)
    edit, reason = TAMPERS[kind]
    rows[position - 1] = edit(rows[position - 1])
    result = verify(rows)
    assert not result.ok
    assert result.broken_seq == position
    assert reason in result.reason
    assert result.checked == position - 1
    assert result.head_seq == position - 1  # the last good event
    assert result.head_hash == (rows[position - 2].hash if position > 1 else GENESIS)


@pytest.mark.parametrize("position", [1, 3])
def test_rehashed_edit_breaks_at_the_next_event(position):
    rows = make_chain(5)
    rows[position - 1] = _edit_payload_and_rehash(rows[position - 1])
    result = verify(rows)
    assert not result.ok and result.broken_seq == position + 1 and "前一哈希" in result.reason


def test_rewriting_the_whole_tail_only_shows_against_a_seal():
    """Recomputing every later link makes a self-consistent chain; only the published head tells."""
    rows = make_chain(5)
    sealed_head = rows[-1].hash
    prev = rows[1].hash
    forged = rows[:2]
    for row in rows[2:]:
        edited = _edit_payload(row)
        digest = link_hash(prev, edited.payload)
        forged.append(dataclasses.replace(edited, prev_hash=prev, hash=digest))
        prev = digest
    result = verify(forged)
    assert result.ok
    assert result.head_hash != sealed_head


@pytest.mark.parametrize(
    ("missing", "broken"),
    [
        ([1], 1),  # the first event gone
        ([3], 3),  # a gap in the middle
        ([3, 4], 3),
    ],
)
def test_a_seq_gap_names_the_first_missing_event(missing, broken):
    rows = [r for r in make_chain(5) if r.seq not in missing]
    result = verify(rows)
    assert not result.ok
    assert result.broken_seq == broken
    assert "序号不连续" in result.reason


def test_a_deleted_last_event_is_not_visible_from_the_rows_alone():
    """Dropping the tail leaves a valid shorter chain: the stored head (services) catches it."""
    rows = make_chain(5)
    result = verify(rows[:4])
    assert result.ok and result.head_seq == 4


def test_a_repeated_event_is_refused():
    rows = make_chain(3)
    result = verify([rows[0], rows[1], rows[1], rows[2]])
    assert not result.ok and result.broken_seq == 2


def test_payload_that_is_not_json_is_refused():
    rows = make_chain(2)
    bad = b"not json"
    rows[1] = dataclasses.replace(rows[1], payload=bad, hash=link_hash(rows[0].hash, bad))
    result = verify(rows)
    assert not result.ok and result.broken_seq == 2 and "JSON" in result.reason


def test_every_action_the_service_records_has_a_chinese_name():
    """Scan the services for the actions they record (literal, and the proposal transitions)."""
    import re
    from pathlib import Path

    from app.domain.audit_chain import ACTION_LABELS
    from app.domain.procedures import Action

    root = Path(__file__).resolve().parents[2] / "app"
    found = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', text))
        found |= set(re.findall(r'"((?:vote|notice)\.[a-z_]+)" if', text))
        found |= set(re.findall(r'else "((?:vote|notice)\.[a-z_]+)"', text))
    found |= {f"proposal.{a.value}" for a in Action} | {"proposal.cosigned"}
    assert len(found) > 60
    missing = sorted(a for a in found if a not in ACTION_LABELS)
    assert not missing, missing
