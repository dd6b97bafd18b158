"""The village's own rules through the API, on both engines, as a new client meets them: the register,
a rule's versions, drafting and adopting, the township's filing and its refusals."""

from __future__ import annotations

from tests.api.test_decision_files import full_matter
from tests.factories import ok, refused

RULE = {"kind": "charter", "title": "村民自治章程", "body": "第一章 总则\n第一条 本章程依法制定。", "note": ""}


def test_a_charter_from_draft_to_filing(api, world, db, clock):
    s, monitor, pid, vote, _ = full_matter(api, world, db, clock, objections=0)
    base = f"/villages/{s.village.id}/village-rules"
    assert ok(api.get(base))["items"] == []
    refused(api.post(base, s.villager, RULE), 403)
    refused(api.post(base, s.committee, {**RULE, "kind": "bylaw"}), 422)
    rule = ok(api.post(base, s.committee, RULE), 201)
    assert rule["kind_name"] == "村民自治章程" and rule["versions"][0]["state"] == "draft"
    refused(api.get(f"{base}/{rule['id']}"), 404)  # a draft only: the committee's
    version = rule["versions"][0]["id"]
    url = f"{base}/{rule['id']}/versions/{version}"
    refused(api.post(f"{url}/adopt", s.committee, {"vote_session_id": 987654}), 422, "请选择通过这一版的表决")
    adopted = ok(api.post(f"{url}/adopt", s.committee, {"vote_session_id": vote["id"]}))
    assert adopted["state"] == "adopted" and len(adopted["content_hash"]) == 64 and adopted["notice_id"]
    refused(api.put(url, s.committee, {"body": "改"}), 409, "已通过的版本不能修改")
    public = ok(api.get(f"{base}/{rule['id']}"))
    assert public["versions"][0]["body"].startswith("第一章") and "第三十一条" in public["citation"]
    assert ok(api.get(base))["items"][0]["current"]["state"] == "adopted"
    refused(api.post(f"{url}/filing", s.committee, {"note": ""}), 403)
    filing = ok(api.post(f"{url}/filing", monitor, {"note": "符合规定"}), 201)
    assert filing["rule_version_id"] == version and filing["proposal_id"] is None and "备〔" in filing["number"]
    refused(api.post(f"{url}/filing", monitor, {"note": ""}), 409)
    refused(api.post(f"{url}/correction", monitor, {"reason": "晚了"}), 409)
    assert ok(api.get(f"{base}/{rule['id']}"))["filings"] == {"1": filing["number"]}
