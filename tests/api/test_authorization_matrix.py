"""The authorization matrix of the JSON API: every route × method of /api/v1, knocked on by five
callers, against a status written here by hand (issue 15, item 5).

The routes come from the app's own route table: a route without an entry fails
`test_every_route_has_an_entry` (add its row), an entry whose route is gone fails it too. Each path
parameter is filled with the id of village V's object of that kind (tests/matrix_world.py; V's books
come from `add_books` here); each unsafe call carries a small valid body, so the answer is about who
calls, not about what they sent.

The rule the rows follow (app/services/access.py): outside the caller's village a village does not
exist (404); inside it, without the role, 403; the monitors of the village's own township see it
(they are not among the callers here: a monitor of another township is an outsider, 404); the
anonymous get 401 wherever a login is needed and 200 on what is public (the village, its audit head
and verification, published notices, closed votes). Where a refusal is not about the caller (the
moment is wrong, nothing was found), the row says so beside it.

A refused unsafe call must change nothing: the audit heads of V, of W and of the platform chain stay
where they were.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from app.clock import local_today
from tests.factories import PASSWORD, bearer, png, unique_client, unique_phone, unique_slug
from tests.matrix_world import CALLERS, UNSAFE, build, contract_body, fill, routes, split_key, voucher_body

# Rows: (anonymous, villager of V, villager of W, committee of W, monitor of T2).
PUBLIC = (200, 200, 200, 200, 200)
LOGGED_IN = (401, 200, 200, 200, 200)  # the caller's own things: any login
MEMBERS_READ = (401, 200, 404, 404, 404)  # V's members (and T's monitors) read it
ROLE = (401, 403, 404, 404, 404)  # V's members with a role (the villager has none)
ADMIN = (401, 403, 403, 403, 403)  # the platform's administrators
OVERSEERS = (401, 404, 404, 404, 404)  # a township's own monitors and admins: nobody else sees it


def made(status: int) -> tuple[int, ...]:
    """V's villager may do it (answers `status`); nobody else can see V."""
    return (401, status, 404, 404, 404)


EXPECTED: dict[str, tuple[int, ...]] = {
    # --- accounts: anyone, or any login --------------------------------------------------------
    "POST /api/v1/auth/token": PUBLIC,
    "POST /api/v1/auth/activate": (422,) * 5,  # an unknown phone and code, refused alike for all
    "POST /api/v1/auth/logout": PUBLIC,  # (with a fresh token: logging out answers 200 either way)
    "GET /api/v1/me": LOGGED_IN,
    "GET /api/v1/me/home": LOGGED_IN,
    "POST /api/v1/me/password": (401, 422, 422, 422, 422),  # right current password, too weak a new one
    "GET /api/v1/me/sessions": LOGGED_IN,
    "POST /api/v1/me/sessions/end-others": LOGGED_IN,
    "GET /api/v1/me/notifications": LOGGED_IN,
    "GET /api/v1/me/notifications/unread": LOGGED_IN,
    "POST /api/v1/me/notifications/read": LOGGED_IN,
    # --- places ----------------------------------------------------------------------------------
    "GET /api/v1/counties": PUBLIC,
    "POST /api/v1/counties": ADMIN,
    "GET /api/v1/townships": PUBLIC,
    "POST /api/v1/townships": ADMIN,
    "GET /api/v1/villages": PUBLIC,
    "POST /api/v1/villages": ADMIN,
    "GET /api/v1/villages/{vid}": PUBLIC,
    # --- members, roster, audit --------------------------------------------------------------
    "GET /api/v1/villages/{vid}/members": ROLE,
    "POST /api/v1/villages/{vid}/members": ROLE,
    "GET /api/v1/villages/{vid}/members/{uid}": ROLE,
    "PATCH /api/v1/villages/{vid}/members/{uid}": ROLE,
    "POST /api/v1/villages/{vid}/members/{uid}/activation-code": ROLE,
    "POST /api/v1/villages/{vid}/roster": ROLE,
    "GET /api/v1/villages/{vid}/audit": MEMBERS_READ,
    "GET /api/v1/villages/{vid}/audit/head": PUBLIC,
    "GET /api/v1/villages/{vid}/audit/verify": PUBLIC,
    # --- proposals, settings, comments ------------------------------------------------------
    "GET /api/v1/villages/{vid}/proposals": MEMBERS_READ,
    "GET /api/v1/villages/{vid}/proposal-queue": ROLE,
    "POST /api/v1/villages/{vid}/proposals": made(201),  # a villager drafts a proposal
    "GET /api/v1/proposals/{pid}": MEMBERS_READ,
    "PUT /api/v1/proposals/{pid}": ROLE,  # the author's (the committee's) draft
    "POST /api/v1/proposals/{pid}/transitions": ROLE,  # "advance" is the committee's
    "POST /api/v1/proposals/{pid}/cosign": made(409),  # a villager may co-sign, not in deliberation
    "DELETE /api/v1/proposals/{pid}/cosign": made(409),  # nothing to withdraw
    "DELETE /api/v1/proposals/{pid}": ROLE,  # its author's, and only a draft never submitted
    "GET /api/v1/villages/{vid}/settings": MEMBERS_READ,
    "PUT /api/v1/villages/{vid}/settings": ROLE,
    "GET /api/v1/proposals/{pid}/comments": MEMBERS_READ,
    "POST /api/v1/proposals/{pid}/comments": made(201),
    "PATCH /api/v1/comments/{cid}": ROLE,  # the committee's comment: only its author edits it
    "POST /api/v1/comments/{cid}/hide": ROLE,
    "POST /api/v1/comments/{cid}/report": made(201),
    "GET /api/v1/comments/{cid}/versions": MEMBERS_READ,
    "GET /api/v1/villages/{vid}/reported-comments": ROLE,
    # --- attachments: a proposal's (the default), a published notice's, an open vote's papers --------
    "POST /api/v1/{owner}/{oid}/attachments": ROLE,  # the proposal's author or the committee
    "POST /api/v1/{owner}/{oid}/attachments [notices]": ROLE,
    "POST /api/v1/{owner}/{oid}/attachments [votes]": ROLE,
    "GET /api/v1/{owner}/{oid}/attachments": MEMBERS_READ,
    "GET /api/v1/{owner}/{oid}/attachments [notices]": PUBLIC,  # a published notice is public
    "GET /api/v1/{owner}/{oid}/attachments [votes]": ROLE,  # papers carry personal data: overseers
    "GET /api/v1/attachments/{aid}": MEMBERS_READ,
    # --- councils and votes -----------------------------------------------------------------------
    "GET /api/v1/villages/{vid}/councils": MEMBERS_READ,
    "POST /api/v1/villages/{vid}/councils": ROLE,
    "GET /api/v1/councils/{cid}": MEMBERS_READ,
    "POST /api/v1/councils/{cid}/archive": ROLE,
    "POST /api/v1/proposals/{pid}/votes": ROLE,
    "GET /api/v1/proposals/{pid}/votes": MEMBERS_READ,  # as the proposal itself
    "GET /api/v1/villages/{vid}/votes": PUBLIC,  # members see every vote, anyone else the closed ones
    "GET /api/v1/votes/{sid}": MEMBERS_READ,
    "GET /api/v1/votes/{sid} [closed]": PUBLIC,  # closed votes are public
    "PATCH /api/v1/votes/{sid}": ROLE,
    "POST /api/v1/votes/{sid}/open": ROLE,
    "POST /api/v1/votes/{sid}/close": ROLE,
    "GET /api/v1/votes/{sid}/electorate": MEMBERS_READ,
    "GET /api/v1/votes/{sid}/electorate [closed]": MEMBERS_READ,
    "GET /api/v1/votes/{sid}/result": made(409),  # no result before close
    "GET /api/v1/votes/{sid}/result [closed]": PUBLIC,
    "GET /api/v1/votes/{sid}/ballot-box": made(409),  # no box before close
    "GET /api/v1/votes/{sid}/ballot-box [closed]": PUBLIC,
    "GET /api/v1/votes/{sid}/receipts": made(409),  # no receipts before close
    "GET /api/v1/votes/{sid}/receipts [closed]": PUBLIC,
    "GET /api/v1/votes/{sid}/receipts/{code}": (404, 409, 404, 404, 404),  # an open vote: none yet (409 to V)
    "GET /api/v1/votes/{sid}/receipts/{code} [closed]": PUBLIC,
    "POST /api/v1/votes/{sid}/ballots": made(201),  # the villager is in the electorate
    "GET /api/v1/votes/{sid}/my-ballot": MEMBERS_READ,
    "GET /api/v1/votes/{sid}/my-ballot [closed]": MEMBERS_READ,
    "POST /api/v1/votes/{sid}/proxies": ROLE,
    "GET /api/v1/votes/{sid}/proxies": MEMBERS_READ,
    "POST /api/v1/votes/{sid}/paper-tally": ROLE,
    "POST /api/v1/votes/{sid}/paper-tally/confirm": ROLE,
    "GET /api/v1/votes/{sid}/paper-tally": made(404),  # none recorded on the open vote
    "GET /api/v1/votes/{sid}/paper-tally [closed]": MEMBERS_READ,
    # --- notices and objections -----------------------------------------------------------------
    "GET /api/v1/villages/{vid}/notices": PUBLIC,
    "POST /api/v1/villages/{vid}/notices": ROLE,
    "GET /api/v1/notices/{nid}": PUBLIC,
    "GET /api/v1/notices/{nid} [draft]": (404, 404, 404, 404, 404),  # a draft is its handlers' only
    "PUT /api/v1/notices/{nid}": ROLE,
    # a draft does not exist for those who may not handle it: not even a login would show it (404 first)
    "PUT /api/v1/notices/{nid} [draft]": (401, 404, 404, 404, 404),  # anonymous: log in first
    "POST /api/v1/notices/{nid}/submit": ROLE,
    "POST /api/v1/notices/{nid}/review": ROLE,
    "POST /api/v1/notices/{nid}/publish": ROLE,
    "POST /api/v1/notices/{nid}/revise": ROLE,
    "POST /api/v1/notices/{nid}/close": ROLE,
    "GET /api/v1/villages/{vid}/notice-calendar": ROLE,  # the committee, supervisors, T's monitors
    "POST /api/v1/notices/{nid}/objections": made(201),
    "POST /api/v1/objections/{oid}/reply": ROLE,
    "GET /api/v1/villages/{vid}/objections": ROLE,
    # --- the township (T, V's township) ---------------------------------------------------------
    "GET /api/v1/townships/{tid}/dashboard": OVERSEERS,
    "GET /api/v1/townships/{tid}/monitors": OVERSEERS,
    "POST /api/v1/townships/{tid}/monitors": ADMIN,
    "DELETE /api/v1/townships/{tid}/monitors/{uid}": ADMIN,
    "GET /api/v1/townships/{tid}/settings": OVERSEERS,
    "PUT /api/v1/townships/{tid}/settings": OVERSEERS,
    # --- the books (add_books below): last month closed and published, a draft voucher this month ----
    "GET /api/v1/villages/{vid}/ledger": PUBLIC,
    "POST /api/v1/villages/{vid}/ledger": ROLE,  # the keepers (accountant, committee); V's are open: 409
    "PATCH /api/v1/villages/{vid}/ledger": ROLE,  # receipts made public: the committee
    "PUT /api/v1/villages/{vid}/ledger/openings": ROLE,
    "POST /api/v1/villages/{vid}/ledger/openings/file": ROLE,  # (a keeper would get 409: posted)
    "GET /api/v1/villages/{vid}/ledger/openings.xlsx": ROLE,  # the readers of the whole books
    "GET /api/v1/villages/{vid}/accounts": PUBLIC,  # the chart; its opening balances only for the readers
    "POST /api/v1/villages/{vid}/accounts": ROLE,
    "PATCH /api/v1/villages/{vid}/accounts/{code}": ROLE,
    "POST /api/v1/villages/{vid}/vouchers": ROLE,
    "GET /api/v1/villages/{vid}/vouchers": PUBLIC,  # the posted vouchers of published months
    "GET /api/v1/vouchers/{voucher_id}": PUBLIC,  # posted, its month published
    "GET /api/v1/vouchers/{voucher_id} [draft]": (404, 404, 404, 404, 404),  # the readers' only
    "PUT /api/v1/vouchers/{voucher_id}": ROLE,  # (a keeper would get 409: posted)
    "PUT /api/v1/vouchers/{voucher_id} [draft]": (401, 404, 404, 404, 404),  # not even seen
    "DELETE /api/v1/vouchers/{voucher_id}": ROLE,
    "DELETE /api/v1/vouchers/{voucher_id} [draft]": (401, 404, 404, 404, 404),
    "POST /api/v1/vouchers/{voucher_id}/review": ROLE,
    "POST /api/v1/vouchers/{voucher_id}/return": ROLE,
    "POST /api/v1/vouchers/{voucher_id}/post": ROLE,
    "POST /api/v1/vouchers/{voucher_id}/reverse": ROLE,
    "POST /api/v1/vouchers/{voucher_id}/reverse [draft]": (401, 404, 404, 404, 404),
    "GET /api/v1/villages/{vid}/periods": PUBLIC,  # the published months
    "GET /api/v1/villages/{vid}/periods/{period}/statement": PUBLIC,  # published
    "GET /api/v1/villages/{vid}/periods/{period}/statement [open]": (404, 404, 404, 404, 404),  # the readers'
    "POST /api/v1/villages/{vid}/periods/{period}/close": ROLE,
    # T's monitors only. Outsiders now get 403, not 404: services/periods.reopen checks for a monitor
    # before it scopes the village (to be fixed there; this row states the rule).
    "POST /api/v1/villages/{vid}/periods/{period}/reopen": ROLE,
    "POST /api/v1/{owner}/{oid}/attachments [vouchers]": ROLE,  # the keepers (a posted one: then 409)
    # receipts: the village's members (anonymous: 404, since receipts are not public in V)
    "GET /api/v1/{owner}/{oid}/attachments [vouchers]": (404, 200, 404, 404, 404),
    # --- 一事一议 money and labour (a passed matter), contracts, fixed assets ---------------------------
    "GET /api/v1/proposals/{pid}/fund": MEMBERS_READ,
    "POST /api/v1/proposals/{pid}/fund/obligations": ROLE,
    "GET /api/v1/proposals/{pid}/fund/households": MEMBERS_READ,
    "GET /api/v1/proposals/{pid}/fund/exemptions": MEMBERS_READ,
    "POST /api/v1/proposals/{pid}/fund/exemptions": ROLE,
    "POST /api/v1/proposals/{pid}/fund/payments": ROLE,
    "POST /api/v1/proposals/{pid}/fund/labour": ROLE,
    "GET /api/v1/villages/{vid}/contracts": MEMBERS_READ,
    "POST /api/v1/villages/{vid}/contracts": ROLE,
    "GET /api/v1/contracts/{contract_id}": MEMBERS_READ,
    "POST /api/v1/instalments/{instalment_id}/receivable": ROLE,
    "POST /api/v1/instalments/{instalment_id}/payment": ROLE,
    "GET /api/v1/villages/{vid}/assets": MEMBERS_READ,
    "POST /api/v1/villages/{vid}/assets": ROLE,
    "POST /api/v1/assets/{asset_id}/dispose": ROLE,
    # --- decision files (一事一档): as the matter itself (the proposal in deliberation) ----------------
    "GET /api/v1/proposals/{pid}/file": MEMBERS_READ,
    "GET /api/v1/proposals/{pid}/file.zip": MEMBERS_READ,
    # --- seals of the audit chains ---------------------------------------------------------------
    "GET /api/v1/seal-key": PUBLIC,
    "GET /api/v1/villages/{vid}/seals/latest": PUBLIC,
    "POST /api/v1/townships/{tid}/seals": OVERSEERS,
    # --- the township's cases (escalated objections) and reports (举报) ----------------------------
    "GET /api/v1/townships/{tid}/cases": OVERSEERS,
    "POST /api/v1/cases/{case_id}/answer": OVERSEERS,
    "POST /api/v1/cases/{case_id}/direct": OVERSEERS,
    "GET /api/v1/objections/{oid}/case": MEMBERS_READ,
    "POST /api/v1/villages/{vid}/reports": made(201),
    "GET /api/v1/me/reports": LOGGED_IN,
    "GET /api/v1/townships/{tid}/reports": OVERSEERS,
    "GET /api/v1/reports/{report_id}": OVERSEERS,  # the neighbour's: not even V's villager sees it
    "POST /api/v1/reports/{report_id}/replies": OVERSEERS,
    # --- the township's queue (乡镇审核备案); V's matter is in deliberation, so T's monitor would get 409
    "GET /api/v1/townships/{tid}/queue": OVERSEERS,
    "POST /api/v1/proposals/{pid}/filing": OVERSEERS,
    "POST /api/v1/proposals/{pid}/filing/return": OVERSEERS,
    # --- the village's own rules (村规民约): V's has only a draft, which is its committee's -----------
    "GET /api/v1/villages/{vid}/village-rules": PUBLIC,
    "POST /api/v1/villages/{vid}/village-rules": ROLE,
    "GET /api/v1/villages/{vid}/village-rules/{rid}": (404,) * 5,  # nothing adopted yet: only the committee sees it
    "POST /api/v1/villages/{vid}/village-rules/{rid}/versions": ROLE,
    "PUT /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}": ROLE,
    "POST /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}/adopt": ROLE,
    "POST /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}/filing": ROLE,  # V's members: 403
    "POST /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}/correction": ROLE,
    # --- meetings (V's is a draft) and requests to convene (the neighbour's) ------------------------------
    "GET /api/v1/villages/{vid}/meetings": MEMBERS_READ,
    "POST /api/v1/villages/{vid}/meetings": ROLE,
    "GET /api/v1/villages/{vid}/meetings/{mid}": MEMBERS_READ,
    "POST /api/v1/villages/{vid}/meetings/{mid}/items": ROLE,
    "POST /api/v1/villages/{vid}/meetings/{mid}/announce": ROLE,
    "POST /api/v1/villages/{vid}/meetings/{mid}/cancel": ROLE,
    "POST /api/v1/villages/{vid}/meetings/{mid}/checkin/open": ROLE,
    "POST /api/v1/villages/{vid}/meetings/{mid}/checkin": made(409),  # a member, but not announced yet
    "POST /api/v1/villages/{vid}/meetings/{mid}/paper": ROLE,
    "POST /api/v1/villages/{vid}/meetings/{mid}/attachments": ROLE,
    "PUT /api/v1/villages/{vid}/meetings/{mid}/minutes": ROLE,
    "POST /api/v1/villages/{vid}/meetings/{mid}/votes": ROLE,
    "GET /api/v1/villages/{vid}/petitions": MEMBERS_READ,
    "POST /api/v1/villages/{vid}/petitions": made(201),
    "POST /api/v1/villages/{vid}/petitions/{pid}/signatures": made(201),
    "POST /api/v1/villages/{vid}/petitions/{pid}/convene": ROLE,
    "POST /api/v1/villages/{vid}/petitions/{pid}/close": ROLE,
    # --- assisted records (代录) for villagers without a phone: V's has one waiting, the committee's ------
    "GET /api/v1/villages/{vid}/assisted": ROLE,  # the committee, supervisors, T's monitors
    "POST /api/v1/villages/{vid}/assisted": ROLE,
    "POST /api/v1/villages/{vid}/assisted/{act_id}/confirm": ROLE,  # another committee member of V
    "POST /api/v1/villages/{vid}/assisted/{act_id}/reject": ROLE,
}

def names_for(path: str, variant: str | None) -> dict[str, str]:
    """Which of V's objects each path parameter of `path` stands for."""
    names = {"vid": "vid", "tid": "tid", "pid": "proposal", "sid": "vote", "nid": "notice", "aid": "attachment",
             "code": "receipt", "uid": "member", "cid": "comment", "oid": "objection"}
    if path.startswith("/api/v1/councils/"):
        names["cid"] = "council"
    if path.startswith("/api/v1/townships/"):
        names["uid"] = "monitor_uid"
    if path == "/api/v1/proposals/{pid}/votes":
        names["pid"] = "vote_proposal"
    if path.startswith("/api/v1/{owner}/"):
        owner = variant or "proposals"
        names["owner"] = owner
        names["oid"] = {"proposals": "proposal", "notices": "notice", "votes": "vote", "vouchers": "voucher"}[owner]
    if variant == "closed":
        names["sid"] = "closed_vote"
    if variant == "draft":
        names["nid"] = "draft_notice"
    if path.startswith("/api/v1/villages/{vid}/accounts/"):
        names["code"] = "account"
    names["voucher_id"] = "draft_voucher" if variant == "draft" else "voucher"
    if "/fund" in path:
        names["pid"] = "fund_proposal"
    names.update(contract_id="contract", instalment_id="instalment", asset_id="asset", case_id="case",
                 report_id="report", rid="village_rule", version_id="rule_version")
    if path == "/api/v1/objections/{oid}/case":
        names["oid"] = "escalated_objection"
    names["period"] = "open_period" if variant == "open" else "period"
    names["act_id"] = "assisted"
    names["mid"] = "meeting"
    if "/petitions/" in path:
        names["pid"] = "petition"
    return names


def body_for(key: str, m, user) -> dict | None:
    """A small valid JSON body for the route (None: the route takes none)."""
    ids = m.ids
    bodies = {
        "POST /api/v1/auth/token": lambda: {"phone": (user or m.neighbour).phone, "password": PASSWORD},
        "POST /api/v1/auth/activate": lambda: {"phone": unique_phone(), "code": "ABCDEFGHJK",
                                               "password": "Another-pass-2026"},
        "POST /api/v1/me/password": lambda: {"current_password": PASSWORD, "new_password": "1"},
        "POST /api/v1/counties": lambda: {"name": "新县"},
        "POST /api/v1/townships": lambda: {"name": "新乡镇", "county_id": m.county_id},
        "POST /api/v1/villages": lambda: {"name": "新村", "slug": unique_slug(), "township_id": m.T},
        "POST /api/v1/villages/{vid}/members": lambda: {"name": "新村民", "phone": unique_phone(),
                                                         "birth_date": "1990-01-01"},
        "PATCH /api/v1/villages/{vid}/members/{uid}": lambda: {"household": "H-09"},
        "POST /api/v1/villages/{vid}/proposals": lambda: {"title": "修水渠", "body": "东头水渠漏水，建议修补。",
                                                           "category": "facilities", "procedure": "yishiyiyi"},
        "PUT /api/v1/proposals/{pid}": lambda: {"title": "修村口的路（改）", "body": "改写后的内容。",
                                                 "category": "facilities", "procedure": "yishiyiyi"},
        "POST /api/v1/proposals/{pid}/transitions": lambda: {"action": "advance"},
        "PUT /api/v1/villages/{vid}/settings": lambda: {"per_capita_cap_fen": 1500, "labour_days_cap": 10},
        "POST /api/v1/proposals/{pid}/comments": lambda: {"body": "同意，早修早好。"},
        "PATCH /api/v1/comments/{cid}": lambda: {"body": "改过的意见。"},
        "POST /api/v1/comments/{cid}/hide": lambda: {"reason": "与本事项无关"},
        "POST /api/v1/comments/{cid}/report": lambda: {"reason": "不实"},
        "POST /api/v1/villages/{vid}/councils": lambda: {"kind": "assembly"},
        "POST /api/v1/proposals/{pid}/votes": lambda: {
            "council_id": ids["council"], "question": "是否同意？", "secret": True,
            "opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-01-02T00:00:00Z"},
        "PATCH /api/v1/votes/{sid}": lambda: {"question": "改过的问题？"},
        "POST /api/v1/votes/{sid}/ballots": lambda: {"choice": 0},
        "POST /api/v1/votes/{sid}/proxies": lambda: {"voter_id": m.neighbour.id, "proxy_id": m.supervisor.id},
        "POST /api/v1/votes/{sid}/paper-tally": lambda: {"present_user_ids": [m.neighbour.id], "counts": [1, 0, 0],
                                                          "invalid": 0},
        "POST /api/v1/villages/{vid}/notices": lambda: {"category": "village", "title": "新公开", "body": "内容",
                                                         "days": 7},
        "PUT /api/v1/notices/{nid}": lambda: {"title": "改过的公开", "body": "内容", "days": 7},
        "POST /api/v1/notices/{nid}/review": lambda: {"approve": True},
        "POST /api/v1/notices/{nid}/revise": lambda: {"title": "更正", "body": "更正的内容", "days": 7},
        "POST /api/v1/notices/{nid}/objections": lambda: {"body": "请说明预算来源。"},
        "POST /api/v1/objections/{oid}/reply": lambda: {"body": "预算来自村集体收入。"},
        "POST /api/v1/townships/{tid}/monitors": lambda: {"name": "新监督员", "phone": unique_phone()},
        "PUT /api/v1/townships/{tid}/settings": lambda: {"proxy_cap": 3},
        "POST /api/v1/villages/{vid}/ledger": lambda: {"chart": "2023"},
        "PATCH /api/v1/villages/{vid}/ledger": lambda: {"receipts_public": True},
        "PUT /api/v1/villages/{vid}/ledger/openings": lambda: {"rows": [{"code": "102", "debit": 100},
                                                                         {"code": "301", "credit": 100}]},
        "POST /api/v1/villages/{vid}/accounts": lambda: {"parent": "112", "code": "11202", "name": "李四"},
        "PATCH /api/v1/villages/{vid}/accounts/{code}": lambda: {"name": "张三（借款）"},
        "POST /api/v1/villages/{vid}/vouchers": lambda: voucher_body(local_today().isoformat()),
        "PUT /api/v1/vouchers/{voucher_id}": lambda: voucher_body(local_today().isoformat()),
        "POST /api/v1/vouchers/{voucher_id}/return": lambda: {"note": "金额不对"},
        "POST /api/v1/vouchers/{voucher_id}/reverse": lambda: {},
        "POST /api/v1/villages/{vid}/periods/{period}/reopen": lambda: {"reason": "漏了一张发票"},
        "POST /api/v1/proposals/{pid}/fund/exemptions": lambda: {"user_id": m.neighbour.id, "reason": "student"},
        "POST /api/v1/proposals/{pid}/fund/payments": lambda: {"household_id": ids["household"], "amount": 100,
                                                              "receipt_no": f"R{unique_phone()}"},
        "POST /api/v1/proposals/{pid}/fund/labour": lambda: {"user_id": m.neighbour.id, "days": 1},
        "POST /api/v1/villages/{vid}/contracts": lambda: contract_body(),
        "POST /api/v1/instalments/{instalment_id}/payment": lambda: {},
        "POST /api/v1/villages/{vid}/assets": lambda: {"name": "抽水泵", "value": 80_000,
                                                        "acquired_on": local_today().isoformat()},
        "POST /api/v1/assets/{asset_id}/dispose": lambda: {"note": "报废"},
        "POST /api/v1/cases/{case_id}/answer": lambda: {"answer": "已核实。"},
        "POST /api/v1/cases/{case_id}/direct": lambda: {"note": "请按期答复", "due_date": (
            local_today() + timedelta(days=7)).isoformat()},
        "POST /api/v1/villages/{vid}/reports": lambda: {"body": "请乡镇关注村道工程的质量。"},
        "POST /api/v1/reports/{report_id}/replies": lambda: {"body": "收到，正在核实。"},
        "POST /api/v1/proposals/{pid}/filing": lambda: {"note": "符合规定"},
        "POST /api/v1/proposals/{pid}/filing/return": lambda: {"reason": "请修改方案"},
        "POST /api/v1/villages/{vid}/village-rules": lambda: {"kind": "code", "title": "新规约", "body": "第一条"},
        "POST /api/v1/villages/{vid}/village-rules/{rid}/versions": lambda: {"body": "第一条（修订）"},
        "PUT /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}": lambda: {"body": "第一条（改）"},
        "POST /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}/adopt":
            lambda: {"vote_session_id": ids["closed_vote"]},
        "POST /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}/filing": lambda: {"note": ""},
        "POST /api/v1/villages/{vid}/village-rules/{rid}/versions/{version_id}/correction":
            lambda: {"reason": "请改正"},
        "POST /api/v1/villages/{vid}/meetings": lambda: {"council_id": ids["council"], "title": "会", "place": "村部",
                                                          "starts_at": "2030-01-01T00:00:00Z"},
        "POST /api/v1/villages/{vid}/meetings/{mid}/items": lambda: {"text": "再议一项"},
        "POST /api/v1/villages/{vid}/meetings/{mid}/announce": lambda: {},
        "POST /api/v1/villages/{vid}/meetings/{mid}/cancel": lambda: {"reason": "改期"},
        "POST /api/v1/villages/{vid}/meetings/{mid}/checkin": lambda: {"code": "123456"},
        "POST /api/v1/villages/{vid}/meetings/{mid}/paper": lambda: {"user_ids": [m.neighbour.id]},
        "PUT /api/v1/villages/{vid}/meetings/{mid}/minutes": lambda: {"minutes": "纪要"},
        "POST /api/v1/villages/{vid}/meetings/{mid}/votes": lambda: {"vote_session_id": ids["closed_vote"]},
        "POST /api/v1/villages/{vid}/petitions": lambda: {"kind": "assembly", "reason": "议修路"},
        "POST /api/v1/villages/{vid}/petitions/{pid}/convene": lambda: {"meeting_id": ids["meeting"]},
        "POST /api/v1/villages/{vid}/petitions/{pid}/close": lambda: {"reason": "重复"},
        "POST /api/v1/villages/{vid}/assisted/{act_id}/reject": lambda: {"reason": "签名看不清"},
    }
    make = bodies.get(key)
    return make() if make else None


# Calls that would end the caller's cached session: they get a session of their own.
FRESH_SESSION = {"POST /api/v1/auth/logout"}


@pytest.fixture(scope="module")
def matrix(app, database):
    with Session(database.engine, expire_on_commit=False) as db, unique_client(app, follow_redirects=False) as c:
        m = build(db, database.settings, c)
        yield m


def call(m, key: str, caller: str):
    method, path, variant = split_key(key)
    owners = {name: name for name in ("proposals", "notices", "votes", "vouchers")}
    url = fill(path, {**m.ids, **owners}, names_for(path, variant))
    user = m.caller(caller)
    client = m.api.client
    if user is None:
        headers = {}
    elif key in FRESH_SESSION:
        headers = bearer(client, user)
    else:
        headers = m.api.headers(user)
    if key.startswith("POST /api/v1/{owner}/{oid}/attachments") or key.endswith("/meetings/{mid}/attachments"):
        return client.post(url, headers=headers, files={"file": ("凭证.png", png(), "image/png")})
    if key == "POST /api/v1/villages/{vid}/assisted":  # multipart: a paper co-sign with its scan
        form = {"kind": "cosign", "user_id": str(m.neighbour.id), "target_id": str(m.ids["proposal"])}
        return client.post(url, headers=headers, data=form, files={"scan": ("联署单.png", png(), "image/png")})
    if key == "POST /api/v1/villages/{vid}/ledger/openings/file":
        csv = "科目编号,期初借方,期初贷方\n102,1,\n301,,1\n".encode()
        return client.post(url, headers=headers, files={"file": ("期初.csv", csv, "text/csv")})
    if key == "POST /api/v1/villages/{vid}/roster":
        csv = "姓名,手机号,出生日期\n新村民,13800000000,1990-01-01\n".encode()
        return client.post(url, headers=headers, files={"file": ("名册.csv", csv, "text/csv")},
                           data={"dry_run": "true"})
    body = body_for(f"{method} {path}", m, user)
    return client.request(method, url, headers=headers, json=body)


CASES = [pytest.param(key, i, caller, id=f"{key}-{caller}") for key in EXPECTED for i, caller in enumerate(CALLERS)]


@pytest.mark.parametrize(("key", "index", "caller"), CASES)
def test_authorization(matrix, key, index, caller):
    expected = EXPECTED[key][index]
    method = split_key(key)[0]
    before = matrix.heads() if method in UNSAFE and expected >= 400 else None
    r = call(matrix, key, caller)
    assert r.status_code == expected, f"{key} as {caller}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    if before is not None:
        assert matrix.heads() == before, f"{key} as {caller} was refused yet wrote to an audit chain"


def test_every_route_has_an_entry(app):
    """A new API route needs its row here; a row whose route is gone goes too."""
    live = {f"{m} {p}" for m, p in routes(app) if p.startswith("/api/v1/")}
    listed = {" ".join(split_key(k)[:2]) for k in EXPECTED}
    assert not live - listed, f"API routes without a row in EXPECTED: {sorted(live - listed)}"
    assert not listed - live, f"rows in EXPECTED for routes that no longer exist: {sorted(listed - live)}"
    assert all(len(row) == len(CALLERS) for row in EXPECTED.values())
