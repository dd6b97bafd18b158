"""The village's books through the JSON API, as a new client would use them, on both engines: opening
the books, the chart and its sub-accounts, opening balances, vouchers from draft to posted with their
receipts and every refusal, closing a month and the finance notice it drafts, the statement's figures,
reopening by the township's monitor, reversal, and who sees which month when."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.bounds import MAX_FEN
from tests.factories import Api, Staff, items, ok, png, refused

# The books of every test here start in 2026-04 and "today" is 2026-05-10 (Beijing).
TODAY = date(2026, 5, 10)
FIRST = "2026-04"


@pytest.fixture
def kept(api, world, clock):
    """A village whose books start in 2026-04 with 10,000 元 in the bank, and a second committee member."""
    clock.on_day(TODAY)
    s = Staff(world)
    s.second = world.member(s.village, "committee", name="副主任")
    s.monitor = world.monitor(s.village.township_id)
    vid = s.village.id
    ok(api.post(f"/villages/{vid}/ledger", s.accountant, {"chart": "2023", "first_period": FIRST}), 201)
    ok(api.put(f"/villages/{vid}/ledger/openings", s.accountant,
               {"rows": [{"code": "102", "debit": 1_000_000}, {"code": "301", "credit": 1_000_000}]}))
    return s


def line(account: str, debit: int = 0, credit: int = 0, summary: str = "") -> dict:
    return {"account": account, "debit": debit, "credit": credit, "summary": summary}


def body(day: date, summary: str, *lines: dict) -> dict:
    return {"date": day.isoformat(), "summary": summary, "lines": list(lines)}


RENT = (line("102", debit=500_000), line("501", credit=500_000))
LIGHTS = (line("514", debit=12_345), line("102", credit=12_345))


def draft(api: Api, s: Staff, day: date, summary: str, *lines: dict, user=None) -> dict:
    return ok(api.post(f"/villages/{s.village.id}/vouchers", user or s.accountant, body(day, summary, *lines)), 201)


def posted(api: Api, s: Staff, day: date, summary: str, *lines: dict) -> dict:
    v = draft(api, s, day, summary, *lines)
    ok(api.post(f"/vouchers/{v['id']}/review", s.committee))
    return ok(api.post(f"/vouchers/{v['id']}/post", s.second))


def publish_notice(api: Api, s: Staff, nid: int) -> None:
    """The month's finance notice: submitted by the accountant, approved by the supervisor, published."""
    ok(api.post(f"/notices/{nid}/submit", s.accountant))
    ok(api.post(f"/notices/{nid}/review", s.supervisor, {"approve": True}))
    assert ok(api.post(f"/notices/{nid}/publish", s.committee))["state"] == "published"


def delete(api: Api, path: str, user):
    return api.client.delete(api.base + path, headers=api.headers(user))


def total(api: Api, s: Staff) -> int:
    return ok(api.get(f"/villages/{s.village.id}/vouchers", s.accountant))["total"]


# --- the ledger -----------------------------------------------------------------------------------

def test_opening_the_books_and_who_may(api, world, clock):
    clock.on_day(TODAY)
    s, other = Staff(world), Staff(world)
    monitor = world.monitor(s.village.township_id)
    path = f"/villages/{s.village.id}/ledger"
    refused(api.get(path), 404, "还没有建账")
    refused(api.get(f"/villages/{s.village.id}/accounts"), 404, "还没有建账")
    refused(api.get(f"/villages/{s.village.id}/vouchers", s.committee), 404, "还没有建账")
    refused(api.get(f"/villages/{s.village.id}/periods", s.committee), 404, "还没有建账")

    refused(api.post(path, None, {}), 401)
    for user in (s.villager, s.supervisor, s.party, monitor):
        refused(api.post(path, user, {}), 403)
    refused(api.post(path, other.committee, {}), 404)
    assert refused(api.post(path, s.accountant, {"chart": "1999"}), 422)["errors"][0]["field"] == "chart"
    assert refused(api.post(path, s.accountant, {"first_period": "2026-06"}), 422,
                   "不能晚于本月")["errors"][0]["field"] == "first_period"
    refused(api.post(path, s.accountant, {"first_period": "2026/04"}), 422, "2026-01")
    refused(api.get(path), 404)  # nothing was opened by the refusals

    ledger = ok(api.post(path, s.accountant, {}), 201)
    assert ledger["chart"] == "2023" and "财会〔2023〕14号" in ledger["citation"]
    assert ledger["first_period"] == "2026-05" and ledger["first_period_label"] == "2026年5月"
    assert ledger["receipts_public"] is False
    refused(api.post(path, s.committee, {"chart": "2004"}), 409, "已经建账")
    assert ok(api.get(path)) == ledger  # public, no login
    chart = items(api.get(f"/villages/{s.village.id}/accounts"))
    assert len(chart) == 42 and all(a["statutory"] and a["leaf"] and a["depth"] == 0 for a in chart)
    assert chart[0] == {"code": "101", "name": "库存现金", "kind": "asset", "kind_name": "资产类", "side": "debit",
                        "side_name": "借", "statutory": True, "leaf": True, "parent": None, "depth": 0,
                        "opening": None}
    assert items(api.get(f"/villages/{s.village.id}/accounts", s.supervisor))[0]["opening"] == 0


def test_the_chart_changes_until_the_first_voucher_and_receipts_go_public_by_the_committee(api, kept):
    path = f"/villages/{kept.village.id}/ledger"
    refused(api.patch(path, kept.villager, {"chart": "2004"}), 403)
    refused(api.patch(path, None, {"chart": "2004"}), 401)
    refused(api.patch(path, kept.accountant, {}), 422, "要写明改什么")
    refused(api.patch(path, kept.accountant, {"chart": "2010"}), 422, "2023 或 2004")
    assert ok(api.patch(path, kept.accountant, {"chart": "2004"}))["chart"] == "2004"
    accounts = {a["code"]: a["name"] for a in items(api.get(f"/villages/{kept.village.id}/accounts"))}
    assert accounts["101"] == "现金" and accounts["511"] == "发包及上交收入" and len(accounts) == 36
    assert ok(api.patch(path, kept.committee, {"chart": "2023"}))["chart_title"] == "农村集体经济组织会计制度（2023）"

    refused(api.patch(path, kept.accountant, {"receipts_public": True}), 403, "村委会")
    assert ok(api.patch(path, kept.committee, {"receipts_public": True}))["receipts_public"] is True

    draft(api, kept, date(2026, 4, 5), "收租金", *RENT)
    refused(api.patch(path, kept.accountant, {"chart": "2004"}), 409, "已经有凭证了")
    assert ok(api.get(path))["chart"] == "2023"


# --- the chart and its sub-accounts ---------------------------------------------------------------

def test_sub_accounts_under_the_chart(api, world, kept):
    other = Staff(world)
    path = f"/villages/{kept.village.id}/accounts"
    zhang = {"parent": "112", "code": "11201", "name": "张三"}
    refused(api.post(path, None, zhang), 401)
    refused(api.post(path, kept.villager, zhang), 403)
    refused(api.post(path, kept.supervisor, zhang), 403)
    refused(api.post(path, other.committee, zhang), 404)
    refused(api.post(path, kept.accountant, {**zhang, "parent": "999"}), 422, "上级科目不存在")
    refused(api.post(path, kept.accountant, {**zhang, "code": "11301"}), 422, "后面加两位数字")
    refused(api.post(path, kept.accountant, {**zhang, "name": " "}), 422, "科目名称")
    refused(api.post(path, kept.accountant, {"parent": "102", "code": "10201", "name": "农商行"}), 409,
            "有期初余额")

    made = ok(api.post(path, kept.accountant, zhang), 201)
    assert made == {"code": "11201", "name": "张三", "kind": "asset", "kind_name": "资产类", "side": "debit",
                    "side_name": "借", "statutory": False, "leaf": True, "parent": "112", "depth": 1, "opening": 0}
    refused(api.post(path, kept.accountant, zhang), 422, "已经有了")
    codes = [a["code"] for a in items(api.get(path, kept.villager))]
    assert codes[codes.index("112") + 1] == "11201"  # right under its account
    assert "11201" not in [a["code"] for a in items(api.get(path))]  # a debtor's name is not public
    chart = {a["code"]: a for a in items(api.get(path, kept.villager))}
    assert chart["112"]["leaf"] is False and chart["11201"]["parent"] == "112"

    refused(api.patch(f"{path}/11201", kept.villager, {"name": "张三（借款）"}), 403)
    refused(api.patch(f"{path}/112", kept.accountant, {"name": "别的"}), 409, "不能改名")
    refused(api.patch(f"{path}/11299", kept.accountant, {"name": "别的"}), 404, "找不到这个科目")
    refused(api.patch(f"{path}/11201", kept.accountant, {"name": "张" * 41}), 422, "40")
    renamed = ok(api.patch(f"{path}/11201", kept.committee, {"name": "张三（借款）"}))
    assert renamed["name"] == "张三（借款）"
    # a line on the parent is refused; the sub-account takes it, and the line shows the full name
    refused(api.post(f"/villages/{kept.village.id}/vouchers", kept.accountant,
                     body(date(2026, 4, 3), "借款", line("112", debit=100), line("102", credit=100))), 422,
            "最末一级")
    v = draft(api, kept, date(2026, 4, 3), "借给张三", line("11201", debit=100), line("102", credit=100))
    assert [(ln["code"], ln["account"]) for ln in v["lines"]] == [("11201", "应收款—张三（借款）"), ("102", "银行存款")]
    refused(api.post(path, kept.accountant, {"parent": "11201", "code": "1120101", "name": "本金"}), 409,
            "已经有凭证了")


# --- opening balances -----------------------------------------------------------------------------

@pytest.mark.parametrize(("rows", "status", "words"), [
    ([{"code": "102", "debit": 100}, {"code": "301", "credit": 99}], 422, "不相等"),
    ([{"code": "999", "debit": 100}, {"code": "301", "credit": 100}], 422, "不存在"),
    ([{"code": "102", "debit": 100}, {"code": "102", "credit": 100}], 422, "重复"),
    ([{"code": "102", "debit": 100, "credit": 100}], 422, "只能填一个"),
    ([{"code": "102", "debit": 1.5}, {"code": "301", "credit": 1.5}], 422, None),
    ([{"code": "102", "debit": "100"}, {"code": "301", "credit": "100"}], 422, None),
    ([{"code": "102", "debit": -100}, {"code": "301", "credit": -100}], 422, "超出允许范围"),
    ([{"code": "102", "debit": MAX_FEN + 1}, {"code": "301", "credit": MAX_FEN + 1}], 422, "超出允许范围"),
])
def test_openings_are_refused_unless_balanced_on_leaf_accounts(api, kept, rows, status, words):
    path = f"/villages/{kept.village.id}/ledger/openings"
    refused(api.put(path, kept.accountant, {"rows": rows}), status, words)
    bank = {a["code"]: a for a in items(api.get(f"/villages/{kept.village.id}/accounts", kept.accountant))}["102"]
    assert bank["opening"] == 1_000_000  # unchanged


def test_openings_name_leaf_accounts_and_freeze_once_a_voucher_is_posted(api, world, kept):
    vid = kept.village.id
    path = f"/villages/{vid}/ledger/openings"
    rows = {"rows": [{"code": "101", "debit": 20_000}, {"code": "102", "debit": 980_000},
                     {"code": "301", "credit": 1_000_000}]}
    refused(api.put(path, None, rows), 401)
    refused(api.put(path, kept.villager, rows), 403)
    refused(api.put(path, kept.supervisor, rows), 403)
    refused(api.put(path, Staff(world).committee, rows), 404)
    ok(api.post(f"/villages/{vid}/accounts", kept.accountant, {"parent": "112", "code": "11201", "name": "张三"}), 201)
    refused(api.put(path, kept.accountant, {"rows": [{"code": "112", "debit": 5}, {"code": "301", "credit": 5}]}),
            422, "最末一级")
    assert ok(api.put(path, kept.committee, rows)) == {"count": 3}
    seen = {a["code"]: a["opening"] for a in items(api.get(f"/villages/{vid}/accounts", kept.supervisor))}
    assert (seen["101"], seen["102"], seen["301"], seen["501"]) == (20_000, 980_000, 1_000_000, 0)
    assert {a["opening"] for a in items(api.get(f"/villages/{vid}/accounts", kept.villager))} == {None}
    posted(api, kept, date(2026, 4, 5), "收租金", *RENT)
    refused(api.put(path, kept.accountant, rows), 409, "期初余额不能再改")


# --- vouchers: what is refused ----------------------------------------------------------------------

@pytest.mark.parametrize(("lines", "field", "words"), [
    ((line("102", debit=100), line("501", credit=99)), "lines", "借贷不平"),
    ((line("102"), line("501")), "lines.1.amount", "没有金额"),
    ((line("102", debit=100, credit=100), line("501", credit=100)), "lines.1.amount", "不能同时有借方和贷方"),
    ((line("999", debit=100), line("501", credit=100)), "lines.1.account", "不存在"),
    ((line("102", debit=100),), "lines", "至少要有两行"),
    ((line("102", debit=100), line("102", credit=100)) * 16, "lines", "最多 30 行"),
    ((line("102", debit=MAX_FEN + 1), line("501", credit=MAX_FEN + 1)), "lines.0.debit", "超出允许范围"),
    ((line("102", debit=MAX_FEN), line("101", debit=1), line("501", credit=MAX_FEN), line("504", credit=1)),
     "lines", "合计不能超过"),
    ((line("102", debit=-100), line("501", credit=-100)), "lines.0.debit", "超出允许范围"),
    (({**line("102"), "debit": 100.5}, line("501", credit=100)), "lines.0.debit", "应为数字"),
    (({**line("102"), "debit": 100.0}, line("501", credit=100)), "lines.0.debit", "应为数字"),
    (({**line("102"), "debit": "100"}, line("501", credit=100)), "lines.0.debit", "应为数字"),
])
def test_a_bad_voucher_is_refused_whole_with_the_field_named(api, kept, lines, field, words):
    before = total(api, kept)
    problem = refused(api.post(f"/villages/{kept.village.id}/vouchers", kept.accountant,
                               body(date(2026, 4, 5), "有错的凭证", *lines)), 422, words)
    assert field in {e["field"] for e in problem["errors"]}, problem
    assert total(api, kept) == before


def test_a_voucher_needs_a_date_in_an_open_month_of_the_books_and_a_summary(api, kept):
    path = f"/villages/{kept.village.id}/vouchers"
    for day, words in ((date(2026, 3, 31), "不能更早"), (date(2026, 5, 11), "晚于今天")):
        problem = refused(api.post(path, kept.accountant, body(day, "日期不对", *RENT)), 422, words)
        assert problem["errors"][0]["field"] == "date"
    refused(api.post(path, kept.accountant, {"summary": "没有日期", "lines": list(RENT)}), 422, "请填写凭证日期")
    refused(api.post(path, kept.accountant, body(TODAY, " ", *RENT)), 422, "请填写摘要")
    refused(api.post(path, kept.accountant, body(TODAY, "摘" * 61, *RENT)), 422, "最多 60 个字")
    refused(api.post(path, kept.accountant, {**body(TODAY, "日期", *RENT), "date": "2026-02-30"}), 422, "日期")
    refused(api.post(path, kept.accountant, {**body(TODAY, "事项", *RENT), "proposal_id": 2_000_000_000}), 422,
            "关联的事项不存在")
    # a closed month takes no voucher
    posted(api, kept, date(2026, 4, 5), "收租金", *RENT)
    ok(api.post(f"/villages/{kept.village.id}/periods/{FIRST}/close", kept.accountant))
    problem = refused(api.post(path, kept.accountant, body(date(2026, 4, 30), "补一张", *RENT)), 422, "已经结账")
    assert problem["errors"][0]["field"] == "date"
    assert total(api, kept) == 1


def test_who_may_write_and_see_a_draft(api, world, kept):
    other = Staff(world)
    path = f"/villages/{kept.village.id}/vouchers"
    new = body(date(2026, 4, 5), "收租金", *RENT)
    refused(api.post(path, None, new), 401)
    for user in (kept.villager, kept.supervisor, kept.party, kept.monitor):
        refused(api.post(path, user, new), 403)
    refused(api.post(path, other.committee, new), 404)
    v = draft(api, kept, date(2026, 4, 5), "收租金", *RENT)
    assert v["state"] == "draft" and v["number"] is None and v["label"] == "未编号" and v["preparer"] == "报账员"
    assert v["total"] == 500_000 and v["period"] == FIRST and v["date"] == "2026-04-05"
    assert v["caps"] == {"edit": True, "delete": True, "attach": True, "review": False, "return": False,
                         "post": False, "reverse": False}
    vid = v["id"]
    # the draft is the readers' only: the keepers, the committees and the township's monitor
    for user in (kept.supervisor, kept.party, kept.monitor, kept.committee):
        assert ok(api.get(f"/vouchers/{vid}", user))["summary"] == "收租金"
    for user in (None, kept.villager, other.committee):
        refused(api.get(f"/vouchers/{vid}", user), 404, "找不到这张凭证")
        assert items(api.get(path, user)) == []
    refused(api.get("/vouchers/2000000000", kept.accountant), 404)
    # who may change it
    refused(api.put(f"/vouchers/{vid}", kept.villager, new), 404)
    refused(api.put(f"/vouchers/{vid}", kept.supervisor, new), 403)
    refused(delete(api, f"/vouchers/{vid}", kept.monitor), 403)
    refused(api.post(f"/vouchers/{vid}/review", kept.accountant), 403)
    refused(api.post(f"/vouchers/{vid}/review", kept.supervisor), 403)
    refused(api.post(f"/vouchers/{vid}/review", None), 401)  # log in first, then 404
    refused(api.post(f"/vouchers/{vid}/return", kept.accountant, {"note": "重做"}), 403)
    refused(api.post(f"/vouchers/{vid}/post", kept.committee), 409, "要先审核")
    refused(api.post(f"/vouchers/{vid}/reverse", kept.accountant), 409, "只有已记账的凭证")


def test_a_draft_is_rewritten_returned_and_thrown_away(api, kept):
    v = draft(api, kept, date(2026, 4, 5), "收租金", *RENT, user=kept.committee)
    vid = v["id"]
    refused(api.post(f"/vouchers/{vid}/review", kept.committee), 409, "制单人不能审核")
    assert ok(api.post(f"/vouchers/{vid}/review", kept.second))["state"] == "reviewed"
    refused(api.post(f"/vouchers/{vid}/review", kept.second), 409, "只有待审核")
    refused(api.post(f"/vouchers/{vid}/return", kept.second, {"note": " "}), 422, "退回的原因")
    refused(api.post(f"/vouchers/{vid}/return", kept.second, {}), 422, "退回的原因")
    back = ok(api.post(f"/vouchers/{vid}/return", kept.second, {"note": "金额写错了"}))
    assert back["state"] == "draft" and back["review_note"] == "金额写错了" and back["reviewer"] is None
    assert any("金额写错了" in n["text"] for n in items(api.get("/me/notifications", kept.committee)))

    new = body(date(2026, 4, 6), "收鱼塘租金", line("102", debit=480_000, summary="农商行"),
               line("501", credit=480_000))
    refused(api.put(f"/vouchers/{vid}", kept.accountant, body(date(2026, 4, 6), "错", line("102", debit=1),
                                                               line("501", credit=2))), 422, "借贷不平")
    assert ok(api.get(f"/vouchers/{vid}", kept.accountant))["total"] == 500_000  # unchanged
    rewritten = ok(api.put(f"/vouchers/{vid}", kept.accountant, new))
    assert (rewritten["summary"], rewritten["date"], rewritten["total"]) == ("收鱼塘租金", "2026-04-06", 480_000)
    assert rewritten["lines"][0] == {"lineno": 1, "code": "102", "account": "银行存款", "summary": "农商行",
                                     "debit": 480_000, "credit": 0}
    # a reviewed voucher that is rewritten waits for review again
    ok(api.post(f"/vouchers/{vid}/review", kept.second))
    assert ok(api.put(f"/vouchers/{vid}", kept.accountant, new))["state"] == "draft"

    refused(delete(api, f"/vouchers/{vid}", kept.villager), 404)
    refused(delete(api, f"/vouchers/{vid}", kept.supervisor), 403)
    assert delete(api, f"/vouchers/{vid}", kept.accountant).status_code == 204
    refused(api.get(f"/vouchers/{vid}", kept.accountant), 404)
    refused(delete(api, f"/vouchers/{vid}", kept.accountant), 404)


def test_the_list_filters_by_month_and_state_and_pages(api, kept):
    path = f"/villages/{kept.village.id}/vouchers"
    first = posted(api, kept, date(2026, 4, 5), "收租金", *RENT)
    second = posted(api, kept, date(2026, 4, 9), "付电费", *LIGHTS)
    may = draft(api, kept, date(2026, 5, 2), "五月草稿", *RENT)
    assert [v["id"] for v in items(api.get(path, kept.supervisor))] == [may["id"], second["id"], first["id"]]
    assert [v["id"] for v in items(api.get(path, kept.supervisor, period=FIRST))] == [second["id"], first["id"]]
    assert [v["id"] for v in items(api.get(path, kept.supervisor, state="draft"))] == [may["id"]]
    row = items(api.get(path, kept.supervisor, state="posted", per_page=1))[0]
    assert row["label"] == "记字第 2 号" and row["state_name"] == "已记账" and row["receipt_count"] == 0
    assert items(api.get(path, kept.supervisor, state="posted", per_page=1, page=2))[0]["id"] == first["id"]
    refused(api.get(path, kept.supervisor, state="lost"), 422, "状态只能是")
    refused(api.get(path, kept.supervisor, period="April"), 422)
    refused(api.get(path, kept.supervisor, per_page=201), 422)


# --- the whole path ---------------------------------------------------------------------------------

def test_from_the_books_to_the_published_month_and_its_correction(api, world, kept, clock):
    vid = kept.village.id
    # a voucher with its receipt, reviewed by one committee member and posted by another
    rent = draft(api, kept, date(2026, 4, 5), "收鱼塘承包费", *RENT)
    receipt = ok(api.upload(f"/vouchers/{rent['id']}/attachments", kept.accountant, png(), "收据.png"), 201)
    refused(api.upload(f"/vouchers/{rent['id']}/attachments", kept.villager, png()), 404)
    refused(api.upload(f"/vouchers/{rent['id']}/attachments", kept.supervisor, png()), 403)
    reviewed = ok(api.post(f"/vouchers/{rent['id']}/review", kept.committee))
    assert reviewed["state"] == "reviewed" and reviewed["reviewer"] == "主任" and reviewed["reviewed_at"]
    assert ok(api.get(f"/vouchers/{rent['id']}", kept.second))["caps"]["post"] is True
    rent = ok(api.post(f"/vouchers/{rent['id']}/post", kept.second))
    assert (rent["state"], rent["number"], rent["label"], rent["poster"]) == ("posted", 1, "记字第 1 号", "副主任")
    assert rent["receipt_count"] == 1 and [r["id"] for r in rent["receipts"]] == [receipt["id"]]
    assert rent["receipts"][0]["url"] == f"/api/v1/attachments/{receipt['id']}"
    assert not any(rent["caps"][k] for k in ("edit", "delete", "attach", "review", "return", "post"))
    lights = posted(api, kept, date(2026, 4, 9), "付路灯电费", *LIGHTS)
    assert lights["number"] == 2

    # a posted voucher never changes
    refused(api.upload(f"/vouchers/{rent['id']}/attachments", kept.accountant, png()), 409, "不能再加原始凭证")
    refused(api.put(f"/vouchers/{rent['id']}", kept.accountant, body(date(2026, 4, 5), "改", *RENT)), 409,
            "红字冲销")
    refused(delete(api, f"/vouchers/{rent['id']}", kept.accountant), 409)
    refused(api.post(f"/vouchers/{rent['id']}/review", kept.committee), 409)
    refused(api.post(f"/vouchers/{rent['id']}/return", kept.committee, {"note": "错了"}), 409)
    refused(api.post(f"/vouchers/{rent['id']}/post", kept.committee), 409, "已经记账")

    # the month closes: in order, once it has ended, with every voucher posted
    waiting = draft(api, kept, date(2026, 4, 20), "没记账", *LIGHTS)
    refused(api.post(f"/villages/{vid}/periods/{FIRST}/close", kept.accountant), 409, "1 张凭证没有记账")
    assert delete(api, f"/vouchers/{waiting['id']}", kept.accountant).status_code == 204
    refused(api.post(f"/villages/{vid}/periods/2026-05/close", kept.accountant), 409, "还没有过完")
    refused(api.post(f"/villages/{vid}/periods/{FIRST}/close", kept.villager), 403)
    refused(api.post(f"/villages/{vid}/periods/{FIRST}/close", kept.supervisor), 403)
    refused(api.post(f"/villages/{vid}/periods/{FIRST}/close", None), 401)
    april = ok(api.post(f"/villages/{vid}/periods/{FIRST}/close", kept.accountant))
    assert (april["state"], april["state_name"], april["vouchers"], april["waiting"]) == ("closed", "已结账", 2, 0)
    assert april["closed_by"] == "报账员" and april["closed_at"] and april["notice_id"]
    assert april["notice_state"] == "draft" and april["label"] == "2026年4月"
    refused(api.post(f"/villages/{vid}/periods/{FIRST}/close", kept.accountant), 409, "已经结账了")

    # the statement's figures
    s = ok(api.get(f"/villages/{vid}/periods/{FIRST}/statement", kept.supervisor))
    assert (s["closed"], s["balanced"], s["vouchers"], s["label"], s["year_to_date"]) == (
        True, True, 2, "2026年4月", False)
    rows = {r["code"]: r for r in s["rows"]}
    assert rows["102"] == {"code": "102", "name": "银行存款", "depth": 0, "kind": "asset", "side": "debit",
                           "opening": 1_000_000, "debit": 500_000, "credit": 12_345, "closing": 1_487_655}
    assert (rows["501"]["credit"], rows["501"]["closing"], rows["514"]["closing"]) == (500_000, 500_000, 12_345)
    assert s["totals"] == {"opening_debit": 1_000_000, "opening_credit": 1_000_000, "debit": 512_345,
                           "credit": 512_345, "closing_debit": 1_500_000, "closing_credit": 1_500_000}
    assert s["cash"] == {"opening": 1_000_000, "received": 500_000, "paid": 12_345, "closing": 1_487_655}
    assert s["income"] == [{"code": "501", "name": "经营收入", "total": 500_000, "lines": [
        {"voucher_id": rent["id"], "number": 1, "summary": "收鱼塘承包费", "amount": 500_000, "receipts": 1}]}]
    assert [(g["code"], g["total"], g["lines"][0]["number"]) for g in s["expense"]] == [("514", 12_345, 2)]
    assert (s["income_total"], s["expense_total"]) == (500_000, 12_345)
    ytd = ok(api.get(f"/villages/{vid}/periods/{FIRST}/statement", kept.supervisor, ytd="true"))
    assert ytd["year_to_date"] and ytd["start"] == FIRST and ytd["cash"] is None and ytd["income"] == []
    may = ok(api.get(f"/villages/{vid}/periods/2026-05/statement", kept.accountant))
    assert may["cash"]["opening"] == 1_487_655 and may["closed"] is False
    # a month before the books begin has no books: not a statement of opening balances
    refused(api.get(f"/villages/{vid}/periods/2026-03/statement", kept.accountant), 404, "2026年3月在建账之前")

    # the finance notice drafted by the close, as its reviewer sees it
    notice = ok(api.get(f"/notices/{april['notice_id']}", kept.supervisor))
    assert notice["category"] == "finance" and notice["state"] == "draft" and notice["links"]["period"] == FIRST
    assert "收鱼塘承包费" in notice["body"] and "14,876.55" in notice["body"]

    # reopened by the township's monitor only, with a reason
    reopen = f"/villages/{vid}/periods/{FIRST}/reopen"
    refused(api.post(reopen, kept.committee, {"reason": "漏了一张"}), 403, "乡镇监督员")
    refused(api.post(reopen, None, {"reason": "漏了一张"}), 401)
    refused(api.post(reopen, kept.monitor, {"reason": " "}), 422, "反结账的原因")
    refused(api.post(f"/villages/{vid}/periods/2026-05/reopen", kept.monitor, {"reason": "错"}), 409, "没有结账")
    opened = ok(api.post(reopen, kept.monitor, {"reason": "漏了一张发票"}))
    assert opened["state"] == "open" and opened["reopen_reason"] == "漏了一张发票" and opened["notice_id"]
    months = {m["period"]: m for m in items(api.get(f"/villages/{vid}/periods", kept.accountant))}
    assert set(months) == {"2026-05", FIRST} and months[FIRST]["reopen_reason"] == "漏了一张发票"

    # the posted voucher is corrected by a reversal that cites it
    refused(api.post(f"/vouchers/{rent['id']}/reverse", kept.villager, {}), 404)  # the month is not public
    refused(api.post(f"/vouchers/{rent['id']}/reverse", kept.supervisor, {}), 403)
    red = ok(api.post(f"/vouchers/{rent['id']}/reverse", kept.accountant, {"date": "2026-05-02"}), 201)
    assert red["reverses_id"] == rent["id"] and red["state"] == "draft" and red["period"] == "2026-05"
    assert red["summary"] == "冲销2026年4月记字第1号凭证"
    assert [(ln["code"], ln["debit"], ln["credit"]) for ln in red["lines"]] == [("102", 0, 500_000),
                                                                              ("501", 500_000, 0)]
    assert red["caps"]["edit"] is False
    refused(api.put(f"/vouchers/{red['id']}", kept.accountant, body(date(2026, 5, 2), "改", *RENT)), 409)
    refused(api.post(f"/vouchers/{red['id']}/reverse", kept.accountant, {}), 409, "只有已记账")
    assert ok(api.get(f"/vouchers/{rent['id']}", kept.accountant))["reversed_by_id"] == red["id"]
    refused(api.post(f"/vouchers/{rent['id']}/reverse", kept.accountant, {}), 409, "已经做过冲销")
    ok(api.post(f"/vouchers/{red['id']}/review", kept.committee))
    ok(api.post(f"/vouchers/{red['id']}/post", kept.second))
    again = ok(api.post(f"/villages/{vid}/periods/{FIRST}/close", kept.accountant))
    assert again["notice_id"] == april["notice_id"]  # the unpublished draft is rewritten
    clock.on_day(date(2026, 6, 3))
    ok(api.post(f"/villages/{vid}/periods/2026-05/close", kept.accountant))
    may = ok(api.get(f"/villages/{vid}/periods/2026-05/statement", kept.accountant))
    assert may["rows"][[r["code"] for r in may["rows"]].index("501")]["debit"] == 500_000
    assert may["cash"] == {"opening": 1_487_655, "received": 0, "paid": 500_000, "closing": 987_655}


def test_a_villager_sees_a_month_once_its_finance_notice_is_published(api, world, kept):
    vid = kept.village.id
    rent = draft(api, kept, date(2026, 4, 5), "收鱼塘承包费", *RENT)
    ok(api.upload(f"/vouchers/{rent['id']}/attachments", kept.accountant, png()), 201)
    ok(api.post(f"/vouchers/{rent['id']}/review", kept.committee))
    ok(api.post(f"/vouchers/{rent['id']}/post", kept.second))
    may = draft(api, kept, date(2026, 5, 2), "五月的草稿", *LIGHTS)
    april = ok(api.post(f"/villages/{vid}/periods/{FIRST}/close", kept.accountant))
    outsider = Staff(world).villager

    def sees(user) -> bool:
        listed = [m["period"] for m in items(api.get(f"/villages/{vid}/periods", user))]
        vouchers = [v["id"] for v in items(api.get(f"/villages/{vid}/vouchers", user))]
        statement = api.get(f"/villages/{vid}/periods/{FIRST}/statement", user)
        voucher = api.get(f"/vouchers/{rent['id']}", user)
        shown = (listed == [FIRST], vouchers == [rent["id"]], statement.status_code == 200,
                 voucher.status_code == 200)
        assert len(set(shown)) == 1, (user, shown)
        if not shown[0]:
            refused(statement, 404, "还没有公开")
            refused(voucher, 404)
        return shown[0]

    for user in (kept.villager, None, outsider):
        assert not sees(user)
    assert [m["period"] for m in items(api.get(f"/villages/{vid}/periods", kept.supervisor))] == ["2026-05", FIRST]

    publish_notice(api, kept, april["notice_id"])
    for user in (kept.villager, None, outsider):
        assert sees(user)
    month = items(api.get(f"/villages/{vid}/periods", kept.villager))[0]
    assert month["notice_state"] == "published" and month["state"] == "closed"
    # the village's members see the receipts; the public their number, until the village opens them
    assert len(ok(api.get(f"/vouchers/{rent['id']}", kept.villager))["receipts"]) == 1
    for user in (None, outsider):
        public = ok(api.get(f"/vouchers/{rent['id']}", user))
        assert public["receipts"] is None and public["receipt_count"] == 1
        assert not any(public["caps"].values())
    ok(api.patch(f"/villages/{vid}/ledger", kept.committee, {"receipts_public": True}))
    assert len(ok(api.get(f"/vouchers/{rent['id']}"))["receipts"]) == 1
    # the draft of the open month stays the readers'
    refused(api.get(f"/vouchers/{may['id']}", kept.villager), 404)
    assert ok(api.get(f"/villages/{vid}/periods/{FIRST}/statement"))["cash"]["closing"] == 1_500_000


@pytest.mark.parametrize("month", ["2026-13", "2026-4", "April", "1999-12", "2026-04-01"])
def test_a_malformed_month_names_nothing(api, kept, month):
    vid = kept.village.id
    refused(api.get(f"/villages/{vid}/periods/{month}/statement", kept.accountant), 404, "月份的格式")
    refused(api.post(f"/villages/{vid}/periods/{month}/close", kept.accountant), 404, "月份的格式")
    refused(api.post(f"/villages/{vid}/periods/{month}/reopen", kept.monitor, {"reason": "错"}), 404, "月份的格式")


def test_other_villages_and_unknown_villages_answer_404(api, world, kept):
    other = Staff(world)
    vid = kept.village.id
    for call in (lambda u: api.post(f"/villages/{vid}/periods/{FIRST}/close", u),
                 lambda u: api.patch(f"/villages/{vid}/accounts/112", u, {"name": "改"}),
                 lambda u: api.patch(f"/villages/{vid}/ledger", u, {"receipts_public": True})):
        refused(call(other.committee), 404)
    for path in ("ledger", "accounts", "vouchers", "periods", f"periods/{FIRST}/statement"):
        refused(api.get(f"/villages/2000000000/{path}", kept.accountant), 404)


def test_openings_come_from_a_spreadsheet_file(api, kept):
    vid = kept.village.id
    path = f"/villages/{vid}/ledger/openings/file"
    csv = "科目编号,期初借方,期初贷方\n101,200.00,\n102,9800,\n301,,10000\n".encode()
    r = api.client.post(api.base + path, headers=api.headers(kept.villager),
                        files={"file": ("期初.csv", csv, "text/csv")})
    refused(r, 403)
    r = api.client.post(api.base + path, headers=api.headers(kept.accountant),
                        files={"file": ("期初.xls", csv, "application/vnd.ms-excel")})
    refused(r, 422, "另存为")
    r = api.client.post(api.base + path, headers=api.headers(kept.accountant),
                        files={"file": ("期初.csv", csv, "text/csv")})
    assert ok(r) == {"count": 3}
    seen = {a["code"]: a["opening"] for a in items(api.get(f"/villages/{vid}/accounts", kept.supervisor))}
    assert (seen["101"], seen["102"], seen["301"]) == (20_000, 980_000, 1_000_000)
    book = api.get(f"/villages/{vid}/ledger/openings.xlsx", kept.supervisor)
    assert book.status_code == 200 and book.content[:2] == b"PK"
    refused(api.get(f"/villages/{vid}/ledger/openings.xlsx", kept.villager), 403)
