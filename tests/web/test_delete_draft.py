"""删除草稿, on both engines: the author of a draft never submitted deletes it (page and API), it is gone
for good with its files, one audit event remains; a submitted matter can only be withdrawn; nobody
else deletes."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import Attachment, AuditEvent, Proposal
from tests.conftest import page_csrf
from tests.factories import Staff, login, ok, png, refused

PLAN = {"title": "修水渠", "body": "东头水渠漏水。", "category": "facilities", "procedure": "yishiyiyi"}


def test_the_author_deletes_a_fresh_draft_on_the_page(client, api, world, db):
    s = Staff(world)
    pid = ok(api.post(f"/villages/{s.village.id}/proposals", s.villager, PLAN), 201)["id"]
    ok(api.upload(f"/proposals/{pid}/attachments", s.villager, png()), 201)
    login(client, s.villager)
    url = f"/v/{s.village.slug}/proposals/{pid}"
    page = client.get(url).text
    assert "删除草稿" in page and f'action="{url}/delete"' in page and "撤回这个事项" not in page
    r = client.post(f"{url}/delete", data={"csrf_token": page_csrf(client, url)})
    assert r.status_code == 303 and r.headers["location"].startswith(f"/v/{s.village.slug}/proposals")
    assert "草稿已删除" in client.get(r.headers["location"]).text
    db.expire_all()
    assert db.get(Proposal, pid) is None and client.get(url).status_code == 404
    assert db.execute(select(func.count()).select_from(Attachment).where(
        Attachment.owner_type == "proposal", Attachment.owner_id == pid)).scalar_one() == 0
    event = db.execute(select(AuditEvent).where(AuditEvent.action == "proposal.delete",
                                                AuditEvent.village_id == s.village.id)).scalar_one()
    assert event.entity_id == str(pid)
    assert "修水渠" not in bytes(event.payload).decode()  # the words of a private draft stay out of the record


def test_only_a_fresh_draft_and_only_by_its_author(api, world, db):
    s = Staff(world)
    pid = ok(api.post(f"/villages/{s.village.id}/proposals", s.committee, PLAN), 201)["id"]
    refused(api.delete(f"/proposals/{pid}", s.villager), 404)  # a draft: nobody else sees it
    ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "submit"}))
    refused(api.delete(f"/proposals/{pid}", s.villager), 403)
    refused(api.delete(f"/proposals/{pid}", s.committee), 409, "只能撤回")
    assert db.get(Proposal, pid) is not None
    other = ok(api.post(f"/villages/{s.village.id}/proposals", s.committee, PLAN), 201)["id"]
    assert api.delete(f"/proposals/{other}", s.committee).status_code == 204
    refused(api.delete(f"/proposals/{other}", s.committee), 404)


def test_a_deleted_drafts_id_is_never_another_matters(api, world, db):
    """The newest draft deleted, the next matter gets a new id: the record's events about the draft never
    read as the new matter's (on SQLite the id came back before migration 0022)."""
    s = Staff(world)
    gone = ok(api.post(f"/villages/{s.village.id}/proposals", s.villager, PLAN), 201)["id"]
    assert api.delete(f"/proposals/{gone}", s.villager).status_code == 204
    again = {**PLAN, "title": "修水渠（重写）"}
    new = ok(api.post(f"/villages/{s.village.id}/proposals", s.villager, again), 201)["id"]
    assert new > gone
    actions = db.execute(select(AuditEvent.action).where(AuditEvent.entity == "proposal",
                                                         AuditEvent.entity_id == str(new))).scalars().all()
    assert actions == ["proposal.create"]


def test_a_deleted_drafts_file_never_hands_its_id_to_another(api, world, db):
    """The newest file went with its draft: the next file gets a new id, so the record's "attachment.add"
    of the draft's file (with its name) never reads as the new file's, nor in its matter's 一事一档."""
    s = Staff(world)
    draft = ok(api.post(f"/villages/{s.village.id}/proposals", s.villager, PLAN), 201)["id"]
    gone = ok(api.upload(f"/proposals/{draft}/attachments", s.villager, png()), 201)["id"]
    assert api.delete(f"/proposals/{draft}", s.villager).status_code == 204
    other = ok(api.post(f"/villages/{s.village.id}/proposals", s.villager, {**PLAN, "title": "修水塘"}), 201)["id"]
    new = ok(api.upload(f"/proposals/{other}/attachments", s.villager, png()), 201)["id"]
    assert new > gone
    actions = db.execute(select(AuditEvent.action).where(AuditEvent.entity == "attachment",
                                                         AuditEvent.entity_id == str(new))).scalars().all()
    assert actions == ["attachment.add"]
