"""One API contract (issue 14, item 13): every list answers {items, total, page, per_page} and takes
`page` and `per_page`; a village's and a proposal's votes are lists too, and a proposal's answer names
its votes; a choice goes in as the option's index or label and comes out as both; every operation
documents 400, 413, 422 and 429; /docs needs no CDN; pages answer HEAD; /favicon.ico exists."""

from __future__ import annotations

import re

from app.config import ROOT
from tests.api.vote_setup import cast, new_council, new_vote, proposal_at_vote, village_of
from tests.factories import items, login, ok, refused

PAGE_KEYS = {"items", "total", "page", "per_page"}


def _schema_of(spec: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


def test_every_list_answers_one_page_shape_and_takes_page_and_per_page(app):
    spec = app.openapi()
    lists = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        content = get["responses"].get("200", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        schema = _schema_of(spec, content["schema"])
        assert schema.get("type") != "array", f"GET {path} answers a bare array"
        if set(schema.get("properties", {})) == PAGE_KEYS:
            params = {p["name"]: p for p in get.get("parameters", [])}
            assert {"page", "per_page"} <= set(params), f"GET {path} takes no page/per_page"
            assert params["per_page"]["schema"]["maximum"] == 200 and params["page"]["schema"]["minimum"] == 1
            lists.append(path)
    for path in ("/api/v1/counties", "/api/v1/townships", "/api/v1/villages", "/api/v1/villages/{vid}/councils",
                 "/api/v1/votes/{sid}/ballot-box", "/api/v1/votes/{sid}/receipts", "/api/v1/votes/{sid}/electorate",
                 "/api/v1/votes/{sid}/proxies", "/api/v1/{owner}/{oid}/attachments",
                 "/api/v1/proposals/{pid}/comments", "/api/v1/comments/{cid}/versions", "/api/v1/me/sessions",
                 "/api/v1/villages/{vid}/notice-calendar", "/api/v1/townships/{tid}/monitors",
                 "/api/v1/villages/{vid}/votes", "/api/v1/proposals/{pid}/votes"):
        assert path in lists, path


def test_every_operation_documents_the_problems_any_request_can_meet(app):
    spec = app.openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"400", "413", "422", "429"} <= documented, f"{method.upper()} {path}: {sorted(documented)}"
            for code, response in operation["responses"].items():  # an error's schema where the server sends it
                if code >= "400":
                    assert set(response["content"]) == {"application/problem+json"}, f"{method} {path} {code}"
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"}


def test_the_document_says_how_to_authenticate_and_a_401_says_it_too(app, api, world, client):
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/proposals/{pid}"]["get"]["security"] == [{"bearer": []}, {}]  # optional
    assert "security" not in spec["paths"]["/api/v1/auth/token"]["post"]  # credentials go in the body
    missing = client.get("/api/v1/me")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="cunyi"'
    assert missing.json()["detail"] == "请先登录"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]
    assert bad.json()["detail"] == "令牌无效或已过期，请重新登录取得令牌"
    ok(api.get("/me", world.user()))  # a good one gets in


def test_lists_page_through(api, world, client):
    r = client.get("/api/v1/counties", params={"per_page": 1})
    body = ok(r)
    assert set(body) == PAGE_KEYS and body["per_page"] == 1 and len(body["items"]) <= 1
    village, committee, clerk, people = village_of(world, 3)
    electorate_page = ok(api.get(f"/villages/{village.id}/councils", committee, page=2, per_page=1))
    assert electorate_page == {"items": [], "total": 0, "page": 2, "per_page": 1}
    refused(api.get(f"/villages/{village.id}/councils", committee, per_page=201), 422)
    refused(api.get(f"/villages/{village.id}/councils", committee, page=0), 422)


def test_a_village_and_a_proposal_list_their_votes(api, world, db):
    village, committee, clerk, people = village_of(world, 3)
    pid = proposal_at_vote(api, db, village, committee)
    other_pid = proposal_at_vote(api, db, village, committee, title="修村西水渠")
    council = new_council(api, village, committee)
    draft = new_vote(api, pid, committee, council["id"])
    later = new_vote(api, other_pid, committee, council["id"], question="是否同意修村西水渠？")
    mine = ok(api.get(f"/proposals/{pid}/votes", people[0]))
    assert set(mine) == PAGE_KEYS and mine["total"] == 1
    assert [v["id"] for v in mine["items"]] == [draft["id"]]
    assert mine["items"][0]["question"] == draft["question"] and mine["items"][0]["state"] == "draft"
    assert ok(api.get(f"/proposals/{pid}/votes", people[0], page=2, per_page=1))["items"] == []
    # the proposal's own answer names its votes
    proposal = ok(api.get(f"/proposals/{pid}", people[0]))
    assert [(v["id"], v["state"], v["passed"]) for v in proposal["votes"]] == [(draft["id"], "draft", None)]
    # the village's votes, newest first: its members see all, anyone else only the closed ones
    assert [v["id"] for v in items(api.get(f"/villages/{village.id}/votes", people[0]))] == [later["id"], draft["id"]]
    assert [v["id"] for v in items(api.get(f"/villages/{village.id}/votes", people[0], page=2, per_page=1))] == [
        draft["id"]]
    assert items(api.get(f"/villages/{village.id}/votes")) == []
    ok(api.post(f"/votes/{draft['id']}/open", committee))
    # a villager finds the vote they can cast now without scanning the list
    assert [v["id"] for v in items(api.get(f"/villages/{village.id}/votes", people[0], state="open"))] == [
        draft["id"]]
    assert items(api.get(f"/villages/{village.id}/votes", state="open")) == []  # the public: closed ones only
    refused(api.get(f"/villages/{village.id}/votes", people[0], state="running"), 422, "没有这个状态")
    ok(cast(api, draft["id"], people[0], "同意"), 201)
    ok(api.post(f"/votes/{draft['id']}/close", committee))
    public = items(api.get(f"/villages/{village.id}/votes"))
    assert [v["id"] for v in public] == [draft["id"]] and public[0]["result"]["counts"][0]["count"] == 1
    assert public[0]["my_ballot"] is None
    assert ok(api.get(f"/proposals/{pid}", people[0]))["votes"][0]["state"] == "closed"
    # who may see the proposal may see its votes; nobody else
    other, other_committee, _, _ = village_of(world, 1)
    refused(api.get(f"/proposals/{pid}/votes"), 401)
    refused(api.get(f"/proposals/{pid}/votes", other_committee), 404)
    assert [v["id"] for v in items(api.get(f"/villages/{village.id}/votes", other_committee))] == [draft["id"]]


def test_a_choice_goes_in_as_index_or_label_and_comes_out_as_both(api, world, db):
    village, committee, clerk, people = village_of(world, 3)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    sid = new_vote(api, pid, committee, council["id"], options=["甲方案", "乙方案"])["id"]
    ok(api.post(f"/votes/{sid}/open", committee))
    by_index = ok(cast(api, sid, people[0], 1), 201)
    by_label = ok(cast(api, sid, people[1], " 乙方案 "), 201)
    for answer in (by_index, by_label):
        assert (answer["choice"], answer["choice_label"]) == (1, "乙方案")
    refused(cast(api, sid, people[2], "丙方案"), 422, "没有这个选项")
    refused(cast(api, sid, people[2], 2), 422)
    refused(cast(api, sid, people[2], "1"), 422)  # a label, and no option is called "1"
    ok(api.post(f"/votes/{sid}/close", committee))
    assert {(b["choice"], b["choice_label"]) for b in items(api.get(f"/votes/{sid}/ballot-box"))} == {(1, "乙方案")}


def test_the_docs_page_needs_no_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert not re.search(r"(src|href)=\"(https?:)?//", page.text)  # every file from this site
    assert "<script>" not in page.text  # no inline script: the CSP stays strict
    csp = page.headers["content-security-policy"]
    assert "http" not in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
    assert "/api/v1/openapi.json" in page.text
    assert client.get("/api/v1/openapi.json").json()["paths"]


def test_pages_answer_head_and_the_favicon_exists(client, world):
    village = world.village()
    for path in ("/", "/login", f"/v/{village.slug}/", "/api/v1/counties", "/docs"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path
        assert head.headers["content-security-policy"] == get.headers["content-security-policy"]
    assert client.head("/no-such-page").status_code == 404
    user = world.user()
    login(client, user)
    assert client.head("/account").status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content == (ROOT / "static" / "favicon.ico").read_bytes() and icon.content[:4] == b"\0\0\1\0"
    assert "max-age=31536000" in icon.headers["cache-control"]
    assert client.head("/favicon.ico").status_code == 200


def test_the_readme_links_the_schema():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    api = readme[readme.index("## The API"):]
    assert "[`/api/v1/openapi.json`](/api/v1/openapi.json)" in api and "swagger-ui-bundle-v2" in api


def test_codes_a_client_must_send_are_listed_with_their_names(app, api, world):
    spec = app.openapi()
    schemas = spec["components"]["schemas"]
    category = schemas["ProposalIn"]["properties"]["category"]
    assert "facilities" in category["enum"] and "facilities（" in category["description"]
    assert set(schemas["TransitionIn"]["properties"]["action"]["enum"]) == {
        "submit", "advance", "return", "withdraw", "reject"}
    params = {p["name"]: p for p in spec["paths"]["/api/v1/villages/{vid}/proposals"]["get"]["parameters"]}
    assert "review" in params["state"]["schema"]["enum"] and "乡镇审核备案" in params["state"]["description"]
    village = world.village()
    member = world.member(village)
    refused(api.get(f"/villages/{village.id}/proposals", member, state="nonsense"), 422, "没有这个状态")
    assert ok(api.get(f"/villages/{village.id}/proposals", member, state="review"))["total"] == 0


def test_no_schema_is_described_by_a_python_signature(app):
    for name, schema in app.openapi()["components"]["schemas"].items():
        assert not re.match(r"^\w+\(\w+: ", schema.get("description", "")), name  # e.g. "HistoryRow(procedure: 'str'…"


def test_a_refused_move_names_the_input_at_fault(api, world):
    from tests.factories import Staff

    staff = Staff(world)
    draft = ok(api.post(f"/villages/{staff.village.id}/proposals", staff.committee,
                        {"title": "修桥", "body": "方案", "category": "facilities"}), 201)
    body = refused(api.post(f"/proposals/{draft['id']}/transitions", staff.committee, {"action": "fly"}), 422)
    assert body["errors"] == [{"field": "action", "message": "不认识的操作"}]
