"""Review of scope and privacy: another village's ids under a village's address, masked phones, drafts
in the audit chain."""

from __future__ import annotations

import json

from app.domain.proposals import ProposalDraft
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR
from app.services import attachments, councils, notices, proposals
from tests.factories import bearer, login, png


def _draft(title: str) -> ProposalDraft:
    return ProposalDraft(title=title, body="村口的路坑洼不平，雨天难走，建议硬化。", category="facilities",
                         procedure="yishiyiyi")


def test_ids_of_another_village_under_a_village_address_are_404(client, world, settings):
    """/v/a/…/{id of village b}: 404 even for someone who may see the object (admin, or anyone for a
    published notice)."""
    a, b = world.village(), world.village()
    admin = world.admin_actor
    proposal = proposals.create(world.db, admin, b, _draft("乙村的事"))
    attachment = attachments.add(world.db, settings, admin, "proposal", proposal.id, "图.png", png())
    notice = notices.create(world.db, admin, b, category="party", title="乙村党务公开", body="内容。")
    notices.publish(world.db, admin, notice.id)
    council = councils.create_council(world.db, admin, b, kind="assembly", name="乙村村民会议")

    for path in (f"/v/{a.slug}/notices/{notice.id}", f"/v/{a.slug}/notices/{notice.id}/print"):
        assert client.get(path).status_code == 404, path  # anonymous: the notice is public, but not village a's
    login(client, world.admin)
    for path in (
        f"/v/{a.slug}/proposals/{proposal.id}",
        f"/v/{a.slug}/attachments/{attachment.id}",
        f"/v/{a.slug}/notices/{notice.id}",
        f"/v/{a.slug}/notices/{notice.id}/print",
        f"/v/{a.slug}/councils/{council.id}",
    ):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "乙村" not in r.text, path
    # and the right address works, so the 404s above are about the slug
    assert client.get(f"/v/{b.slug}/proposals/{proposal.id}").status_code == 200


def test_supervisor_cannot_learn_masked_phone_digits_by_searching(client, world):
    """Supervisors and monitors see phones masked; searching by phone would reveal the hidden digits."""
    village = world.village()
    world.member(village, COMMITTEE, name="主任")
    target = world.member(village, name="张三")
    supervisor = world.member(village, SUPERVISOR, name="监委")
    headers = bearer(client, supervisor)
    r = client.get(f"/api/v1/villages/{village.id}/members", params={"q": target.phone}, headers=headers)
    assert r.status_code == 200
    assert r.json()["total"] == 0, "a full phone number matched a member whose phone is masked for this viewer"
    middle = target.phone[3:7]  # the masked digits
    r = client.get(f"/api/v1/villages/{village.id}/members", params={"q": middle}, headers=headers)
    assert target.phone not in r.text
    assert all(item["name"] != "张三" for item in r.json()["items"])
    # the committee (full phones) still finds by phone, and names still work for everyone
    committee = world.member(village, COMMITTEE, name="委员")
    r = client.get(f"/api/v1/villages/{village.id}/members", params={"q": target.phone},
                   headers=bearer(client, committee))
    assert [i["name"] for i in r.json()["items"]] == ["张三"]
    r = client.get(f"/api/v1/villages/{village.id}/members", params={"q": "张三"}, headers=headers)
    assert [i["name"] for i in r.json()["items"]] == ["张三"]


def _audit_text(client, village, headers) -> str:
    r = client.get(f"/api/v1/villages/{village.id}/audit", params={"per_page": 200}, headers=headers)
    assert r.status_code == 200, r.text
    return json.dumps(r.json(), ensure_ascii=False)


def test_a_draft_proposal_title_is_not_in_the_audit_chain_for_other_villagers(client, world):
    """A draft is its author's alone (proposals.get), and so are its title and edits."""
    village = world.village()
    author = world.member(village, name="提议人")
    neighbour = world.member(village, name="邻居")
    actor = world.admin_actor.__class__(user=author, village_id=village.id, roles=frozenset({"villager"}))
    draft = proposals.create(world.db, actor, village, _draft("私下想的草稿标题"))
    proposals.edit(world.db, actor, draft.id, _draft("改过的草稿标题"))
    text = _audit_text(client, village, bearer(client, neighbour))
    assert "私下想的草稿标题" not in text and "改过的草稿标题" not in text


def test_a_draft_notice_title_is_not_in_the_audit_chain_for_villagers(client, world):
    village = world.village()
    drafter = world.member(village, PARTY_COMMITTEE, name="支委")
    villager = world.member(village, name="村民")
    actor = world.admin_actor.__class__(user=drafter, village_id=village.id,
                                        roles=frozenset({"villager", PARTY_COMMITTEE}))
    notice = notices.create(world.db, actor, village, category="party", title="未发布的党务草稿", body="内容。")
    notices.edit(world.db, actor, notice.id, title="改过的党务草稿", body="内容。", days=7)
    r = client.get(f"/v/{village.slug}/notices/{notice.id}", headers=bearer(client, villager))
    assert r.status_code == 404  # the draft itself is hidden …
    text = _audit_text(client, village, bearer(client, villager))
    assert "未发布的党务草稿" not in text and "改过的党务草稿" not in text  # … and so is its title
