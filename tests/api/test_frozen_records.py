"""Published notices frozen whole, by the database itself, on both engines: raw SQL cannot send a
published notice back to an earlier state (only published → closed), nor add, change or delete the
attachment rows of a published or closed notice. Drafts and other owners' files are untouched."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.models import Attachment, Notice
from tests.factories import Staff, ok, png, refused

NOTICE = {"category": "village", "title": "村道硬化工程招标结果公示", "body": "中标单位：某某建筑公司", "days": 15}
STATE_REFUSED = "their state only moves from published to closed"
FILES_REFUSED = "attachments of published notices are immutable"


def draft_with_file(api, s: Staff) -> tuple[int, int]:
    nid = ok(api.post(f"/villages/{s.village.id}/notices", s.committee, NOTICE), 201)["id"]
    aid = ok(api.upload(f"/notices/{nid}/attachments", s.committee, png()), 201)["id"]
    return nid, aid


def publish(api, s: Staff, nid: int) -> dict:
    ok(api.post(f"/notices/{nid}/submit", s.committee))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    return ok(api.post(f"/notices/{nid}/publish", s.committee))


def refuses(db, sql: str, words: str, **params) -> None:
    with pytest.raises(DBAPIError, match=words):
        db.execute(text(sql), params)
    db.rollback()


def set_state(db, nid: int, state: str) -> None:
    db.execute(text("UPDATE notice SET state = :s WHERE id = :id"), {"s": state, "id": nid})
    db.commit()


@pytest.mark.parametrize("earlier", ["draft", "submitted", "approved"])
def test_a_published_notice_cannot_go_back(api, world, db, earlier):
    s = Staff(world)
    nid, _ = draft_with_file(api, s)
    publish(api, s, nid)
    refuses(db, "UPDATE notice SET state = :s WHERE id = :id", STATE_REFUSED, s=earlier, id=nid)
    db.expire_all()
    assert db.get(Notice, nid).state == "published"
    # still on the public board, and the service still answers with a refusal, not an error
    assert ok(api.get(f"/notices/{nid}"))["state"] == "published"
    refused(api.put(f"/notices/{nid}", s.committee, {"title": "改", "body": "改", "days": 7}), 409)


def test_a_closed_notice_stays_closed_and_published_may_close(api, world, db):
    s = Staff(world)
    nid, _ = draft_with_file(api, s)
    publish(api, s, nid)
    set_state(db, nid, "closed")  # the one way forward is allowed
    for state in ("published", "approved", "draft"):
        refuses(db, "UPDATE notice SET state = :s WHERE id = :id", STATE_REFUSED, s=state, id=nid)
    set_state(db, nid, "closed")  # a no-op stays possible
    db.expire_all()
    assert db.get(Notice, nid).state == "closed"


def test_unpublished_notices_move_freely(api, world, db):
    s = Staff(world)
    nid, _ = draft_with_file(api, s)
    for state in ("submitted", "draft", "submitted", "approved", "draft"):
        set_state(db, nid, state)
    db.expire_all()
    assert db.get(Notice, nid).state == "draft"


@pytest.mark.parametrize("sql", [
    "UPDATE attachment SET filename = 'swapped.png' WHERE id = :aid",
    "UPDATE attachment SET sha256 = :other WHERE id = :aid",
    "UPDATE attachment SET owner_id = :draft WHERE id = :aid",
    "UPDATE attachment SET owner_type = 'proposal' WHERE id = :aid",
    "DELETE FROM attachment WHERE id = :aid",
])
def test_the_files_of_a_published_notice_are_frozen(api, world, db, sql):
    s = Staff(world)
    nid, aid = draft_with_file(api, s)
    publish(api, s, nid)
    draft_id, _ = draft_with_file(api, s)
    refuses(db, sql, FILES_REFUSED, aid=aid, other="0" * 64, draft=draft_id)
    db.expire_all()
    row = db.get(Attachment, aid)
    assert row is not None and (row.owner_type, row.owner_id) == ("notice", nid)
    assert [a["id"] for a in ok(api.get(f"/notices/{nid}"))["attachments"]] == [aid]


def test_no_file_joins_a_published_or_closed_notice(api, world, db):
    s = Staff(world)
    nid, aid = draft_with_file(api, s)
    publish(api, s, nid)
    draft_id, draft_file = draft_with_file(api, s)
    columns = "village_id, owner_type, owner_id, filename, content_type, size, sha256, uploaded_by, created_at"
    copy = (f"INSERT INTO attachment ({columns}) SELECT village_id, owner_type, :owner, filename, content_type, "
            f"size, sha256, uploaded_by, created_at FROM attachment WHERE id = :aid")
    refuses(db, copy, FILES_REFUSED, owner=nid, aid=draft_file)
    refuses(db, "UPDATE attachment SET owner_id = :owner WHERE id = :aid", FILES_REFUSED, owner=nid, aid=draft_file)
    set_state(db, nid, "closed")
    refuses(db, "DELETE FROM attachment WHERE id = :aid", FILES_REFUSED, aid=aid)
    refuses(db, copy, FILES_REFUSED, owner=nid, aid=draft_file)


def test_files_of_drafts_and_of_other_owners_still_change(api, world, db):
    s = Staff(world)
    published_id, _ = draft_with_file(api, s)
    publish(api, s, published_id)
    nid, aid = draft_with_file(api, s)
    db.execute(text("UPDATE attachment SET filename = 'renamed.png' WHERE id = :aid"), {"aid": aid})
    db.execute(text("DELETE FROM attachment WHERE id = :aid"), {"aid": aid})
    db.commit()
    assert db.get(Attachment, aid) is None
    # a file owned by a proposal whose id happens to equal the published notice's id is not a notice's
    _, other = draft_with_file(api, s)
    db.execute(text("UPDATE attachment SET owner_type = 'proposal', owner_id = :pid WHERE id = :aid"),
               {"pid": published_id, "aid": other})
    db.execute(text("UPDATE attachment SET filename = 'proposal.png' WHERE id = :aid"), {"aid": other})
    db.commit()
    db.expire_all()
    assert db.get(Attachment, other).filename == "proposal.png"
