"""The decision file (一事一档) through the API, on both engines: a 一事一议 matter carried through its
deliberation, vote, notice (with an objection answered) and the township's filing, its checks and
summary, the evidence bundle, who may see it (members and the township's own monitors; 401 and 404
for everyone else), names as the viewer may see them, and the constant number of queries."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import select

from app.domain.books import period_of
from app.models import Notice
from app.services import books
from app.services.access import load_actor
from tests.api.vote_setup import new_council, new_vote
from tests.factories import Staff, items, ok, png, refused
from tests.querycount import count_queries

PLAN = {"title": "硬化村东头道路", "body": "修 300 米水泥路，宽 4 米。", "category": "facilities",
        "procedure": "yishiyiyi", "budget_fen": 30_000_000, "per_capita_fen": 1000, "labour_days": 2,
        "exemptions": "五保户、现役军人"}


def advance(api, user, pid: int) -> dict:
    return ok(api.post(f"/proposals/{pid}/transitions", user, {"action": "advance"}))


def full_matter(api, world, db, clock, *, objections: int = 1, files: int = 1, filed: bool = True):
    """A 一事一议 matter raised by the committee, discussed for eight days, passed by the villagers'
    assembly (five for, one against), its resolution published and questioned (answered), filed by the
    township's monitor. Returns (staff, monitor, proposal id, vote, notice id)."""
    s = Staff(world)
    monitor = world.monitor(s.village.township_id)
    pid = ok(api.post(f"/villages/{s.village.id}/proposals", s.committee, PLAN), 201)["id"]
    assert ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "submit"}))["state"] == "deliberation"
    for _ in range(files):
        ok(api.upload(f"/proposals/{pid}/attachments", s.committee, png(), "方案图.png"), 201)
    ok(api.post(f"/proposals/{pid}/comments", s.villager, {"body": "同意，早修早好。"}), 201)
    clock.travel(days=8)
    assert advance(api, s.committee, pid)["state"] == "vote"
    council = new_council(api, s.village, s.committee)
    vote = new_vote(api, pid, s.committee, council["id"], opens_at=clock() - timedelta(minutes=1),
                    closes_at=clock() + timedelta(days=1))
    ok(api.post(f"/votes/{vote['id']}/open", s.committee))
    for user in (s.committee, s.party, s.supervisor, s.accountant, s.villager):
        ok(api.post(f"/votes/{vote['id']}/ballots", user, {"choice": 0}), 201)
    ok(api.post(f"/votes/{vote['id']}/ballots", s.neighbour, {"choice": 1}), 201)
    vote = ok(api.post(f"/votes/{vote['id']}/close", s.committee))
    assert advance(api, s.committee, pid)["state"] == "notice"
    nid = db.execute(select(Notice.id).where(Notice.proposal_id == pid, Notice.kind == "resolution")).scalar_one()
    ok(api.post(f"/notices/{nid}/submit", s.committee))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    ok(api.post(f"/notices/{nid}/publish", s.committee))
    for i in range(objections):
        oid = ok(api.post(f"/notices/{nid}/objections", s.villager, {"body": f"路面用什么标号的水泥？{i}"}), 201)["id"]
        ok(api.post(f"/objections/{oid}/reply", s.committee, {"body": "C30 混凝土，厚 20 厘米。"}))
    clock.travel(days=16)  # the resolution is posted 15 days, the law's least for village affairs
    assert advance(api, s.committee, pid)["state"] == "review"
    if filed:
        assert advance(api, monitor, pid)["state"] == "implementation"
    return s, monitor, pid, vote, nid


def checks_of(answer: dict) -> dict[tuple[str, str], dict]:
    return {(c["stage"], c["key"]): c for step in answer["steps"] for c in step["checks"]}


def test_the_file_of_a_matter_through_its_vote_notice_and_filing(api, world, db, clock):
    s, monitor, pid, vote, nid = full_matter(api, world, db, clock)
    answer = ok(api.get(f"/proposals/{pid}/file", s.villager))
    assert answer["state"] == "implementation"
    assert answer["summary"]["code"] == "incomplete" and answer["summary"]["name"] == "未完成"
    assert [step["stage"] for step in answer["steps"]] == ["cosign", "deliberation", "vote", "notice", "review",
                                                           "implementation", "acceptance", "closed"]
    steps = {step["stage"]: step for step in answer["steps"]}
    assert steps["cosign"]["verdict"] == "waived" and steps["cosign"]["status"] == "skipped"
    for stage in ("deliberation", "vote", "notice", "review"):
        assert steps[stage]["verdict"] == "met", (stage, steps[stage])
    assert steps["implementation"]["status"] == "current" and steps["implementation"]["verdict"] == "not_yet"
    assert steps["closed"]["status"] == "todo"

    checks = checks_of(answer)
    waived = checks[("cosign", "cosign")]
    assert waived["verdict"] == "waived" and "村委会" in waived["waived_by"] and waived["waived_reason"]
    days = checks[("deliberation", "min_days")]
    assert days["verdict"] == "met" and "共 8 天" in days["detail"] and "至少 7 天" in days["detail"]
    assert checks[("deliberation", "plan")]["verdict"] == "met"
    assert checks[("deliberation", "cap")]["verdict"] == "met"
    result = checks[("vote", "vote_result")]
    assert result["verdict"] == "met" and "同意 5 票" in result["detail"]
    assert result["law"] == "村民委员会组织法" and result["edition"] in ("2018年修正", "2025年修正")
    assert checks[("vote", "vote_followed")]["verdict"] == "met"
    assert {k: c["verdict"] for (stage, k), c in checks.items() if stage == "notice"} == {
        "notice_hash": "met", "notice_days": "met", "notice_review": "met", "notice_window": "met",
        "objections": "met"}
    assert "质询 1 条，已答复 1 条" in checks[("notice", "objections")]["detail"]
    filing = checks[("review", "filing")]
    assert filing["verdict"] == "met" and "乡镇监督员 乡镇监督员" in filing["detail"]
    assert checks[("review", "fund_after_filing")]["verdict"] == "met"

    evidence = " ".join(steps["vote"]["evidence"])
    assert vote["fingerprint"] in evidence and "应到 6 人" in evidence and "实到 6 人" in evidence
    assert "意见 1 条" in steps["deliberation"]["evidence"]
    [v] = answer["votes"]
    assert v["box_counts"] == [5, 1, 0] and len(v["box_hash"]) == 64 and v["result"]["passed"] is True
    [n] = answer["notices"]
    assert n["id"] == nid and len(n["content_hash"]) == 64 and (n["objections"], n["replied"]) == (1, 1)
    assert [a["filename"] for a in answer["attachments"]] == ["方案图.png"]
    assert {"proposal.submit", "vote.close", "notice.publish", "objection.reply"} <= {
        e["action"] for e in answer["audit_events"]}
    submitted = next(e for e in answer["audit_events"] if e["action"] == "proposal.submit")
    assert submitted["action_name"] == "提交事项" and submitted["created_at"] and submitted["actor_id"]  # who, when
    # who: office holders by name, villagers masked
    assert steps["deliberation"]["left_by"] == "村委会 主任"
    assert steps["review"]["left_by"] == "乡镇监督员 乡镇监督员"
    assert ok(api.get(f"/proposals/{pid}/file", monitor))["summary"]["code"] == "incomplete"


def test_a_failed_vote_ends_the_file_as_not_passed_and_compliant(api, world, db, clock):
    s = Staff(world)
    pid = ok(api.post(f"/villages/{s.village.id}/proposals", s.committee, PLAN), 201)["id"]
    ok(api.post(f"/proposals/{pid}/transitions", s.committee, {"action": "submit"}))
    clock.travel(days=8)
    advance(api, s.committee, pid)
    council = new_council(api, s.village, s.committee)
    vote = new_vote(api, pid, s.committee, council["id"], opens_at=clock() - timedelta(minutes=1),
                    closes_at=clock() + timedelta(days=1))
    ok(api.post(f"/votes/{vote['id']}/open", s.committee))
    ok(api.post(f"/votes/{vote['id']}/ballots", s.villager, {"choice": 0}), 201)
    ok(api.post(f"/votes/{vote['id']}/close", s.committee))  # one of six came: no quorum
    assert advance(api, s.committee, pid)["state"] == "rejected"
    answer = ok(api.get(f"/proposals/{pid}/file", s.neighbour))
    steps = {step["stage"]: step for step in answer["steps"]}
    assert steps["vote"]["status"] == "done" and steps["notice"]["status"] == "stopped"
    assert steps["rejected"]["left_by"] == "村委会 主任"
    vote_checks = {c["key"]: c for c in steps["vote"]["checks"]}
    assert vote_checks["vote_result"]["verdict"] == "met"
    assert "实到 1 人" in " ".join(steps["vote"]["evidence"]) and "未达到" in " ".join(steps["vote"]["evidence"])
    assert vote_checks["vote_followed"]["verdict"] == "met"
    assert answer["summary"]["code"] == "compliant"


def test_payments_before_the_township_filing_are_not_compliant(api, world, db, clock):
    s, monitor, pid, _, _ = full_matter(api, world, db, clock, filed=False)
    world.member(s.village, name="甲一", household="A-1")
    books.open_ledger(db, load_actor(db, s.accountant), s.village, "2023", period_of(clock.today()))
    ok(api.post(f"/proposals/{pid}/fund/obligations", s.committee))
    [household] = items(api.get(f"/proposals/{pid}/fund/households", s.committee))
    ok(api.post(f"/proposals/{pid}/fund/payments", s.accountant,
                {"household_id": household["household_id"], "amount": 1000, "receipt_no": "SJ-0001"}), 201)
    answer = ok(api.get(f"/proposals/{pid}/file", s.villager))
    early = checks_of(answer)[("review", "fund_after_filing")]
    assert early["verdict"] == "not_met" and "早于乡镇审核" in early["detail"]
    assert answer["summary"] == {"code": "non_compliant", "name": "不合规", "counts": answer["summary"]["counts"]}
    assert answer["summary"]["counts"]["not_met"] == 1


def test_the_bundle_holds_the_manifest_and_the_files(api, world, db, clock):
    s, monitor, pid, vote, nid = full_matter(api, world, db, clock)
    r = api.client.get(f"/api/v1/proposals/{pid}/file.zip", headers=api.headers(monitor))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" in r.headers["content-disposition"] and r.headers["cache-control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "cunyi.decision-bundle.v1"
    assert manifest["proposal"]["id"] == pid and manifest["proposal"]["body"] == PLAN["body"]
    [v] = manifest["votes"]
    assert v["box_counts"] == [5, 1, 0] and len(v["receipts"]) == 6 and len(v["electorate"]) == 6
    assert "duplicates" not in v["result"]  # names of people counted once stay out of the bundle
    [n] = manifest["notices"]
    assert n["content_hash"] and n["body"] and n["objections"][0]["reply"]
    assert n["objections"][0]["by"] == "村民 村**"  # a villager's name, masked
    [a] = manifest["attachments"]
    assert archive.read(a["path"]) and a["path"] == f"files/{a['sha256']}"
    assert [e["seq"] for e in manifest["audit_events"]] == sorted(e["seq"] for e in manifest["audit_events"])
    assert {s["stage"] for s in manifest["steps"]} >= {"vote", "notice", "review"}
    assert manifest["summary"]["code"] == "incomplete"


def test_who_may_not_see_the_file(api, world, db, clock):
    s, monitor, pid, _, _ = full_matter(api, world, db, clock, objections=0)
    other = Staff(world)
    stranger = world.monitor(other.village.township_id)
    for path in (f"/proposals/{pid}/file", f"/proposals/{pid}/file.zip"):
        refused(api.get(path), 401)
        refused(api.get(path, other.villager), 404)
        refused(api.get(path, other.committee), 404)
        refused(api.get(path, stranger), 404)
        refused(api.get(path.replace(str(pid), str(pid + 10_000_000)), s.villager), 404)
    # a draft is its author's alone
    draft = ok(api.post(f"/villages/{s.village.id}/proposals", s.villager, {**PLAN, "title": "草稿"}), 201)["id"]
    refused(api.get(f"/proposals/{draft}/file", s.committee), 404)
    assert ok(api.get(f"/proposals/{draft}/file", s.villager))["summary"]["code"] == "incomplete"


def test_the_file_runs_a_constant_number_of_queries(api, app, world, db, clock):
    small = full_matter(api, world, db, clock, objections=0, files=0)
    large = full_matter(api, world, db, clock, objections=3, files=3)
    counts = []
    for s, _, pid, _, _ in (small, large):
        headers = api.headers(s.villager)
        with count_queries(app.state.engine) as counter:
            assert api.client.get(f"/api/v1/proposals/{pid}/file", headers=headers).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
