"""一事一议 money and labour (筹资筹劳), contracts and fixed assets through the JSON API, on both
engines: every path, who may call it, and the refusals (401/403/404/409/422) a client meets."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import procedures as P
from app.domain.proposals import ProposalDraft
from app.services import books, proposals
from app.services.access import load_actor
from tests.factories import Staff, items, ok, refused

TODAY = date(2026, 5, 10)


def after_vote() -> str:
    keys = [s.key for s in P.PROCEDURES["yishiyiyi"].stages]
    return keys[keys.index("vote") + 1]


def matter_in(db, s: Staff, *, state: str | None = None, per_capita: int | None = 1000, labour: int | None = 1,
              procedure: str = "yishiyiyi", title: str = "修路灯"):
    """A 一事一议 matter of the committee, moved straight past its vote (or to `state`)."""
    p = proposals.create(db, load_actor(db, s.committee), s.village, ProposalDraft(
        title=title, body="方案", category="facilities", procedure=procedure, per_capita_fen=per_capita,
        labour_days=labour))
    p.state, p.submitted_at = state or after_vote(), p.created_at
    db.add(p)
    db.commit()
    return p


@pytest.fixture
def town(world, db, clock):
    """On 2026-05-10: a village with books from 2026-05, two households (A-1 of three, B-1 of one), its
    monitor, a member of another village, and a passed matter of 10 元 and 1 day a person."""
    clock.on_day(TODAY)
    s = Staff(world)
    v = s.village
    s.a = [world.member(v, name="甲一", household="A-1"), world.member(v, name="甲二", household="A-1"),
           world.member(v, name="甲三", household="A-1")]
    s.b = world.member(v, name="乙一", household="B-1")
    s.monitor = world.monitor(v.township_id)
    s.outsider = world.member(world.village(v.township_id), "committee", name="邻村主任")
    books.open_ledger(db, load_actor(db, s.accountant), v, "2023", "2026-05")
    s.matter = matter_in(db, s)
    s.fund = f"/proposals/{s.matter.id}/fund"
    return s


def households(api, s: Staff, user=None) -> dict[str, dict]:
    return {row["number"]: row for row in items(api.get(s.fund + "/households", user or s.committee))}


# --- the totals and 落实到户 -----------------------------------------------------------------------------

def test_the_totals_are_for_whoever_sees_the_matter(api, db, town):
    s = town
    for user in (s.villager, s.accountant, s.monitor):
        body = ok(api.get(s.fund, user))
        assert (body["per_capita"], body["labour_days"], body["households"], body["due"], body["paid"]) == (
            1000, 1, 0, 0, 0)
        assert body["account"] == {"raised": 0, "spent": 0, "balance": 0} and body["outstanding"] == 0
    refused(api.get(s.fund), 401)
    refused(api.get(s.fund, s.outsider), 404)
    refused(api.get("/proposals/2000000000/fund", s.villager), 404)
    # a matter whose plan has neither money nor labour, and one of another procedure, have no fund
    plain = matter_in(db, s, per_capita=None, labour=None, title="修村规")
    refused(api.get(f"/proposals/{plain.id}/fund", s.villager), 404, "没有筹资筹劳")
    simple = matter_in(db, s, procedure="simple", state="closed", title="村务小事")
    refused(api.get(f"/proposals/{simple.id}/fund", s.villager), 404, "没有筹资筹劳")


def test_the_committee_sets_the_obligations_once_the_vote_has_passed(api, world, db, town):
    s = town
    path = s.fund + "/obligations"
    refused(api.post(path), 401)
    for user in (s.villager, s.accountant, s.supervisor, s.monitor):
        refused(api.post(path, user), 403)
    refused(api.post(path, s.outsider), 404)
    assert ok(api.get(s.fund, s.villager))["households"] == 0  # nothing was written by the refusals

    body = ok(api.post(path, s.committee))
    assert (body["households"], body["persons"], body["due"], body["labour_due"], body["outstanding"]) == (
        2, 4, 4000, 4, 4000)
    rows = households(api, s)
    assert rows["A-1"] | {"household_id": 0} == {"household_id": 0, "number": "A-1", "persons": 3, "exempted": 0,
                                                 "due": 3000, "paid": 0, "outstanding": 3000, "labour_due": 3,
                                                 "labour_done": 0}
    # the roster changes: counted again
    world.member(s.village, name="乙二", household="B-1")
    assert ok(api.post(path, s.committee))["due"] == 5000
    assert households(api, s)["B-1"]["persons"] == 2
    before_vote = matter_in(db, s, state="vote", title="还在表决的事项")
    refused(api.post(f"/proposals/{before_vote.id}/fund/obligations", s.committee), 409, "表决通过后")
    plain = matter_in(db, s, per_capita=None, labour=None, title="没有筹资的事项")
    refused(api.post(f"/proposals/{plain.id}/fund/obligations", s.committee), 409, "没有筹资也没有筹劳")
    simple = matter_in(db, s, procedure="simple", state="closed", title="简易事项")
    refused(api.post(f"/proposals/{simple.id}/fund/obligations", s.committee), 404, "一事一议")
    refused(api.get(f"/proposals/{simple.id}/fund/households", s.committee), 404, "一事一议")


def test_over_the_township_caps_nothing_is_set(api, db, town):
    s = town
    s.village.settings = {**(s.village.settings or {}), "per_capita_cap_fen": 999}
    db.add(s.village)
    db.commit()
    refused(api.post(s.fund + "/obligations", s.committee), 409, "超过上限")
    assert items(api.get(s.fund + "/households", s.committee)) == []


def test_the_households_are_for_members_and_monitors(api, town):
    s = town
    ok(api.post(s.fund + "/obligations", s.committee))
    path = s.fund + "/households"
    assert set(households(api, s, s.villager)) == {"A-1", "B-1"}
    assert households(api, s, s.monitor)["B-1"]["due"] == 1000
    body = ok(api.get(path, s.villager, per_page=1))
    assert (body["total"], len(body["items"]), body["items"][0]["number"]) == (2, 1, "A-1")
    refused(api.get(path), 401)
    refused(api.get(path, s.outsider), 404)
    refused(api.get(path, s.villager, per_page=0), 422)


# --- exemptions ---------------------------------------------------------------------------------------

def test_the_committee_exempts_a_person_and_the_household_is_recounted(api, town):
    s = town
    ok(api.post(s.fund + "/obligations", s.committee))
    path = s.fund + "/exemptions"
    student = {"user_id": s.a[2].id, "reason": "student", "note": "县一中"}
    refused(api.post(path, None, student), 401)
    for user in (s.villager, s.accountant, s.monitor):
        refused(api.post(path, user, student), 403)
    refused(api.post(path, s.outsider, student), 404)

    row = ok(api.post(path, s.committee, student), 201)
    assert row == {"user_id": s.a[2].id, "name": "甲三", "reason": "student", "reason_name": "在校学生",
                   "note": "县一中", "approver": "主任"}
    a = households(api, s)["A-1"]
    assert (a["persons"], a["exempted"], a["due"], a["labour_due"]) == (2, 1, 2000, 2)
    assert ok(api.get(s.fund, s.villager))["exempted"] == 1

    refused(api.post(path, s.committee, student), 409, "已经减免")
    refused(api.post(path, s.committee, {"user_id": s.a[1].id, "reason": "rich"}), 422, "原因")
    refused(api.post(path, s.committee, {"user_id": s.a[1].id, "reason": "other"}), 422, "写明")
    refused(api.post(path, s.committee, {"user_id": s.a[1].id, "reason": "other", "note": "说" * 201}), 422, "200")
    refused(api.post(path, s.committee, {"user_id": s.outsider.id, "reason": "dibao"}), 404, "本村没有这个人")
    refused(api.post(path, s.committee, {"user_id": 0, "reason": "dibao"}), 422)
    refused(api.post(path, s.committee, {"reason": "dibao"}), 422)

    listed = items(api.get(path, s.villager))
    assert [(r["name"], r["reason_name"]) for r in listed] == [("甲三", "在校学生")]
    assert items(api.get(path, s.monitor)) == listed
    refused(api.get(path), 401)
    refused(api.get(path, s.outsider), 404)


def test_an_exemption_before_the_obligations_counts_once_they_are_set(api, town):
    s = town
    ok(api.post(s.fund + "/exemptions", s.committee, {"user_id": s.b.id, "reason": "wubao"}), 201)
    assert households(api, s) == {}
    ok(api.post(s.fund + "/obligations", s.committee))
    b = households(api, s)["B-1"]
    assert (b["persons"], b["exempted"], b["due"], b["outstanding"]) == (0, 1, 0, 0)


# --- money received -------------------------------------------------------------------------------------

def test_money_received_posts_its_voucher_and_shows_in_the_account(api, town):
    s = town
    ok(api.post(s.fund + "/obligations", s.committee))
    home_a = households(api, s)["A-1"]["household_id"]
    path = s.fund + "/payments"
    pay = {"household_id": home_a, "amount": 2000, "receipt_no": "NO.0001"}
    refused(api.post(path, None, pay), 401)
    for user in (s.villager, s.supervisor, s.monitor):
        refused(api.post(path, user, pay), 403)
    refused(api.post(path, s.outsider, pay), 404)

    body = ok(api.post(path, s.accountant, pay), 201)
    assert (body["household_id"], body["amount"], body["receipt_no"], body["received_on"]) == (
        home_a, 2000, "NO.0001", TODAY.isoformat())
    voucher = ok(api.get(f"/vouchers/{body['voucher_id']}", s.accountant))
    assert voucher["state"] == "posted" and voucher["proposal_id"] == s.matter.id
    assert [(ln["code"], ln["debit"], ln["credit"]) for ln in voucher["lines"]] == [("101", 2000, 0),
                                                                                     ("231", 0, 2000)]
    a = households(api, s, s.villager)["A-1"]
    assert (a["paid"], a["outstanding"]) == (2000, 1000)
    total = ok(api.get(s.fund, s.villager))
    assert (total["paid"], total["households_paid"], total["outstanding"]) == (2000, 1, 2000)
    assert total["account"] == {"raised": 2000, "spent": 0, "balance": 2000}

    refused(api.post(path, s.committee, {**pay, "amount": 500}), 409, "已经登记过")
    refused(api.post(path, s.committee, {**pay, "amount": 1001, "receipt_no": "NO.0002"}), 422, "还应缴 10.00 元")
    refused(api.post(path, s.committee, {**pay, "receipt_no": "  "}), 422, "收据号")
    refused(api.post(path, s.committee, {**pay, "receipt_no": "号" * 31}), 422, "30")
    refused(api.post(path, s.committee, {**pay, "amount": 0, "receipt_no": "NO.0003"}), 422, "大于 0")
    refused(api.post(path, s.committee, {**pay, "amount": 10.5, "receipt_no": "NO.0003"}), 422)
    refused(api.post(path, s.committee, {**pay, "amount": "1000", "receipt_no": "NO.0003"}), 422)
    refused(api.post(path, s.committee, {**pay, "amount": -1, "receipt_no": "NO.0003"}), 422)
    refused(api.post(path, s.committee, {**pay, "amount": 100, "receipt_no": "NO.0003",
                                         "received_on": "2026-05-11"}), 422, "晚于今天")
    refused(api.post(path, s.committee, {**pay, "amount": 100, "receipt_no": "NO.0003",
                                         "received_on": "2026-04-30"}), 422, "账簿从")
    refused(api.post(path, s.committee, {**pay, "household_id": 2_000_000_000, "receipt_no": "NO.0003"}), 404,
            "没有这个事项的筹资任务")
    ok(api.post(path, s.committee, {**pay, "amount": 1000, "receipt_no": "NO.0002",
                                    "received_on": "2026-05-09"}), 201)
    assert households(api, s)["A-1"]["outstanding"] == 0


def test_without_books_no_money_is_recorded(api, world, db, clock):
    clock.on_day(TODAY)
    s = Staff(world)
    world.member(s.village, name="丙一", household="C-1")
    matter = matter_in(db, s)
    ok(api.post(f"/proposals/{matter.id}/fund/obligations", s.committee))
    [row] = items(api.get(f"/proposals/{matter.id}/fund/households", s.committee))
    refused(api.post(f"/proposals/{matter.id}/fund/payments", s.accountant,
                     {"household_id": row["household_id"], "amount": 100, "receipt_no": "1"}), 404, "还没有建账")


# --- labour ---------------------------------------------------------------------------------------------

def test_labour_is_recorded_per_person(api, db, town):
    s = town
    ok(api.post(s.fund + "/obligations", s.committee))
    path = s.fund + "/labour"
    day = {"user_id": s.b.id, "days": 1, "work_date": "2026-05-09"}
    refused(api.post(path, None, day), 401)
    for user in (s.villager, s.monitor):
        refused(api.post(path, user, day), 403)
    refused(api.post(path, s.outsider, day), 404)

    body = ok(api.post(path, s.accountant, day), 201)
    assert (body["user_id"], body["days"], body["work_date"]) == (s.b.id, 1, "2026-05-09")
    assert ok(api.post(path, s.committee, {"user_id": s.a[0].id, "days": 2}), 201)["work_date"] == "2026-05-10"
    assert ok(api.get(s.fund, s.villager))["labour_done"] == 3
    assert (households(api, s)["A-1"]["labour_done"], households(api, s)["B-1"]["labour_done"]) == (2, 1)

    refused(api.post(path, s.accountant, {**day, "days": 0}), 422)
    refused(api.post(path, s.accountant, {**day, "days": 31}), 422)
    refused(api.post(path, s.accountant, {**day, "work_date": "2026-05-11"}), 422, "晚于今天")
    refused(api.post(path, s.accountant, {**day, "user_id": s.outsider.id}), 404, "本村没有这个人")
    voting = matter_in(db, s, state="vote", title="表决中")
    refused(api.post(f"/proposals/{voting.id}/fund/labour", s.accountant, day), 409, "表决通过后")


# --- contracts ------------------------------------------------------------------------------------------

POND = {"kind": "lease", "subject": "村东鱼塘", "counterparty": "王某", "start_date": "2026-01-01",
        "end_date": "2028-12-31", "income_code": "501",
        "schedule": [{"due_date": "2027-05-01", "amount": 1_200_000}, {"due_date": "2026-05-01", "amount": 1_200_000}]}


def test_contracts_are_entered_by_the_keepers_and_read_by_members(api, town):
    s = town
    path = f"/villages/{s.village.id}/contracts"
    refused(api.post(path, None, POND), 401)
    for user in (s.villager, s.supervisor, s.monitor):
        refused(api.post(path, user, POND), 403)
    refused(api.post(path, s.outsider, POND), 404)

    c = ok(api.post(path, s.accountant, {**POND, "proposal_id": s.matter.id}), 201)
    assert (c["kind_name"], c["total"], c["paid"], c["due_now"], c["overdue"], c["next_due"]) == (
        "租赁", 2_400_000, 0, 1_200_000, 1, "2027-05-01")
    assert [(i["due_date"], i["overdue"], i["receivable_voucher_id"]) for i in c["instalments"]] == [
        ("2026-05-01", True, None), ("2027-05-01", False, None)]
    assert c["proposal_id"] == s.matter.id
    for user in (s.villager, s.monitor):
        [row] = items(api.get(path, user))
        assert (row["subject"], row["overdue"], row["due_now"]) == ("村东鱼塘", 1, 1_200_000)
        assert ok(api.get(f"/contracts/{c['id']}", user))["instalments"] == c["instalments"]
    refused(api.get(path), 401)
    refused(api.get(path, s.outsider), 404)
    refused(api.get(f"/contracts/{c['id']}", s.outsider), 404)
    refused(api.get(f"/contracts/{c['id']}"), 401)
    refused(api.get("/contracts/2000000000", s.villager), 404, "找不到这份合同")


@pytest.mark.parametrize("change, field, words", [
    ({"kind": "sale"}, "kind", "发包或租赁"),
    ({"subject": " "}, "subject", "标的"),
    ({"counterparty": "人" * 61}, "counterparty", "60"),
    ({"end_date": "2025-12-31"}, "end_date", "不能早于"),
    ({"income_code": "102"}, "income_code", "收入类科目"),
    ({"income_code": "514"}, "income_code", "收入类科目"),
    ({"schedule": []}, "schedule", "至少要有一期"),
    ({"schedule": [{"due_date": "2030-01-01", "amount": 100}]}, "schedule", "合同期内"),
    ({"schedule": [{"due_date": "2026-06-01", "amount": 0}]}, "schedule", "大于 0"),
    ({"proposal_id": 2_000_000_000}, "proposal_id", "事项不存在"),
    ({"vote_session_id": 2_000_000_000}, "vote_session_id", "表决不存在"),
])
def test_a_bad_contract_is_refused_with_its_field(api, town, change, field, words):
    body = refused(api.post(f"/villages/{town.village.id}/contracts", town.accountant, {**POND, **change}), 422,
                   words)
    assert field in {e["field"] for e in body["errors"]}
    assert items(api.get(f"/villages/{town.village.id}/contracts", town.accountant)) == []


def test_a_contract_amount_is_whole_fen(api, town):
    path = f"/villages/{town.village.id}/contracts"
    for amount in (10.5, "100", -5):
        refused(api.post(path, town.accountant, {**POND, "schedule": [{"due_date": "2026-06-01", "amount": amount}]}),
                422)
    refused(api.post(path, town.accountant, {**POND, "schedule": [{"due_date": "2026-06-01"}]}), 422)


def test_an_instalment_becomes_a_receivable_then_a_payment(api, world, town, clock):
    s = town
    c = ok(api.post(f"/villages/{s.village.id}/contracts", s.committee, POND), 201)
    due, later = (i["id"] for i in c["instalments"])
    receivable, payment = f"/instalments/{due}/receivable", f"/instalments/{due}/payment"
    refused(api.post(receivable), 401)
    for user in (s.villager, s.monitor):
        refused(api.post(receivable, user), 403)
    refused(api.post(receivable, s.outsider), 404)
    refused(api.post("/instalments/2000000000/receivable", s.accountant), 404, "找不到这一期")
    refused(api.post(f"/instalments/{later}/receivable", s.accountant), 409, "还没到期")
    refused(api.post(payment, s.accountant), 409, "先记这一期的应收")

    booked = ok(api.post(receivable, s.accountant))
    assert booked["receivable_voucher_id"] and booked["payment_voucher_id"] is None and booked["overdue"]
    voucher = ok(api.get(f"/vouchers/{booked['receivable_voucher_id']}", s.accountant))
    assert [(ln["code"], ln["debit"], ln["credit"]) for ln in voucher["lines"]] == [("112", 1_200_000, 0),
                                                                                     ("501", 0, 1_200_000)]
    refused(api.post(receivable, s.accountant), 409, "已经记了应收")
    refused(api.post(payment, s.villager, {}), 403)
    refused(api.post(payment, s.accountant, {"received_on": "2026-05-11"}), 422, "晚于今天")

    paid = ok(api.post(payment, s.accountant, {"received_on": "2026-05-09"}))
    assert paid["payment_voucher_id"] and not paid["overdue"]
    voucher = ok(api.get(f"/vouchers/{paid['payment_voucher_id']}", s.accountant))
    assert voucher["date"] == "2026-05-09" and [ln["code"] for ln in voucher["lines"]] == ["102", "112"]
    refused(api.post(payment, s.accountant), 409, "已经收款了")
    detail = ok(api.get(f"/contracts/{c['id']}", s.villager))
    assert (detail["paid"], detail["due_now"], detail["overdue"], detail["next_due"]) == (
        1_200_000, 0, 0, "2027-05-01")
    # a year later the second one is due, then overdue
    clock.on_day(date(2027, 5, 2))
    [row] = items(api.get(f"/villages/{s.village.id}/contracts", s.villager))
    assert (row["due_now"], row["overdue"], row["next_due"]) == (1_200_000, 1, None)
    assert ok(api.get(f"/contracts/{c['id']}", s.villager))["instalments"][1]["overdue"] is True


def test_without_books_no_contract(api, world, clock):
    clock.on_day(TODAY)
    s = Staff(world)
    refused(api.post(f"/villages/{s.village.id}/contracts", s.accountant, POND), 404, "还没有建账")


# --- fixed assets ---------------------------------------------------------------------------------------

PUMP = {"name": "抽水泵", "value": 80_000, "acquired_on": "2026-04-01", "location": "一组泵站", "category": "机械"}


def test_fixed_assets_are_listed_added_and_disposed(api, town):
    s = town
    path = f"/villages/{s.village.id}/assets"
    refused(api.post(path, None, PUMP), 401)
    for user in (s.villager, s.supervisor, s.monitor):
        refused(api.post(path, user, PUMP), 403)
    refused(api.post(path, s.outsider, PUMP), 404)

    pump = ok(api.post(path, s.accountant, {**PUMP, "proposal_id": s.matter.id}), 201)
    assert (pump["name"], pump["value"], pump["location"], pump["category"], pump["disposed_on"]) == (
        "抽水泵", 80_000, "一组泵站", "机械", None)
    hall = ok(api.post(path, s.committee, {"name": "村部办公楼", "value": 50_000_000, "acquired_on": "2010-09-01"}),
              201)
    for user in (s.villager, s.monitor):
        assert [a["name"] for a in items(api.get(path, user))] == ["抽水泵", "村部办公楼"]
    refused(api.get(path), 401)
    refused(api.get(path, s.outsider), 404)

    dispose = f"/assets/{pump['id']}/dispose"
    refused(api.post(dispose, None, {"note": "报废"}), 401)
    refused(api.post(dispose, s.villager, {"note": "报废"}), 403)
    refused(api.post(dispose, s.outsider, {"note": "报废"}), 404)
    refused(api.post(dispose, s.accountant, {"note": " "}), 422, "写明")
    refused(api.post("/assets/2000000000/dispose", s.accountant, {"note": "报废"}), 404, "找不到这项资产")
    gone = ok(api.post(dispose, s.accountant, {"note": "报废", "disposed_on": "2026-05-01"}))
    assert (gone["disposed_on"], gone["note"]) == ("2026-05-01", "报废")
    refused(api.post(dispose, s.accountant, {"note": "再报废"}), 409, "已经处置")
    # those in use come first
    assert [a["id"] for a in items(api.get(path, s.villager))] == [hall["id"], pump["id"]]


@pytest.mark.parametrize("change, field", [
    ({"name": " "}, "name"), ({"value": 0}, "value"), ({"acquired_on": "2026-05-11"}, "acquired_on"),
    ({"acquired_on": None}, "acquired_on"), ({"category": "类" * 21}, "category"),
    ({"proposal_id": 2_000_000_000}, "proposal_id"),
])
def test_a_bad_asset_is_refused_with_its_field(api, town, change, field):
    body = refused(api.post(f"/villages/{town.village.id}/assets", town.accountant, {**PUMP, **change}), 422)
    assert field in {e["field"] for e in body["errors"]}


def test_an_asset_value_is_whole_fen(api, town):
    for value in (10.5, "100", -1):
        refused(api.post(f"/villages/{town.village.id}/assets", town.accountant, {**PUMP, "value": value}), 422)
