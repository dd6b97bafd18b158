"""The committee retires a council: it leaves the list and takes no new votes; its past stays."""

from __future__ import annotations

from datetime import timedelta

from app.domain.proposals import ProposalDraft
from app.models import utcnow
from app.services import proposals, votes
from app.services.access import load_actor
from tests.factories import bearer, login


def test_archiving_a_council(client, world, db):
    village = world.village()
    chair_user = world.member(village, "committee")
    villager = world.member(village)
    chair = load_actor(db, chair_user)
    village.settings = {"min_days": {"yishiyiyi.deliberation": 0}}
    db.add(village)
    db.commit()
    proposal = proposals.create(db, chair, village, ProposalDraft(title="修桥", body="方案", category="facilities",
                                                                  procedure="yishiyiyi"))
    proposals.transition(db, chair, proposal.id, "submit")
    proposals.transition(db, chair, proposal.id, "advance")
    council = votes.create_council(db, chair, village, kind="assembly", name="")
    now = utcnow()
    vs = votes.create_session(db, chair, proposal.id, council_id=council.id, question="是否同意？", options=None,
                              secret=True, allow_change=False, opens_at=now, closes_at=now + timedelta(days=1))
    h = bearer(client, chair_user)
    busy = client.post(f"/api/v1/councils/{council.id}/archive", headers=h)
    assert busy.status_code == 409 and "未结束的表决" in busy.json()["detail"]
    assert client.post(f"/api/v1/councils/{council.id}/archive",
                       headers=bearer(client, villager)).status_code == 403

    votes.open_session(db, chair, vs.id)
    votes.close_session(db, chair, vs.id)
    # through the page, as the committee would
    token = login(client, chair_user)
    page = client.post(f"/v/{village.slug}/councils/{council.id}/archive", data={"csrf_token": token})
    assert page.status_code == 303
    listed = client.get(f"/api/v1/villages/{village.id}/councils", headers=h).json()
    assert all(c["id"] != council.id for c in listed)
    assert client.post(f"/api/v1/councils/{council.id}/archive", headers=h).status_code == 409
    # its closed vote keeps its result; it cannot be chosen for a new vote
    assert client.get(f"/api/v1/votes/{vs.id}/result").status_code == 200
    again = client.post(f"/api/v1/proposals/{proposal.id}/votes", headers=h, json={
        "council_id": council.id, "question": "再表决？", "secret": True,
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()})
    assert again.status_code == 422 and again.json()["detail"] == "请选择本村的议事机构"
