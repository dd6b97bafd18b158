"""一事一议 money and labour (筹资筹劳), contracts and fixed assets on the web, on both engines: the fund
page and its forms (落实到户, 缴款, 投劳, 减免), the matter page's 筹资筹劳 section, the contracts (list,
entry form with "再加几行", 记应收 / 记收款) and the fixed assets — for the keepers, the committee, a
villager, the township's monitor, a member of another village and a visitor, with the refusals and
the forms re-shown with their messages and what was typed."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.domain import procedures as P
from app.domain.proposals import ProposalDraft
from app.services import assets, books, funds, places, proposals
from app.services.access import load_actor
from tests.conftest import page_csrf
from tests.factories import Staff, login
from tests.web.test_proposal_pages import flash, follow, main

TODAY = date(2026, 5, 10)


def actor(db, user):
    return load_actor(db, user)


def after_vote() -> str:
    keys = [s.key for s in P.PROCEDURES["yishiyiyi"].stages]
    return keys[keys.index("vote") + 1]


class Town(Staff):
    """A village with books from 2026-05, two households (A-1 of three, B-1 of one), its monitor, a
    member of another village, and a passed matter of 10 元 and 1 day a person."""

    def __init__(self, world):
        super().__init__(world)
        self.db = world.db
        self.slug = self.village.slug
        v = self.village
        self.a = [world.member(v, name="甲一", household="A-1"), world.member(v, name="甲二", household="A-1"),
                  world.member(v, name="甲三", household="A-1")]
        self.b = world.member(v, name="乙一", household="B-1")
        self.monitor = world.monitor(v.township_id)
        self.outsider = world.member(world.village(v.township_id), "committee", name="邻村主任")
        books.open_ledger(self.db, actor(self.db, self.accountant), v, "2023", "2026-05")
        self.matter = self.matter_in()

    def matter_in(self, *, state: str | None = None, per_capita: int | None = 1000, labour: int | None = 1,
                  title: str = "修路灯"):
        p = proposals.create(self.db, actor(self.db, self.committee), self.village, ProposalDraft(
            title=title, body="方案", category="facilities", procedure="yishiyiyi", per_capita_fen=per_capita,
            labour_days=labour))
        if state != "draft":
            p.state, p.submitted_at = state or after_vote(), p.created_at
            self.db.add(p)
            self.db.commit()
        return p

    def url(self, tail: str = "") -> str:
        return f"/v/{self.slug}{tail}"

    def fund(self, tail: str = "", pid: int | None = None) -> str:
        return self.url(f"/proposals/{pid or self.matter.id}/fund{tail}")

    def set_obligations(self) -> None:
        funds.set_obligations(self.db, actor(self.db, self.committee), self.matter.id)

    def home(self, number: str) -> int:
        return next(r.household_id for r in funds.households(self.db, actor(self.db, self.committee), self.matter.id)
                    if r.number == number)


@pytest.fixture
def town(world, clock) -> Town:
    clock.on_day(TODAY)
    return Town(world)


def as_user(client, user) -> str:
    """Log in as `user` (a fresh session), or be an anonymous visitor when `user` is None."""
    client.cookies.clear()
    return login(client, user) if user is not None else page_csrf(client, "/login")


def to_login(response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def field_error(html: str) -> list[str]:
    return re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', html)


def household_row(html: str, number: str) -> list[str]:
    """The cells of one household's row in the table, as text."""
    match = re.search(rf"<tr[^>]*>\s*<th scope=\"row\">{re.escape(number)}</th>(.*?)</tr>", html, re.S)
    assert match, number
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


# --- the matter page ------------------------------------------------------------------------------------

def test_the_matter_page_shows_the_fund_section(client, town):
    t = town
    t.set_obligations()
    funds.record_payment(t.db, actor(t.db, t.accountant), t.matter.id, t.home("A-1"), 2000, "NO.1")
    funds.record_labour(t.db, actor(t.db, t.accountant), t.matter.id, t.b.id, 1)
    for user in (t.villager, t.monitor):
        as_user(client, user)
        text = main(client.get(t.url(f"/proposals/{t.matter.id}")).text)
        section = text[text.index("筹资筹劳"):]
        assert "应筹 40.00 元 已收 20.00 元" in section
        assert "一事一议资金收入 20.00 元 支出 0.00 元 结余 20.00 元" in section
        assert "投劳 应投 4 个工日，已投 1 个工日" in section
    assert f'href="{t.fund()}"' in client.get(t.url(f"/proposals/{t.matter.id}")).text
    # a matter still in its vote says when the money comes; one without money or labour has no section
    voting = t.matter_in(state="vote", title="表决中的事项")
    page = main(client.get(t.url(f"/proposals/{voting.id}")).text)
    assert "应筹 0.00 元" in page and "表决通过后，村委会把筹资筹劳落实到户" in page
    plain = t.matter_in(per_capita=None, labour=None, title="不筹资的事项")
    assert "筹资筹劳" not in main(client.get(t.url(f"/proposals/{plain.id}")).text)
    as_user(client, t.committee)
    draft = t.matter_in(state="draft", title="草稿事项")
    assert "应筹" not in main(client.get(t.url(f"/proposals/{draft.id}")).text)


# --- the fund page ----------------------------------------------------------------------------------------

def test_each_viewer_sees_the_fund_page_fitted_to_what_they_may_do(client, town):
    t = town
    t.set_obligations()
    obligations, payment, labour, exemption = (f'action="{t.fund(tail)}"' for tail in (
        "/obligations", "/payments", "/labour", "/exemptions"))
    for user in (t.villager, t.monitor, t.supervisor):
        as_user(client, user)
        r = client.get(t.fund())
        assert r.status_code == 200
        assert household_row(r.text, "A-1") == ["3", "0", "30.00", "0.00", "30.00", "3", "0"]
        assert "应筹 40.00 元" in main(r.text) and "欠缴 40.00 元" in main(r.text)
        for form in (obligations, payment, labour, exemption):
            assert form not in r.text, (user.name, form)
    as_user(client, t.committee)
    r = client.get(t.fund())
    for form in (obligations, payment, labour, exemption):
        assert form in r.text
    assert "按现在的名册重新落实到户" in r.text
    assert re.search(rf'<option value="{t.b.id}">乙一（B-1）</option>', r.text)  # the committee picks a person
    assert "在校学生" in r.text and "五保户" in r.text
    as_user(client, t.accountant)
    r = client.get(t.fund())
    assert payment in r.text and labour in r.text
    assert obligations not in r.text and exemption not in r.text
    assert re.search(rf'<option value="{t.b.id}">乙一（B-1）</option>', r.text)  # the accountant picks too
    assert f'<option value="{t.home("B-1")}">B-1（欠缴 10.00 元）</option>' in r.text

    as_user(client, None)
    assert to_login(client.get(t.fund()))
    as_user(client, t.outsider)
    assert client.get(t.fund()).status_code == 404
    as_user(client, t.villager)
    plain = t.matter_in(per_capita=None, labour=None, title="不筹资的事项")
    r = client.get(t.fund(pid=plain.id))
    assert r.status_code == 404 and "没有筹资筹劳" in r.text


def test_the_committee_sets_the_obligations_with_one_button(client, town):
    t = town
    for user in (t.villager, t.accountant, t.monitor):
        token = as_user(client, user)
        assert client.post(t.fund("/obligations"), data={"csrf_token": token}).status_code == 403
    token = as_user(client, t.outsider)
    assert client.post(t.fund("/obligations"), data={"csrf_token": token}).status_code == 404
    token = as_user(client, None)
    assert to_login(client.post(t.fund("/obligations"), data={"csrf_token": token}))

    token = as_user(client, t.committee)
    before = client.get(t.fund()).text
    assert "还没有落实到户" in before and ">落实到户</button>" in before
    page = follow(client, client.post(t.fund("/obligations"), data={"csrf_token": token}))
    assert flash(page.text) == "ok: 已落实到户：2 户 4 人，应筹资 40.00 元，应投劳 4 个工日"
    assert household_row(page.text, "B-1")[:3] == ["1", "0", "10.00"]
    voting = t.matter_in(state="vote", title="表决中的事项")
    page = client.get(t.fund(pid=voting.id)).text
    assert "事项表决通过后，村委会才能把筹资筹劳落实到户" in page and t.fund("/obligations", voting.id) not in page
    r = client.post(t.fund("/obligations", voting.id), data={"csrf_token": token})
    assert "表决通过后才能落实" in flash(follow(client, r).text)


def test_recording_money_received_and_its_refusals(client, town):
    t = town
    t.set_obligations()
    home_a = str(t.home("A-1"))
    good = {"household_id": home_a, "amount": "20", "receipt_no": "NO.0001", "received_on": "2026-05-09"}
    for user in (t.villager, t.monitor, t.supervisor):
        token = as_user(client, user)
        assert client.post(t.fund("/payments"), data={**good, "csrf_token": token}).status_code == 403
    token = as_user(client, t.outsider)
    assert client.post(t.fund("/payments"), data={**good, "csrf_token": token}).status_code == 404

    token = as_user(client, t.accountant)
    page = follow(client, client.post(t.fund("/payments"), data={**good, "csrf_token": token}))
    assert flash(page.text) == "ok: 已登记缴款 20.00 元（收据号 NO.0001），已自动记账"
    assert household_row(page.text, "A-1")[3:5] == ["20.00", "10.00"]
    assert "收入 20.00 元 − 支出 0.00 元 = 结余 20.00 元" in main(page.text)

    # bad input: the page again, the message beside the field and everything typed
    r = client.post(t.fund("/payments"), data={**good, "amount": "二十", "receipt_no": "NO.0002",
                                                "received_on": "5月9日", "csrf_token": token})
    assert r.status_code == 422
    assert any("金额" in e for e in field_error(r.text)) and "日期要写成 2026-05-10 这样" in field_error(r.text)
    assert 'value="二十"' in r.text and 'value="NO.0002"' in r.text and 'value="5月9日"' in r.text
    assert re.search(rf'<option value="{home_a}" selected>A-1', r.text)
    r = client.post(t.fund("/payments"), data={**good, "amount": "10.01", "receipt_no": "NO.0002",
                                                "csrf_token": token})
    assert r.status_code == 422 and "这一户还应缴 10.00 元，收款不能超过" in field_error(r.text)
    r = client.post(t.fund("/payments"), data={**good, "amount": "1", "receipt_no": "NO.0002",
                                                "received_on": "2026-05-11", "csrf_token": token})
    assert r.status_code == 422 and "凭证日期不能晚于今天" in field_error(r.text)
    r = client.post(t.fund("/payments"), data={**good, "household_id": "", "amount": "", "receipt_no": "",
                                                "csrf_token": token})
    assert r.status_code == 422
    assert {"请选择缴款的户", "请填写金额", "请填写收据号"} <= set(field_error(r.text))
    # the same receipt twice: a flash, nothing recorded
    r = client.post(t.fund("/payments"), data={**good, "amount": "1", "csrf_token": token})
    assert flash(follow(client, r).text) == "error: 收据号 NO.0001 已经登记过了"
    assert funds.summary(t.db, actor(t.db, t.villager), t.matter.id).paid == 2000


def test_without_books_the_keepers_are_told_to_open_them(client, world, clock):
    clock.on_day(TODAY)
    s = Staff(world)
    world.member(s.village, name="丙一", household="C-1")
    p = proposals.create(world.db, actor(world.db, s.committee), s.village, ProposalDraft(
        title="修水渠", body="方案", category="facilities", procedure="yishiyiyi", per_capita_fen=500))
    p.state, p.submitted_at = after_vote(), p.created_at
    world.db.add(p)
    world.db.commit()
    funds.set_obligations(world.db, actor(world.db, s.committee), p.id)
    as_user(client, s.accountant)
    page = client.get(f"/v/{s.village.slug}/proposals/{p.id}/fund").text
    assert "本村还没有建账，建账后才能登记缴款" in page and "/fund/payments" not in page


def test_recording_labour_by_number_or_from_the_list(client, town):
    t = town
    t.set_obligations()
    token = as_user(client, t.villager)
    data = {"user_id": str(t.b.id), "days": "2", "work_date": "2026-05-08"}
    assert client.post(t.fund("/labour"), data={**data, "csrf_token": token}).status_code == 403

    token = as_user(client, t.accountant)
    page = follow(client, client.post(t.fund("/labour"), data={**data, "csrf_token": token}))
    assert flash(page.text) == "ok: 已登记投劳 2 个工日（2026-05-08）"
    assert household_row(page.text, "B-1")[5:] == ["1", "2"]
    r = client.post(t.fund("/labour"), data={**data, "user_id": "999999999", "csrf_token": token})
    assert r.status_code == 422 and "本村没有这个人" in field_error(r.text)
    r = client.post(t.fund("/labour"), data={**data, "user_id": str(t.outsider.id), "csrf_token": token})
    assert r.status_code == 422 and "本村没有这个人" in field_error(r.text)
    r = client.post(t.fund("/labour"), data={**data, "days": "31", "work_date": "2026-05-11", "csrf_token": token})
    assert r.status_code == 422
    assert {"天数要写 1 到 30 的整数"} <= set(field_error(r.text)) and 'value="31"' in r.text
    r = client.post(t.fund("/labour"), data={**data, "work_date": "2026-05-11", "csrf_token": token})
    assert r.status_code == 422 and "日期不能晚于今天" in field_error(r.text)

    token = as_user(client, t.committee)
    r = client.post(t.fund("/labour"), data={**data, "user_id": "", "csrf_token": token})
    assert r.status_code == 422 and "请选择投劳的人" in field_error(r.text)
    follow(client, client.post(t.fund("/labour"), data={**data, "user_id": str(t.a[0].id), "days": "1",
                                                         "csrf_token": token}))
    assert funds.summary(t.db, actor(t.db, t.villager), t.matter.id).labour_done == 3


def test_the_committee_adds_exemptions(client, town):
    t = town
    t.set_obligations()
    student = {"user_id": str(t.a[2].id), "reason": "student", "note": "县一中"}
    for user in (t.accountant, t.villager, t.monitor):
        token = as_user(client, user)
        assert client.post(t.fund("/exemptions"), data={**student, "csrf_token": token}).status_code == 403

    token = as_user(client, t.committee)
    page = follow(client, client.post(t.fund("/exemptions"), data={**student, "csrf_token": token}))
    assert flash(page.text) == "ok: 已减免（在校学生），这一户的应缴已重新计算"
    assert household_row(page.text, "A-1")[:3] == ["2", "1", "20.00"]
    assert "甲三 在校学生 县一中 主任 批准" in main(page.text)
    r = client.post(t.fund("/exemptions"), data={"user_id": str(t.a[1].id), "reason": "other", "note": "",
                                                  "csrf_token": token})
    assert r.status_code == 422 and "原因选“其他”时请写明情况" in field_error(r.text)
    assert re.search(r'<option value="other" selected>其他</option>', r.text)
    assert re.search(rf'<option value="{t.a[1].id}" selected>甲二（A-1）</option>', r.text)
    r = client.post(t.fund("/exemptions"), data={"user_id": "", "reason": "", "csrf_token": token})
    assert r.status_code == 422 and {"请选择减免的人", "请选择减免原因"} <= set(field_error(r.text))
    r = client.post(t.fund("/exemptions"), data={**student, "csrf_token": token})
    assert flash(follow(client, r).text) == "error: 这个人已经减免了"
    # before the obligations are set, an exemption is simply counted later
    later = t.matter_in(title="第二件事")
    r = client.post(t.fund("/exemptions", later.id), data={**student, "csrf_token": token})
    assert flash(follow(client, r).text) == "ok: 已减免（在校学生）；落实到户时不算这个人"
    as_user(client, t.villager)
    assert "甲三 在校学生 县一中" in main(client.get(t.fund()).text)


# --- contracts ----------------------------------------------------------------------------------------

POND = {"kind": "lease", "subject": "村东鱼塘", "counterparty": "王某", "start_date": "2026-01-01",
        "end_date": "2028-12-31", "income_code": "501", "proposal_id": "", "note": "三年一签",
        "due_date": ["2026-05-01", "2027-05-01", "", ""], "amount": ["12,000", "12000.00", "", ""]}


def test_the_contract_list_for_each_viewer(client, town):
    t = town
    assets.create_contract(t.db, actor(t.db, t.accountant), t.village, assets.ContractIn(
        "lease", "村东鱼塘", "王某", date(2026, 1, 1), date(2028, 12, 31), "501",
        [(date(2026, 5, 1), 1_200_000), (date(2027, 5, 1), 1_200_000)]))
    assets.create_contract(t.db, actor(t.db, t.accountant), t.village, assets.ContractIn(
        "contract", "二组机动地", "李某", date(2026, 3, 1), date(2027, 2, 28), "501", [(date(2026, 12, 1), 50_000)]))
    for user in (t.villager, t.monitor, t.accountant):
        as_user(client, user)
        r = client.get(t.url("/accounts/contracts"))
        assert r.status_code == 200
        text = main(r.text)
        assert "村东鱼塘 租赁 王某 2026-01-01 至 2028-12-31 合同总额 24,000.00 元 已收 0.00 元" in text
        assert "应收未收 12,000.00 元 逾期 1 期 下一期 2027-05-01" in text
        assert '<span class="warn">逾期 1 期</span>' in r.text
        assert "二组机动地 发包 李某" in text and "下一期 2026-12-01" in text
        assert ("登记新合同" in text) == (user is t.accountant)
    as_user(client, t.outsider)
    assert client.get(t.url("/accounts/contracts")).status_code == 404
    as_user(client, None)
    assert to_login(client.get(t.url("/accounts/contracts")))


def test_entering_a_contract_through_the_form(client, town):
    t = town
    form = t.url("/accounts/contracts/new")
    for user in (t.villager, t.monitor):
        token = as_user(client, user)
        assert client.get(form).status_code == 403
        assert client.post(form, data={**POND, "csrf_token": token}).status_code == 403
    token = as_user(client, t.outsider)
    assert client.post(form, data={**POND, "csrf_token": token}).status_code == 404

    token = as_user(client, t.accountant)
    r = client.get(form)
    assert r.status_code == 200 and r.text.count('name="due_date"') == 4
    assert '<option value="501" selected>501 经营收入</option>' in r.text and 'value="514"' not in r.text
    # 再加几行: four more rows, everything typed kept, nothing saved
    r = client.post(form, data={**POND, "more": "1", "csrf_token": token})
    assert r.status_code == 200 and r.text.count('name="due_date"') == 8
    assert 'value="村东鱼塘"' in r.text and 'value="12,000"' in r.text and 'value="2027-05-01"' in r.text
    r = client.post(form, data={**POND, "more": "1", "due_date": POND["due_date"] + [""] * 4,
                                "amount": POND["amount"] + [""] * 4, "csrf_token": token})
    assert r.text.count('name="due_date"') == 12 and "再加几行" not in r.text and "最多填 12 期" in r.text
    assert assets.contracts(t.db, actor(t.db, t.accountant), t.village) == []
    # bad input: each message beside its field, everything typed kept
    r = client.post(form, data={**POND, "end_date": "2025-12-31", "amount": ["12,000", "十二", "", ""],
                                "csrf_token": token})
    assert r.status_code == 422 and any(e.startswith("第 2 期：") for e in field_error(r.text))
    assert 'value="十二"' in r.text and 'value="2025-12-31"' in r.text
    r = client.post(form, data={**POND, "end_date": "2025-12-31", "subject": "", "csrf_token": token})
    assert r.status_code == 422
    assert {"结束日期不能早于开始日期", "请填写标的"} <= set(field_error(r.text))
    r = client.post(form, data={**POND, "due_date": ["2030-01-01", "", "", ""], "amount": ["100", "", "", ""],
                                "csrf_token": token})
    assert r.status_code == 422 and "每期的应收日期要在合同期内" in field_error(r.text)
    r = client.post(form, data={**POND, "due_date": ["", "", "", ""], "amount": ["", "", "", ""],
                                "csrf_token": token})
    assert r.status_code == 422 and "至少要有一期应收" in field_error(r.text)
    r = client.post(form, data={**POND, "income_code": "102", "csrf_token": token})
    assert r.status_code == 422 and "收入科目要选收入类科目，例如 经营收入" in field_error(r.text)

    r = client.post(form, data={**POND, "proposal_id": str(t.matter.id), "csrf_token": token})
    assert r.status_code == 303
    page = follow(client, r)
    assert flash(page.text).startswith("ok: 合同已登记：村东鱼塘，共 24,000.00 元")
    [row] = assets.contracts(t.db, actor(t.db, t.accountant), t.village)
    assert (row.contract.total, row.contract.proposal_id, row.contract.note) == (2_400_000, t.matter.id, "三年一签")


def test_a_contract_without_books(client, world, clock):
    clock.on_day(TODAY)
    s = Staff(world)
    as_user(client, s.accountant)
    page = client.get(f"/v/{s.village.slug}/accounts/contracts").text
    assert "建账</a>后才能登记合同" in page and "登记新合同" not in page
    r = client.get(f"/v/{s.village.slug}/accounts/contracts/new")
    assert r.status_code == 404 and "还没有建账" in r.text


def test_instalments_are_booked_and_paid_from_the_contract_page(client, town):
    t = town
    c = assets.create_contract(t.db, actor(t.db, t.accountant), t.village, assets.ContractIn(
        "lease", "村东鱼塘", "王某", date(2026, 1, 1), date(2028, 12, 31), "501",
        [(date(2026, 5, 1), 1_200_000), (date(2027, 5, 1), 1_200_000)]))
    due, later = assets.instalments(t.db, c)
    page_url = t.url(f"/accounts/contracts/{c.id}")
    receivable = f"{page_url}/instalments/{due.id}/receivable"
    payment = f"{page_url}/instalments/{due.id}/payment"

    for user in (t.villager, t.monitor):
        token = as_user(client, user)
        r = client.get(page_url)
        assert r.status_code == 200 and "收入科目 501 经营收入" in main(r.text)
        assert "2026-05-01 12,000.00 元 已到期，未记应收 逾期" in main(r.text)
        assert f'action="{receivable}"' not in r.text and "应收凭证" not in r.text
        assert client.post(receivable, data={"csrf_token": token}).status_code == 403
    as_user(client, t.outsider)
    assert client.get(page_url).status_code == 404
    as_user(client, None)
    assert to_login(client.get(page_url))

    token = as_user(client, t.accountant)
    r = client.get(page_url)
    assert f'action="{receivable}"' in r.text and f"/instalments/{later.id}/receivable" not in r.text
    assert "2026-05-01 12,000.00 元 已到期，未记应收 逾期" in main(r.text)
    # another contract's instalment under this contract: not found
    other = assets.create_contract(t.db, actor(t.db, t.accountant), t.village, assets.ContractIn(
        "contract", "店面", "李某", date(2026, 1, 1), date(2026, 12, 31), "501", [(date(2026, 5, 1), 100)]))
    [stray] = assets.instalments(t.db, other)
    assert client.post(f"{page_url}/instalments/{stray.id}/receivable", data={"csrf_token": token}).status_code == 404
    r = client.post(f"{page_url}/instalments/{later.id}/receivable", data={"csrf_token": token})
    assert flash(follow(client, r).text) == "error: 这一期还没到期"

    page = follow(client, client.post(receivable, data={"csrf_token": token}))
    assert flash(page.text) == "ok: 已记应收，凭证已自动记账（借 应收款，贷 收入）"
    assert "已记应收，未收款" in main(page.text) and "应收凭证" in page.text and f'action="{payment}"' in page.text
    r = client.post(payment, data={"received_on": "2026-05-11", "csrf_token": token})
    assert r.status_code == 422 and "凭证日期不能晚于今天" in field_error(r.text) and 'value="2026-05-11"' in r.text
    r = client.post(payment, data={"received_on": "昨天", "csrf_token": token})
    assert r.status_code == 422 and "日期要写成 2026-05-10 这样" in field_error(r.text)
    page = follow(client, client.post(payment, data={"received_on": "2026-05-09", "csrf_token": token}))
    assert flash(page.text) == "ok: 已记收款，凭证已自动记账（借 银行存款，贷 应收款）"
    assert "2026-05-01 12,000.00 元 已收款" in main(page.text) and "已收 12,000.00 元" in main(page.text)
    r = client.post(payment, data={"csrf_token": token})
    assert flash(follow(client, r).text) == "error: 这一期已经收款了"
    as_user(client, t.villager)
    listed = main(client.get(t.url("/accounts/contracts")).text)
    pond = listed[listed.index("村东鱼塘"):]
    assert "已收 12,000.00 元 下一期 2027-05-01" in pond and "逾期" not in pond


# --- fixed assets ---------------------------------------------------------------------------------------

PUMP = {"name": "抽水泵", "value": "800", "acquired_on": "2026-04-01", "location": "一组泵站", "category": "机械",
        "proposal_id": "", "note": ""}


def test_the_fixed_assets_page_and_its_forms(client, town):
    t = town
    url = t.url("/accounts/assets")
    assets.add_asset(t.db, actor(t.db, t.accountant), t.village, assets.AssetIn("村部办公楼", 50_000_000,
                                                                               date(2010, 9, 1), "村部"))
    for user in (t.villager, t.monitor):
        token = as_user(client, user)
        r = client.get(url)
        assert r.status_code == 200 and "村部办公楼" in r.text and "在用资产原值合计 500,000.00 元" in main(r.text)
        assert f'action="{url}"' not in r.text and "/dispose" not in r.text
        assert client.post(url, data={**PUMP, "csrf_token": token}).status_code == 403
    token = as_user(client, t.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, data={**PUMP, "csrf_token": token}).status_code == 404
    token = as_user(client, None)
    assert to_login(client.get(url)) and to_login(client.post(url, data={**PUMP, "csrf_token": token}))

    token = as_user(client, t.committee)
    r = client.post(url, data={**PUMP, "value": "八百", "acquired_on": "2026-05-11", "csrf_token": token})
    assert r.status_code == 422 and 'value="抽水泵"' in r.text and 'value="八百"' in r.text
    assert any("金额" in e for e in field_error(r.text))
    r = client.post(url, data={**PUMP, "acquired_on": "2026-05-11", "csrf_token": token})
    assert r.status_code == 422 and "请填写购建日期（不能晚于今天）" in field_error(r.text)
    page = follow(client, client.post(url, data={**PUMP, "csrf_token": token}))
    assert flash(page.text) == "ok: 已登记固定资产：抽水泵，原值 800.00 元"
    assert "抽水泵 机械 原值 800.00 元 2026-04-01 购建 一组泵站" in main(page.text)
    pump = next(a for a in assets.assets(t.db, actor(t.db, t.committee), t.village) if a.name == "抽水泵")

    dispose = t.url(f"/accounts/assets/{pump.id}/dispose")
    token = as_user(client, t.villager)
    assert client.post(dispose, data={"note": "报废", "csrf_token": token}).status_code == 403
    token = as_user(client, t.accountant)
    r = client.post(dispose, data={"note": " ", "disposed_on": "2026-05-01", "csrf_token": token})
    assert r.status_code == 422 and "请写明处置情况（报废、出售、毁损…）" in field_error(r.text)
    assert re.search(rf'<details class="action" open>\s*<summary>处置</summary>\s*<form method="post" '
                     rf'action="{re.escape(dispose)}"', r.text)
    assert 'value="2026-05-01"' in r.text
    page = follow(client, client.post(dispose, data={"note": "报废", "disposed_on": "2026-05-01",
                                                     "csrf_token": token}))
    assert flash(page.text) == "ok: 已处置：抽水泵（报废）"
    assert "抽水泵 机械 原值 800.00 元 2026-04-01 购建 一组泵站 已处置（2026-05-01） 报废" in main(page.text)
    assert "在用资产原值合计 500,000.00 元" in main(page.text)
    r = client.post(dispose, data={"note": "再报废", "csrf_token": token})
    assert flash(follow(client, r).text) == "error: 这项资产已经处置了"
    # another village's asset through this village's address: not found
    elsewhere = places.village_of_user(t.db, t.outsider.id)
    theirs = assets.add_asset(t.db, actor(t.db, t.outsider), elsewhere, assets.AssetIn("水泵", 100, date(2026, 1, 1)))
    r = client.post(t.url(f"/accounts/assets/{theirs.id}/dispose"), data={"note": "报废", "csrf_token": token})
    assert r.status_code == 404

