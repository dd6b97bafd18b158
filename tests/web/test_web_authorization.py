"""The authorization matrix of the pages' forms: every POST route outside /api and /static, sent by
five callers with their session's CSRF token (so the answer is about who calls, not about CSRF),
against a status written here by hand (issue 15, item 5).

The routes come from the app's route table: a POST route without an entry fails
`test_every_form_route_has_an_entry`, an entry whose route is gone fails it too. Paths are filled
with village V's objects (tests/matrix_world.py).

Statuses: LOGIN is the login redirect (303 to /login) a page answers the anonymous; 403 and 404 are
the error page; DONE is the form's redirect (303) to a page without an error flash; REFUSED its
redirect to a page with an error flash (the wrong moment, and on a proposal's page the wrong role
too: routers/web/proposals.refused_here shows them there); 422 the form again with its message.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from app.clock import local_today
from tests.conftest import page_csrf
from tests.factories import PASSWORD, login, png, unique_client, unique_phone, unique_slug
from tests.matrix_world import CALLERS, build, fill, routes, split_key

LOGIN = "login"  # 303 to /login
DONE = "done"  # 303 elsewhere, and the next page shows no error
REFUSED = "refused"  # 303 elsewhere, and the next page shows an error flash

# Rows: (anonymous, villager of V, villager of W, committee of W, monitor of T2).
LOGGED_IN = (LOGIN, DONE, DONE, DONE, DONE)
ROLE = (LOGIN, 403, 404, 404, 404)  # V's members with a role (the villager has none)
ADMIN = (LOGIN, 403, 403, 403, 403)
OVERSEERS = (LOGIN, 404, 404, 404, 404)  # a township's own monitors and admins
MADE = (LOGIN, DONE, 404, 404, 404)  # V's villager may; nobody else sees V
NOT_NOW = (LOGIN, REFUSED, 404, 404, 404)  # V's villager may, but not now (a flash says why)
FLASHED = (LOGIN, REFUSED, 404, 404, 404)  # V's villager may not: a flash on the proposal page

EXPECTED: dict[str, tuple] = {
    # --- accounts --------------------------------------------------------------------------------
    "POST /login": (DONE,) * 5,  # (each logged-in caller on a fresh session of its own)
    "POST /logout": (DONE,) * 5,  # (on a fresh session)
    "POST /activate": (422,) * 5,  # an unknown phone and code: the form again, for everyone alike
    "POST /account/sessions/end-others": LOGGED_IN,
    "POST /account/password": (LOGIN, 422, 422, 422, 422),  # right current password, too weak a new one
    "POST /account/large-type": LOGGED_IN,
    "POST /me/notifications/read": LOGGED_IN,
    "POST /me/notifications/settings": LOGGED_IN,  # everything off (this app offers no SMS and no e-mail)
    # --- the platform's administration ------------------------------------------------------------
    "POST /admin/counties": ADMIN,
    "POST /admin/townships": ADMIN,
    "POST /admin/villages": ADMIN,
    "POST /admin/monitors": ADMIN,
    # --- members and roster ------------------------------------------------------------------------
    "POST /v/{slug}/members/new": ROLE,
    "POST /v/{slug}/members/{uid}": ROLE,
    "POST /v/{slug}/members/{uid}/code": ROLE,
    "POST /v/{slug}/roster": ROLE,
    "POST /v/{slug}/roster/confirm": ROLE,
    "POST /v/{slug}/settings": ROLE,
    # --- proposals and comments --------------------------------------------------------------------
    "POST /v/{slug}/proposals/new": MADE,
    "POST /v/{slug}/proposals/{pid}/edit": ROLE,  # the committee's proposal
    "POST /v/{slug}/proposals/{pid}/transition": FLASHED,  # "advance" is the committee's
    "POST /v/{slug}/proposals/{pid}/cosign": NOT_NOW,  # no co-signing in deliberation
    "POST /v/{slug}/proposals/{pid}/delete": FLASHED,  # only its author deletes, and only a draft
    "POST /v/{slug}/proposals/{pid}/uncosign": NOT_NOW,  # nothing to withdraw
    "POST /v/{slug}/proposals/{pid}/attachments": FLASHED,  # the author's or the committee's
    "POST /v/{slug}/proposals/{pid}/comments": MADE,
    "POST /v/{slug}/comments/{cid}/edit": FLASHED,  # the committee's comment
    "POST /v/{slug}/comments/{cid}/hide": FLASHED,
    "POST /v/{slug}/comments/{cid}/report": MADE,
    # --- councils and votes -------------------------------------------------------------------
    "POST /v/{slug}/councils": ROLE,
    "POST /v/{slug}/councils/{cid}/archive": ROLE,
    "POST /v/{slug}/proposals/{pid}/votes/new": ROLE,
    "POST /v/{slug}/votes/{sid}/edit": ROLE,
    "POST /v/{slug}/votes/{sid}/open": ROLE,
    "POST /v/{slug}/votes/{sid}/close": ROLE,
    "POST /v/{slug}/votes/{sid}/cast": MADE,  # the villager is in the electorate
    "POST /v/{slug}/votes/{sid}/proxies": ROLE,
    "POST /v/{slug}/votes/{sid}/paper": ROLE,
    "POST /v/{slug}/votes/{sid}/paper/confirm": ROLE,
    # --- notices and objections -----------------------------------------------------------------
    "POST /v/{slug}/notices/new": ROLE,
    "POST /v/{slug}/notices/{nid}/attachments": ROLE,
    "POST /v/{slug}/notices/{nid}/edit": ROLE,
    "POST /v/{slug}/notices/{nid}/revise": ROLE,
    "POST /v/{slug}/notices/{nid}/submit": ROLE,
    "POST /v/{slug}/notices/{nid}/review": ROLE,
    "POST /v/{slug}/notices/{nid}/publish": ROLE,
    "POST /v/{slug}/notices/{nid}/close": ROLE,
    "POST /v/{slug}/notices/{nid}/objections": MADE,
    "POST /v/{slug}/objections/{oid}/reply": ROLE,
    # --- the township ---------------------------------------------------------------------------
    "POST /townships/{tid}/settings": OVERSEERS,
    "POST /townships/{tid}/seals": OVERSEERS,
    "POST /townships/{tid}/cases/{case_id}/answer": OVERSEERS,
    "POST /townships/{tid}/cases/{case_id}/direct": OVERSEERS,
    "POST /townships/{tid}/reports/{report_id}/replies": OVERSEERS,
    "POST /v/{slug}/reports": MADE,
    "POST /townships/{tid}/queue/{pid}/file": OVERSEERS,
    "POST /v/{slug}/votes/{sid}/export": (200,) * 5,  # a closed vote's workbook: public (the file itself)
    "POST /v/{slug}/export/members": ROLE,
    "POST /v/{slug}/export/notices": (LOGIN, 200, 404, 404, 404),  # the file, for V's members and monitors
    # --- the village's own rules (V's has a draft): the committee drafts, the township files --------------
    "POST /v/{slug}/charter": ROLE,
    "POST /v/{slug}/charter/{rid}/versions": ROLE,
    "POST /v/{slug}/charter/{rid}/versions/{vid}/edit": ROLE,
    "POST /v/{slug}/charter/{rid}/versions/{vid}/adopt": ROLE,
    "POST /v/{slug}/charter/{rid}/versions/{vid}/file": ROLE,  # V's members: only the township files (403)
    "POST /v/{slug}/charter/{rid}/versions/{vid}/return": ROLE,
    "POST /townships/{tid}/queue/{pid}/return": OVERSEERS,
    # --- meetings (V's is a draft) and requests to convene (the neighbour's) ------------------------------
    "POST /v/{slug}/meetings": ROLE,
    "POST /v/{slug}/meetings/{mid}/items": ROLE,
    "POST /v/{slug}/meetings/{mid}/announce": ROLE,
    "POST /v/{slug}/meetings/{mid}/cancel": ROLE,
    "POST /v/{slug}/meetings/{mid}/checkin/open": ROLE,
    "POST /v/{slug}/meetings/{mid}/checkin": NOT_NOW,  # a member, but not announced yet
    "POST /v/{slug}/meetings/{mid}/paper": ROLE,
    "POST /v/{slug}/meetings/{mid}/minutes": ROLE,
    "POST /v/{slug}/meetings/{mid}/attachments": ROLE,
    "POST /v/{slug}/meetings/{mid}/votes": ROLE,
    "POST /v/{slug}/petitions": MADE,
    "POST /v/{slug}/petitions/{pid}/sign": MADE,
    "POST /v/{slug}/petitions/{pid}/convene": ROLE,
    "POST /v/{slug}/petitions/{pid}/close": ROLE,
    # --- assisted records (代录): V's has one waiting, recorded by its committee ----------------------------
    "POST /v/{slug}/assisted": ROLE,
    "POST /v/{slug}/assisted/{act_id}/confirm": ROLE,
    "POST /v/{slug}/assisted/{act_id}/reject": ROLE,
    # --- the books (V's: last month closed and published, a draft voucher this month) -----------------
    "POST /v/{slug}/accounts/open": ROLE,  # the keepers (V's books are open: they would get a flash)
    "POST /v/{slug}/accounts/chart": ROLE,
    "POST /v/{slug}/accounts/chart/switch": ROLE,
    "POST /v/{slug}/accounts/receipts": ROLE,
    "POST /v/{slug}/accounts/chart/{code}/rename": ROLE,
    "POST /v/{slug}/accounts/openings": ROLE,
    "POST /v/{slug}/accounts/openings/file": ROLE,
    "POST /v/{slug}/accounts/periods/{period}/close": ROLE,
    "POST /v/{slug}/accounts/periods/{period}/reopen": ROLE,  # T's monitors only
    "POST /v/{slug}/accounts/vouchers/new": ROLE,
    "POST /v/{slug}/accounts/vouchers/{vid}/edit": OVERSEERS,  # a draft: the readers' only
    "POST /v/{slug}/accounts/vouchers/{vid}/review": OVERSEERS,
    "POST /v/{slug}/accounts/vouchers/{vid}/return": OVERSEERS,
    "POST /v/{slug}/accounts/vouchers/{vid}/post": OVERSEERS,
    "POST /v/{slug}/accounts/vouchers/{vid}/reverse": OVERSEERS,
    "POST /v/{slug}/accounts/vouchers/{vid}/delete": OVERSEERS,
    "POST /v/{slug}/accounts/vouchers/{vid}/receipts": OVERSEERS,
    "POST /v/{slug}/proposals/{pid}/fund/obligations": ROLE,
    "POST /v/{slug}/proposals/{pid}/fund/payments": ROLE,
    "POST /v/{slug}/proposals/{pid}/fund/labour": ROLE,
    "POST /v/{slug}/proposals/{pid}/fund/exemptions": ROLE,
    "POST /v/{slug}/accounts/contracts/new": ROLE,
    "POST /v/{slug}/accounts/contracts/{cid}/instalments/{iid}/receivable": ROLE,
    "POST /v/{slug}/accounts/contracts/{cid}/instalments/{iid}/payment": ROLE,
    "POST /v/{slug}/accounts/assets": ROLE,
    "POST /v/{slug}/accounts/assets/{aid}/dispose": ROLE,
}

NAMES = {"slug": "slug", "tid": "tid", "pid": "proposal", "sid": "vote", "nid": "notice", "uid": "member",
         "oid": "objection", "cid": "comment"}


def names_for(path: str) -> dict[str, str]:
    names = dict(NAMES)
    if "/councils/" in path:
        names["cid"] = "council"
    names.update(case_id="case", report_id="report")
    if "/charter/" in path:
        names.update(rid="village_rule", vid="rule_version")
    if path.endswith("/export"):
        names["sid"] = "closed_vote"
    if "/fund/" in path:
        names["pid"] = "fund_proposal"
    if "/accounts/" in path:
        names.update(code="account", period="period", vid="draft_voucher", cid="contract", iid="instalment",
                     aid="asset")
    if path.endswith("/votes/new"):
        names["pid"] = "vote_proposal"
    names["mid"] = "meeting"
    if "/petitions/" in path:
        names["pid"] = "petition"
    names["act_id"] = "assisted"
    return names


def form_for(key: str, m, user) -> tuple[dict, dict | None]:
    """A small valid form (and files) for the route."""
    proposal = {"title": "修水渠", "body": "东头水渠漏水，建议修补。", "category": "facilities",
                "procedure": "yishiyiyi"}
    notice = {"category": "village", "title": "改过的公开", "body": "内容", "days": "7"}
    voucher = {"date": local_today().isoformat(), "summary": "收租金", "account": ["102", "501"],
               "debit": ["5", ""], "credit": ["", "5"], "line_summary": ["", ""]}
    vote = {"council_id": str(m.ids["council"]), "question": "是否同意？", "ballot": "secret",
            "opens_at": "2030-01-01T10:00", "closes_at": "2030-01-02T10:00"}
    forms = {
        "POST /login": {"phone": (user or m.neighbour).phone, "password": PASSWORD, "next": "/"},
        "POST /activate": {"phone": unique_phone(), "code": "ABCDEFGHJK", "password": "Another-pass-2026",
                           "password2": "Another-pass-2026"},
        "POST /account/password": {"current_password": PASSWORD, "new_password": "1", "new_password2": "1"},
        "POST /admin/counties": {"name": "新县"},
        "POST /admin/townships": {"name": "新乡镇", "county_id": str(m.county_id)},
        "POST /admin/villages": {"name": "新村", "slug": unique_slug(), "township_id": str(m.T)},
        "POST /admin/monitors": {"township_id": str(m.T), "name": "新监督员", "phone": unique_phone()},
        "POST /v/{slug}/members/new": {"name": "新村民", "phone": unique_phone(), "birth_date": "1990-01-01"},
        "POST /v/{slug}/members/{uid}": {"household": "H-09", "roles": ["villager"]},
        "POST /v/{slug}/roster/confirm": {"upload_id": "0" * 32 + ".csv"},
        "POST /v/{slug}/settings": {"per_capita_cap": "15", "labour_days_cap": "10"},
        "POST /v/{slug}/proposals/new": proposal,
        "POST /v/{slug}/proposals/{pid}/edit": proposal,
        "POST /v/{slug}/proposals/{pid}/transition": {"action": "advance"},
        "POST /v/{slug}/proposals/{pid}/comments": {"body": "同意，早修早好。"},
        "POST /v/{slug}/comments/{cid}/edit": {"body": "改过的意见。"},
        "POST /v/{slug}/comments/{cid}/hide": {"reason": "与本事项无关"},
        "POST /v/{slug}/comments/{cid}/report": {"reason": "不实"},
        "POST /v/{slug}/councils": {"kind": "assembly"},
        "POST /v/{slug}/proposals/{pid}/votes/new": vote,
        "POST /v/{slug}/votes/{sid}/edit": vote,
        "POST /v/{slug}/votes/{sid}/cast": {"choice": "0"},
        "POST /v/{slug}/votes/{sid}/proxies": {"voter_id": str(m.neighbour.id), "proxy_id": str(m.supervisor.id)},
        "POST /v/{slug}/votes/{sid}/paper": {"present": [str(m.neighbour.id)], "count_0": "1", "count_1": "0",
                                             "count_2": "0", "invalid": "0"},
        "POST /v/{slug}/notices/new": notice,
        "POST /v/{slug}/notices/{nid}/edit": notice,
        "POST /v/{slug}/notices/{nid}/revise": notice,
        "POST /v/{slug}/notices/{nid}/review": {"decision": "approve"},
        "POST /v/{slug}/notices/{nid}/objections": {"body": "请说明预算来源。"},
        "POST /v/{slug}/objections/{oid}/reply": {"body": "预算来自村集体收入。"},
        "POST /townships/{tid}/settings": {"proxy_cap": "3"},
        "POST /v/{slug}/export/notices": {"from": local_today().strftime("%Y-%m")},
        "POST /v/{slug}/charter": {"kind": "code", "title": "新规约", "body": "第一条"},
        "POST /v/{slug}/charter/{rid}/versions": {"body": "第一条（修订）"},
        "POST /v/{slug}/charter/{rid}/versions/{vid}/edit": {"body": "第一条（改）"},
        "POST /v/{slug}/charter/{rid}/versions/{vid}/adopt": {"vote_session_id": str(m.ids["closed_vote"])},
        "POST /v/{slug}/charter/{rid}/versions/{vid}/return": {"reason": "请改正"},
        "POST /v/{slug}/accounts/open": {"chart": "2023"},
        "POST /v/{slug}/accounts/chart": {"parent": "112", "code": "11202", "name": "李四"},
        "POST /v/{slug}/accounts/chart/switch": {"chart": "2004"},
        "POST /v/{slug}/accounts/receipts": {"public": "1"},
        "POST /v/{slug}/accounts/chart/{code}/rename": {"name": "张三（借款）"},
        "POST /v/{slug}/accounts/periods/{period}/reopen": {"reason": "漏了一张发票"},
        "POST /v/{slug}/accounts/vouchers/new": voucher,
        "POST /v/{slug}/accounts/vouchers/{vid}/edit": voucher,
        "POST /v/{slug}/accounts/vouchers/{vid}/return": {"note": "金额不对"},
        "POST /v/{slug}/accounts/vouchers/{vid}/delete": {"confirm": "1"},
        "POST /v/{slug}/proposals/{pid}/fund/payments": {"household_id": str(m.ids["household"]), "amount": "1",
                                                         "receipt_no": f"R{unique_phone()}"},
        "POST /v/{slug}/proposals/{pid}/fund/labour": {"user_id": str(m.neighbour.id), "days": "1"},
        "POST /v/{slug}/proposals/{pid}/fund/exemptions": {"user_id": str(m.neighbour.id), "reason": "student"},
        "POST /v/{slug}/accounts/assets": {"name": "抽水泵", "value": "800", "acquired_on": local_today().isoformat()},
        "POST /v/{slug}/accounts/assets/{aid}/dispose": {"note": "报废"},
        "POST /townships/{tid}/cases/{case_id}/answer": {"answer": "已核实。"},
        "POST /townships/{tid}/cases/{case_id}/direct": {"note": "请按期答复",
                                                         "due_date": (local_today() + timedelta(days=7)).isoformat()},
        "POST /townships/{tid}/reports/{report_id}/replies": {"body": "收到，正在核实。"},
        "POST /v/{slug}/reports": {"body": "请乡镇关注村道工程的质量。"},
        "POST /townships/{tid}/queue/{pid}/return": {"reason": "请修改方案"},
        "POST /v/{slug}/meetings": {"council_id": str(m.ids["council"]), "title": "会", "place": "村部",
                                    "starts_at": "2030-01-01T10:00"},
        "POST /v/{slug}/meetings/{mid}/items": {"text": "再议一项"},
        "POST /v/{slug}/meetings/{mid}/cancel": {"reason": "改期"},
        "POST /v/{slug}/meetings/{mid}/checkin": {"code": "123456"},
        "POST /v/{slug}/meetings/{mid}/paper": {"user_ids": [str(m.neighbour.id)]},
        "POST /v/{slug}/meetings/{mid}/minutes": {"minutes": "纪要"},
        "POST /v/{slug}/meetings/{mid}/votes": {"vote_session_id": str(m.ids["closed_vote"])},
        "POST /v/{slug}/petitions": {"kind": "assembly", "reason": "议修路"},
        "POST /v/{slug}/petitions/{pid}/convene": {"meeting_id": str(m.ids["meeting"])},
        "POST /v/{slug}/petitions/{pid}/close": {"reason": "重复"},
        "POST /v/{slug}/assisted": {"kind": "comment", "user_id": str(m.neighbour.id),
                                    "target_id": str(m.ids["proposal"]), "body": "同意修桥。"},
        "POST /v/{slug}/assisted/{act_id}/reject": {"reason": "签名看不清"},
    }
    files = None
    if key.endswith(("/attachments", "/vouchers/{vid}/receipts")):
        files = {"file": ("凭证.png", png(), "image/png")}
    if key == "POST /v/{slug}/accounts/openings/file":
        files = {"file": ("期初.csv", "科目编号,期初借方,期初贷方\n102,1,\n301,,1\n".encode(), "text/csv")}
    if key == "POST /v/{slug}/roster":
        files = {"file": ("名册.csv", "姓名,手机号,出生日期\n新村民,13800000000,1990-01-01\n".encode(), "text/csv")}
    return forms.get(key, {}), files


# Calls that would end or replace the caller's cached session: they get a session of their own.
FRESH_SESSION = {"POST /login", "POST /logout"}


class Browser:
    """A caller's client with its session's CSRF token (anonymous: the anonymous cookie's)."""

    def __init__(self, app, user):
        self.user = user
        self.client = unique_client(app, follow_redirects=False).__enter__()
        self.token = login(self.client, user) if user is not None else page_csrf(self.client, "/login")

    def close(self):
        self.client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def matrix(app, database):
    with Session(database.engine, expire_on_commit=False) as db, unique_client(app, follow_redirects=False) as c:
        m = build(db, database.settings, c)
        m.browsers = {name: Browser(app, m.caller(name)) for name in CALLERS}
        yield m
        for b in m.browsers.values():
            b.close()


def call(m, key: str, caller: str):
    """The answer, and for a redirect elsewhere than the login form, the page it leads to."""
    method, path, _ = split_key(key)
    url = fill(path, m.ids, names_for(path))
    fresh = key in FRESH_SESSION
    browser = Browser(m.client.app, m.caller(caller)) if fresh else m.browsers[caller]
    try:
        data, files = form_for(key, m, browser.user)
        r = browser.client.post(url, data={**data, "csrf_token": browser.token}, files=files)
        where = r.headers.get("location", "")
        following = browser.client.get(where) if r.status_code == 303 and not where.startswith("/login") else None
        return r, following
    finally:
        if fresh:
            browser.close()


def outcome(r, following) -> str | int:
    """The answer as the table writes it."""
    if r.status_code != 303:
        return r.status_code
    if r.headers["location"].startswith("/login"):
        return LOGIN
    assert following is not None
    return REFUSED if "flash-error" in following.text else DONE


CASES = [pytest.param(key, i, caller, id=f"{key}-{caller}") for key in EXPECTED for i, caller in enumerate(CALLERS)]


@pytest.mark.parametrize(("key", "index", "caller"), CASES)
def test_form_authorization(matrix, key, index, caller):
    expected = EXPECTED[key][index]
    before = matrix.heads() if expected in (LOGIN, REFUSED, 403, 404) else None
    r, following = call(matrix, key, caller)
    got = outcome(r, following)
    assert got == expected, f"{key} as {caller}: {got} ({r.status_code} {r.headers.get('location') or r.text[:200]})"
    shown = f"{key} as {caller}"
    if r.status_code in (403, 404):
        assert r.headers["content-type"].startswith("text/html"), shown
        assert "页面已过期或来源不明" not in r.text, f"{shown}: refused for CSRF, not for the caller"
    if before is not None:
        assert matrix.heads() == before, f"{key} as {caller} was refused yet wrote to an audit chain"


def test_every_form_route_has_an_entry(app):
    """A new form route (POST outside /api and /static) needs its row here; a row whose route is gone goes."""
    live = {f"{m} {p}" for m, p in routes(app) if m == "POST" and not p.startswith(("/api/", "/static"))}
    listed = {" ".join(split_key(k)[:2]) for k in EXPECTED}
    assert not live - listed, f"form routes without a row in EXPECTED: {sorted(live - listed)}"
    assert not listed - live, f"rows in EXPECTED for routes that no longer exist: {sorted(listed - live)}"
    assert all(len(row) == len(CALLERS) for row in EXPECTED.values())
