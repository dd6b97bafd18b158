"""Personal fields in the audit record: the chain holds salted commitments, so every member can
verify it; the names, households and groups are read only by those who may read the member list."""

from __future__ import annotations

import hashlib
import json

from app.domain.audit_chain import commitment
from app.services import audit
from tests.factories import Staff, items, ok


def member_events(api, vid, user):
    return [e for e in items(api.get(f"/villages/{vid}/audit", user, per_page=200))
            if e["action"] in ("member.create", "member.update")]


def test_a_villager_sees_commitments_and_the_committee_sees_the_values(api, world):
    staff = Staff(world)
    vid = staff.village.id
    seen = member_events(api, vid, staff.villager)
    assert seen and all(e["private"] is None and not e["withheld"] for e in seen)
    assert all("村民甲" not in e["payload_text"] for e in seen)  # no member's name reaches a villager
    assert seen[0]["action_name"] == "登记村民"
    full = {e["seq"]: e for e in member_events(api, vid, staff.supervisor)}
    mine = next(e for e in full.values() if e["private"] and e["private"]["name"]["value"] == "村民甲")
    committed = mine["payload"]["data"]["private"]
    for field, kept in mine["private"].items():  # a reader of the member list can recompute each one
        assert commitment(kept["salt"], kept["value"]) == committed[field]
    # and everyone can still recompute the links: the payload they get is what was hashed
    for e in seen:
        assert hashlib.sha256(bytes.fromhex(e["prev_hash"]) + e["payload_text"].encode()).hexdigest() == e["hash"]
    assert ok(api.get(f"/villages/{vid}/audit/verify"))["ok"] is True


def test_an_older_event_naming_a_person_is_withheld_from_those_who_may_not_read_the_list(api, world, db):
    staff = Staff(world)
    audit.record(db, village_id=staff.village.id, actor_id=staff.committee.id, action="member.update",
                 entity="user", entity_id=staff.neighbour.id, data={"name": "村民乙", "household": "H-1"})
    db.commit()
    older = member_events(api, staff.village.id, staff.villager)[-1]
    assert older["withheld"] is True and older["payload"] is None and older["payload_text"] is None
    assert older["hash"] and older["prev_hash"]
    shown = member_events(api, staff.village.id, staff.committee)[-1]
    assert shown["withheld"] is False and json.loads(shown["payload_text"])["data"]["name"] == "村民乙"


def test_the_kept_values_are_never_changed(database, world):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    staff = Staff(world)
    for sql in ("UPDATE audit_private SET value = 'x' WHERE village_id = :v",
                "DELETE FROM audit_private WHERE village_id = :v"):
        with pytest.raises(DBAPIError), database.engine.begin() as conn:
            conn.execute(text(sql), {"v": staff.village.id})
