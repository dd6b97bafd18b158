"""Proposals through the API: drafts, co-signing thresholds, transitions and their refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from app.models import Cosignature, Proposal
from app.services import proposals as proposal_service
from tests.factories import bearer
from tests.querycount import count_queries

BODY = {"title": "硬化村东头道路", "body": "## 方案\n\n修 300 米水泥路。", "category": "facilities",
        "procedure": "yishiyiyi", "budget_fen": 6_000_000, "per_capita_fen": 1500, "labour_days": 2,
        "exemptions": "五保户、现役军人家庭"}


def new_draft(client, village, user, **changes) -> dict:
    r = client.post(f"/api/v1/villages/{village.id}/proposals", json={**BODY, **changes}, headers=bearer(client, user))
    assert r.status_code == 201, r.text
    return r.json()


def act(client, user, pid, action, note=None):
    return client.post(f"/api/v1/proposals/{pid}/transitions", json={"action": action, "note": note},
                       headers=bearer(client, user))


def village_with(world, adults: int):
    village = world.village()
    people = [world.member(village, name=f"村民{i}") for i in range(adults)]
    committee = world.member(village, "committee", name="主任")
    return village, people, committee


def test_draft_is_private_until_submitted(client, world):
    village, (author, other, *_), committee = village_with(world, 3)
    draft = new_draft(client, village, author)
    assert draft["state"] == "draft" and draft["actions"] == ["submit", "withdraw"]
    assert draft["stages"][0]["name"] == "提事（联署）"
    assert client.get(f"/api/v1/proposals/{draft['id']}", headers=bearer(client, other)).status_code == 404
    listed = client.get(f"/api/v1/villages/{village.id}/proposals", headers=bearer(client, committee)).json()
    assert listed["total"] == 0
    mine = client.get(f"/api/v1/villages/{village.id}/proposals?mine=true", headers=bearer(client, author)).json()
    assert [p["id"] for p in mine["items"]] == [draft["id"]]


@pytest.mark.parametrize(("adults", "needed"), [(19, 2), (20, 2), (21, 3), (30, 3)])
def test_cosign_threshold_is_one_tenth_inclusive(client, world, adults, needed):
    # the committee member is an adult villager too
    village, people, _ = village_with(world, adults - 1)
    author, *others = people
    pid = new_draft(client, village, author)["id"]
    r = act(client, author, pid, "submit")
    assert r.json()["state"] == "cosign"
    assert r.json()["cosign"]["villagers"] == 1 and r.json()["cosign"]["villagers_needed"] == needed
    for signer in others[: needed - 2]:
        assert client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, signer)).status_code == 201
    one_short = client.get(f"/api/v1/proposals/{pid}", headers=bearer(client, author)).json()
    assert one_short["state"] == "cosign" and one_short["cosign"]["villagers"] == needed - 1
    last = client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, others[needed - 2]))
    assert last.status_code == 201 and last.json()["met"] is True
    after = client.get(f"/api/v1/proposals/{pid}", headers=bearer(client, author)).json()
    assert after["state"] == "deliberation"
    assert [h["action"] for h in after["history"]] == ["submit", "cosigned"]


def test_representatives_can_carry_a_proposal(client, world):
    village = world.village()
    reps = [world.member(village, "representative", name=f"代表{i}") for i in range(10)]
    for i in range(40):
        world.member(village, name=f"村民{i}")
    pid = new_draft(client, village, reps[0])["id"]
    status = act(client, reps[0], pid, "submit").json()["cosign"]
    assert status["representatives_needed"] == 2 and status["villagers_needed"] == 5
    client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, reps[1]))
    assert client.get(f"/api/v1/proposals/{pid}", headers=bearer(client, reps[0])).json()["state"] == "deliberation"


def test_cosign_refusals_and_one_row_per_person(client, world, db):
    village, (author, signer, *_), _ = village_with(world, 30)
    child = world.member(village, name="小孩", birth_date=date.today() - timedelta(days=365 * 10))
    stranger = world.member(world.village(), name="外村人")
    pid = new_draft(client, village, author)["id"]
    # a draft does not exist for anyone but its author
    assert client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, signer)).status_code == 404
    act(client, author, pid, "submit")
    assert client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, signer)).status_code == 201
    twice = client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, signer))
    assert twice.status_code == 409 and twice.json()["detail"] == "你已经联署过了"
    rows = db.execute(select(func.count()).select_from(Cosignature).where(Cosignature.proposal_id == pid,
                                                                          Cosignature.user_id == signer.id))
    assert rows.scalar_one() == 1
    minor = client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, child))
    assert minor.status_code == 403 and "18" in minor.json()["detail"]
    assert client.post(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, stranger)).status_code == 404
    # withdrawing a co-signature while the stage is open
    assert client.delete(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, signer)).status_code == 204
    assert client.delete(f"/api/v1/proposals/{pid}/cosign", headers=bearer(client, signer)).status_code == 409
    assert client.get(f"/api/v1/proposals/{pid}", headers=bearer(client, author)).json()["cosign_count"] == 1


def test_another_village_sees_nothing(client, world):
    village, (author, *_), committee = village_with(world, 3)
    other_village, _, other_committee = village_with(world, 3)
    pid = new_draft(client, village, committee)["id"]
    act(client, committee, pid, "submit")
    h = bearer(client, other_committee)
    assert client.get(f"/api/v1/proposals/{pid}", headers=h).status_code == 404
    assert client.get(f"/api/v1/villages/{village.id}/proposals", headers=h).status_code == 404
    assert act(client, other_committee, pid, "advance").status_code == 404
    assert client.post(f"/api/v1/villages/{village.id}/proposals", json=BODY, headers=h).status_code == 404
    assert client.get(f"/api/v1/proposals/{pid}").status_code == 401


def test_committee_moves_the_stages_and_guards_refuse(client, world, monkeypatch, db):
    village, (villager, *_), committee = village_with(world, 3)
    draft = new_draft(client, village, committee)
    pid = draft["id"]
    r = act(client, committee, pid, "submit")
    assert r.json()["state"] == "deliberation"  # the committee skips co-signing

    denied = act(client, villager, pid, "advance")
    assert denied.status_code == 403 and denied.json()["detail"] == "这一步需要村委会来推进"
    early = act(client, committee, pid, "advance")
    assert early.status_code == 409 and "至少要 7 天" in early.json()["detail"]

    # the committee shortens deliberation to 0 days in the village settings
    h = bearer(client, committee)
    settings = client.get(f"/api/v1/villages/{village.id}/settings", headers=h).json()
    settings["min_days"]["yishiyiyi.deliberation"] = 0
    assert client.put(f"/api/v1/villages/{village.id}/settings", json=settings, headers=h).status_code == 200
    r = act(client, committee, pid, "advance")
    assert r.status_code == 200 and r.json()["state"] == "vote"
    waiting = act(client, committee, pid, "advance")
    assert waiting.status_code == 409 and waiting.json()["detail"] == "还没有表决结果"
    too_late = act(client, committee, pid, "withdraw")  # the committee is the author here
    assert too_late.status_code == 409 and too_late.json()["detail"] == "已进入表决，不能撤回"

    # the voting feature plugs in here: a passed vote moves the proposal to its notice stage
    monkeypatch.setattr(proposal_service, "VOTE_OUTCOME", [lambda s, p, stage: "passed"])
    r = act(client, committee, pid, "advance")
    assert r.json()["state"] == "notice"
    assert "公示至少要 7 天" in act(client, committee, pid, "advance").json()["detail"]
    entered = db.execute(select(Proposal.stage_entered_at).where(Proposal.id == pid)).scalar_one()
    db.execute(update(Proposal).where(Proposal.id == pid).values(stage_entered_at=entered - timedelta(days=8)))
    db.commit()
    held = act(client, committee, pid, "advance").json()["detail"]
    assert held == "公示还没有发布、公示期还没结束，或还有质询没有答复"
    monkeypatch.setattr(proposal_service, "NOTICE_DONE", [lambda s, p, stage: True])
    assert act(client, committee, pid, "advance").json()["state"] == "review"
    assert act(client, committee, pid, "advance").status_code == 403  # the township reviews
    history = client.get(f"/api/v1/proposals/{pid}", headers=h).json()["history"]
    assert [(t["from_state"], t["to_state"]) for t in history] == [
        ("draft", "deliberation"), ("deliberation", "vote"), ("vote", "notice"), ("notice", "review")]
    assert client.get(f"/api/v1/villages/{village.id}/audit/verify").json()["ok"] is True


def test_failed_vote_rejects(client, world, monkeypatch):
    village, _, committee = village_with(world, 2)
    pid = new_draft(client, village, committee, procedure="simple")["id"]
    act(client, committee, pid, "submit")
    assert act(client, committee, pid, "advance").json()["state"] == "vote"  # simple: 0 days
    monkeypatch.setattr(proposal_service, "VOTE_OUTCOME", [lambda s, p, stage: "failed"])
    assert act(client, committee, pid, "advance").json()["state"] == "rejected"
    assert act(client, committee, pid, "advance").status_code == 409


def test_return_withdraw_and_reject(client, world):
    village, (author, *_), committee = village_with(world, 2)
    pid = new_draft(client, village, author)["id"]
    act(client, author, pid, "submit")
    no_reason = act(client, committee, pid, "return")
    assert no_reason.status_code == 422 and no_reason.json()["detail"] == "请写明理由"
    assert act(client, author, pid, "return", "x").status_code == 403
    back = act(client, committee, pid, "return", "预算表不全，请补上")
    assert back.json()["state"] == "draft" and back.json()["history"][-1]["note"] == "预算表不全，请补上"
    edited = client.put(f"/api/v1/proposals/{pid}", json={**BODY, "title": "硬化村东头道路（修订）"},
                        headers=bearer(client, author))
    assert edited.status_code == 200 and edited.json()["title"].endswith("（修订）")
    assert client.put(f"/api/v1/proposals/{pid}", json=BODY, headers=bearer(client, committee)).status_code == 403
    act(client, author, pid, "submit")
    assert client.put(f"/api/v1/proposals/{pid}", json=BODY, headers=bearer(client, author)).status_code == 409
    assert act(client, author, pid, "withdraw").json()["state"] == "withdrawn"
    assert act(client, author, pid, "submit").status_code == 409

    other = new_draft(client, village, author)["id"]
    act(client, author, other, "submit")
    rejected = act(client, committee, other, "reject", "与村规划不符")
    assert rejected.json()["state"] == "rejected" and rejected.json()["state_name"] == "不予通过"


def test_content_rules(client, world):
    village, (author, *_), committee = village_with(world, 2)
    h = bearer(client, author)
    over = client.post(f"/api/v1/villages/{village.id}/proposals", json={**BODY, "per_capita_fen": 1501}, headers=h)
    assert over.status_code == 422 and "超过本村上限 15.00 元" in over.json()["detail"]
    assert client.post(f"/api/v1/villages/{village.id}/proposals", json={**BODY, "per_capita_fen": 1500},
                       headers=h).status_code == 201
    assert client.post(f"/api/v1/villages/{village.id}/proposals", json={**BODY, "category": "x"},
                       headers=h).status_code == 422
    # only the party committee drafts under 四议两公开
    denied = client.post(f"/api/v1/villages/{village.id}/proposals", json={**BODY, "procedure": "sizheng"},
                         headers=h)
    assert denied.status_code == 403
    # settings refusals
    hc = bearer(client, committee)
    bad = client.put(f"/api/v1/villages/{village.id}/settings",
                     json={"min_days": {"yishiyiyi.deliberation": 91}, "per_capita_cap_fen": 1500,
                           "labour_days_cap": 10}, headers=hc)
    assert bad.status_code == 422
    assert client.put(f"/api/v1/villages/{village.id}/settings",
                      json={"min_days": {}, "per_capita_cap_fen": 2000, "labour_days_cap": 10},
                      headers=h).status_code == 403


def test_queue_lists_what_waits_for_the_committee(client, world):
    village, (author, *_), committee = village_with(world, 20)
    waiting = new_draft(client, village, committee)["id"]
    act(client, committee, waiting, "submit")
    cosigning = new_draft(client, village, author)["id"]
    act(client, author, cosigning, "submit")
    queue = client.get(f"/api/v1/villages/{village.id}/proposal-queue", headers=bearer(client, committee)).json()
    ids = [p["id"] for p in queue["items"]]
    assert waiting in ids and cosigning not in ids
    assert client.get(f"/api/v1/villages/{village.id}/proposal-queue",
                      headers=bearer(client, author)).status_code == 403


def test_list_filters_and_constant_queries(client, world, app):
    village, (author, *_), committee = village_with(world, 2)
    h = bearer(client, committee)

    def make(n):
        for i in range(n):
            pid = new_draft(client, village, committee, title=f"事项{i}", category="land" if i % 2 else "assets")["id"]
            act(client, committee, pid, "submit")

    make(3)
    with count_queries(app.state.engine) as few:
        assert client.get(f"/api/v1/villages/{village.id}/proposals", headers=h).json()["total"] == 3
    make(27)
    with count_queries(app.state.engine) as many:
        assert client.get(f"/api/v1/villages/{village.id}/proposals?per_page=50", headers=h).json()["total"] == 30
    assert many.count == few.count, str(many)
    land = client.get(f"/api/v1/villages/{village.id}/proposals?category=land", headers=h).json()
    assert land["total"] == 14 and {p["category_name"] for p in land["items"]} == {"土地"}
    found = client.get(f"/api/v1/villages/{village.id}/proposals?q=事项1", headers=h).json()
    assert found["total"] == 12  # 事项1 twice, 事项10..19
    staged = client.get(f"/api/v1/villages/{village.id}/proposals?state=deliberation&per_page=1", headers=h).json()
    assert staged["total"] == 30 and len(staged["items"]) == 1


def test_a_withdrawn_draft_stays_private(client, world):
    village, (author, other, *_), _ = village_with(world, 3)
    pid = new_draft(client, village, author)["id"]
    assert act(client, author, pid, "withdraw").json()["state"] == "withdrawn"
    assert client.get(f"/api/v1/proposals/{pid}", headers=bearer(client, other)).status_code == 404
    listed = client.get(f"/api/v1/villages/{village.id}/proposals", headers=bearer(client, other)).json()
    assert listed["total"] == 0
