"""一事一议 money and labour, contracts and fixed assets, through their services, on both engines."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import books as B
from app.domain import procedures as P
from app.domain.proposals import ProposalDraft
from app.models import Notice, Voucher
from app.services import assets, books, funds, notice_drafts, proposals, statements, vouchers
from app.services.access import load_actor
from app.services.errors import Conflict, Invalid, NotFound
from tests.factories import Staff


def actor(db, user):
    return load_actor(db, user)


def after_vote() -> str:
    keys = [s.key for s in P.PROCEDURES["yishiyiyi"].stages]
    return keys[keys.index("vote") + 1]


@pytest.fixture
def matter(world, db, clock):
    """A passed 一事一议 matter (10 元 and 1 day a person) in a village of three households."""
    clock.on_day(date(2026, 5, 10))
    staff = Staff(world)
    v = staff.village
    staff.homes = {
        "A": [world.member(v, name="甲一", household="A-1"), world.member(v, name="甲二", household="A-1"),
              world.member(v, name="甲三", household="A-1")],
        "B": [world.member(v, name="乙一", household="B-1")],
    }
    books.open_ledger(db, actor(db, staff.accountant), v, "2023", "2026-05")
    p = proposals.create(db, actor(db, staff.committee), v, ProposalDraft(
        title="修路灯", body="方案", category="facilities", procedure="yishiyiyi", per_capita_fen=1000, labour_days=1))
    p.state, p.submitted_at = after_vote(), p.created_at
    db.add(p)
    db.commit()
    staff.matter = p
    return staff


def household_of(db, user):
    from sqlalchemy import select

    from app.models import Membership

    return db.execute(select(Membership.household_id).where(Membership.user_id == user.id)).scalar_one()


def test_obligations_count_each_household_and_exemptions_lower_them(db, matter):
    chair = actor(db, matter.committee)
    assert funds.set_obligations(db, chair, matter.matter.id) >= 2
    home_a = household_of(db, matter.homes["A"][0])
    rows = {r.household_id: r for r in funds.households(db, chair, matter.matter.id)}
    assert (rows[home_a].persons, rows[home_a].due, rows[home_a].labour_due) == (3, 3000, 3)
    funds.exempt(db, chair, matter.matter.id, matter.homes["A"][2].id, "student")
    rows = {r.household_id: r for r in funds.households(db, chair, matter.matter.id)}
    assert (rows[home_a].persons, rows[home_a].exempted, rows[home_a].due) == (2, 1, 2000)
    with pytest.raises(Conflict, match="已经减免"):
        funds.exempt(db, chair, matter.matter.id, matter.homes["A"][2].id, "student")
    with pytest.raises(Invalid, match="写明"):
        funds.exempt(db, chair, matter.matter.id, matter.homes["A"][1].id, "other", "")
    [row] = funds.exemptions(db, chair, matter.matter.id)
    assert (row.name, row.reason, row.approver) == ("甲三", "在校学生", "主任")


@pytest.mark.parametrize("cap, labour_cap, ok", [(1000, 1, True), (999, 1, False), (1000, 0, False)])
def test_the_caps_are_checked_at_their_boundary(db, matter, cap, labour_cap, ok):
    village = matter.village
    village.settings = {**(village.settings or {}), "per_capita_cap_fen": cap, "labour_days_cap": labour_cap}
    db.add(village)
    db.commit()
    if ok:
        assert funds.set_obligations(db, actor(db, matter.committee), matter.matter.id)
    else:
        with pytest.raises(Conflict, match="超过上限"):
            funds.set_obligations(db, actor(db, matter.committee), matter.matter.id)


def test_a_matter_not_yet_passed_has_no_obligations(db, matter):
    matter.matter.state = "vote"
    db.add(matter.matter)
    db.commit()
    with pytest.raises(Conflict, match="表决通过后"):
        funds.set_obligations(db, actor(db, matter.committee), matter.matter.id)


def test_money_received_posts_to_the_fund_by_itself_and_shows_in_the_account(db, matter):
    chair, clerk = actor(db, matter.committee), actor(db, matter.accountant)
    funds.set_obligations(db, chair, matter.matter.id)
    home_a = household_of(db, matter.homes["A"][0])
    pay = funds.record_payment(db, clerk, matter.matter.id, home_a, 2000, "NO.0001")
    voucher = db.get(Voucher, pay.voucher_id)
    assert voucher.state == B.POSTED and voucher.number == 1 and voucher.proposal_id == matter.matter.id
    assert [(ln.code, ln.debit, ln.credit) for ln in vouchers.lines_of(db, voucher)] == [("101", 2000, 0),
                                                                                         ("231", 0, 2000)]
    with pytest.raises(Conflict, match="已经登记过"):
        funds.record_payment(db, clerk, matter.matter.id, home_a, 500, "NO.0001")
    with pytest.raises(Invalid, match="还应缴 10.00 元"):
        funds.record_payment(db, clerk, matter.matter.id, home_a, 1001, "NO.0002")
    funds.record_payment(db, clerk, matter.matter.id, home_a, 1000, "NO.0002")
    spend = vouchers.create(db, clerk, matter.village, vouchers.VoucherIn(
        date(2026, 5, 10), "买路灯", [B.Line("153", debit=2500), B.Line("101", credit=2500)], matter.matter.id))
    vouchers.review(db, chair, spend.id)
    vouchers.post(db, chair, spend.id)
    s = funds.summary(db, actor(db, matter.villager), matter.matter.id)
    assert (s.paid, s.households_paid, s.account.raised, s.account.spent, s.account.balance) == (
        3000, 1, 3000, 2500, 500)
    text = funds.account_text(db, db.get(type(matter.matter), matter.matter.id))
    assert "收入 30.00 元，支出 25.00 元，结余 5.00 元" in text


def test_labour_is_recorded_per_person(db, matter):
    clerk = actor(db, matter.accountant)
    funds.set_obligations(db, actor(db, matter.committee), matter.matter.id)
    funds.record_labour(db, clerk, matter.matter.id, matter.homes["B"][0].id, 1, date(2026, 5, 9))
    with pytest.raises(Invalid):
        funds.record_labour(db, clerk, matter.matter.id, matter.homes["B"][0].id, 0)
    with pytest.raises(NotFound):
        funds.record_labour(db, clerk, matter.matter.id, 999_999, 1)
    assert funds.summary(db, actor(db, matter.villager), matter.matter.id).labour_done == 1


def test_the_implementation_notice_carries_the_fund_account(db, matter):
    notice_drafts.draft_implementation_result(db, matter.matter, "implementation", "notice", None)
    db.commit()
    from sqlalchemy import select

    body = db.execute(select(Notice.body).where(Notice.proposal_id == matter.matter.id)).scalars().first()
    assert body is not None and "## 筹资筹劳" in body


def test_a_contract_turns_due_instalments_into_receivables_and_payments(db, matter, clock):
    clerk = actor(db, matter.accountant)
    contract = assets.create_contract(db, clerk, matter.village, assets.ContractIn(
        "lease", "村东鱼塘", "王某", date(2026, 1, 1), date(2028, 12, 31), "501",
        [(date(2026, 5, 1), 1_200_000), (date(2027, 5, 1), 1_200_000)]))
    [row] = assets.contracts(db, clerk, matter.village)
    assert (row.due_now, row.overdue, row.next_due) == (1_200_000, 1, date(2027, 5, 1))
    first, second = assets.instalments(db, contract)
    with pytest.raises(Conflict, match="还没到期"):
        assets.book_receivable(db, clerk, second.id)
    with pytest.raises(Conflict, match="先记这一期的应收"):
        assets.record_payment(db, clerk, first.id)
    assets.book_receivable(db, clerk, first.id)
    assets.record_payment(db, clerk, first.id, date(2026, 5, 10))
    [row] = assets.contracts(db, clerk, matter.village)
    assert (row.paid, row.overdue) == (1_200_000, 0)
    s = statements.statement(db, matter.village, "2026-05")
    by = {r.account.code: r for r in s.rows}
    assert by["112"].closing == 0 and by["102"].closing == 1_200_000 and by["501"].closing == 1_200_000
    with pytest.raises(Invalid, match="收入类科目"):
        assets.create_contract(db, clerk, matter.village, assets.ContractIn(
            "lease", "店面", "李某", date(2026, 1, 1), date(2026, 12, 31), "102", [(date(2026, 6, 1), 100)]))


def test_fixed_assets_are_listed_and_disposed_with_a_note(db, matter):
    clerk = actor(db, matter.accountant)
    pump = assets.add_asset(db, clerk, matter.village, assets.AssetIn("抽水泵", 80_000, date(2026, 4, 1), "一组泵站"))
    with pytest.raises(Invalid):
        assets.add_asset(db, clerk, matter.village, assets.AssetIn("", 0, None))
    with pytest.raises(Invalid, match="写明"):
        assets.dispose_asset(db, clerk, pump.id, None, "")
    assets.dispose_asset(db, clerk, pump.id, date(2026, 5, 1), "报废")
    assert assets.assets(db, clerk, matter.village)[0].disposed_on == date(2026, 5, 1)


def test_a_voucher_names_its_contract_and_instalments_post_under_it(db, matter, world):
    clerk = actor(db, matter.accountant)
    contract = assets.create_contract(db, clerk, matter.village, assets.ContractIn(
        "contract", "后山林地", "林业合作社", date(2026, 5, 1), date(2030, 4, 30), "501", [(date(2026, 5, 1), 50_000)]))
    v = vouchers.create(db, clerk, matter.village, vouchers.VoucherIn(
        date(2026, 5, 3), "付林地测量费", [B.Line("513", debit=800), B.Line("101", credit=800)], None, contract.id))
    view, _ = vouchers.view(db, clerk, v.id)
    assert view.voucher.contract_id == contract.id and view.contract_title == "后山林地（林业合作社）"
    first = assets.instalments(db, contract)[0]
    assets.book_receivable(db, clerk, first.id)
    assert db.get(Voucher, db.get(type(first), first.id).receivable_voucher_id).contract_id == contract.id
    elsewhere = world.village()
    other_keeper = world.member(elsewhere, "accountant", name="外村报账员")
    books.open_ledger(db, actor(db, other_keeper), elsewhere, "2023", "2026-05")
    with pytest.raises(Invalid, match="关联的合同不存在"):
        vouchers.create(db, actor(db, other_keeper), elsewhere, vouchers.VoucherIn(
            date(2026, 5, 3), "串村", [B.Line("513", debit=1), B.Line("101", credit=1)], None, contract.id))
