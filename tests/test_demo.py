"""The demo county as a visitor meets it: a smoke test on a fresh SQLite database.

Loads the demo once (through the service, as `cunyi demo` does) and checks what the README
promises: both villages, every published login, 杏花村's matters in every stage of 一事一议, an open
secret vote 张大爷 can still vote in, a closed roll-call vote with its rule and citation, and an
unbroken audit chain everywhere.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from app import demo
from app.cli import app as cli_app
from app.cli import upgrade_database
from app.config import get_settings
from app.db import make_engine
from app.domain import procedures as P
from app.domain import rulebook as R
from app.models import (
    PLATFORM_CHAIN,
    AuditHead,
    Ballot,
    Council,
    CouncilMember,
    Elector,
    PaperAttendance,
    PaperTally,
    Proposal,
    User,
    Village,
    VoteSession,
)
from app.services import audit
from tests.conftest import make_settings
from tests.factories import unique_client


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    settings = make_settings(f"sqlite:///{tmp / 'demo.db'}", tmp)
    upgrade_database(settings)
    engine = make_engine(settings)
    with Session(engine) as session:  # how long this takes is for benchmarks, not for a test to assert
        demo.load(session, settings)
    yield settings, engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(loaded):
    from app.main import create_app

    app = create_app(loaded[0])
    with unique_client(app) as c:
        yield c
    app.state.engine.dispose()


@pytest.fixture
def db(loaded):
    with Session(loaded[1], expire_on_commit=False) as session:
        yield session


def login(client, phone: str) -> dict:
    r = client.post("/api/v1/auth/token", json={"phone": phone, "password": demo.DEMO_PASSWORD})
    assert r.status_code == 200, (phone, r.text)
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def xinghua(db) -> Village:
    return db.execute(select(Village).where(Village.slug == "xinghua")).scalar_one()


def session_for(db, title: str) -> VoteSession:
    """The matter's latest vote (the land matter has two: the party members' and the representatives')."""
    return db.execute(select(VoteSession).join(Proposal, Proposal.id == VoteSession.proposal_id)
                      .where(Proposal.title == title).order_by(VoteSession.id.desc()).limit(1)).scalar_one()


def test_both_villages_exist(db):
    assert list(db.execute(select(Village.name).order_by(Village.slug)).scalars()) == ["柳溪村", "杏花村"]


def test_every_published_login_logs_in(client):
    for known in demo.DEMO_LOGINS:
        login(client, known.phone)


def test_xinghua_has_a_matter_in_every_stage_of_yishiyiyi(db):
    states = set(db.execute(select(Proposal.state).where(
        Proposal.village_id == xinghua(db).id, Proposal.procedure == "yishiyiyi")).scalars())
    stages = {stage.key for stage in P.PROCEDURES["yishiyiyi"].stages}
    assert stages <= states, stages - states


def test_xinghua_has_its_councils(db):
    councils = {c.name: c for c in db.execute(select(Council).where(Council.village_id == xinghua(db).id)).scalars()}
    assert {"村民会议", "村民代表会议", "党员大会", "两委联席会议", "村民理事会"} <= set(councils)
    custom = councils["村民理事会"]
    assert custom.kind == R.CUSTOM
    assert (custom.quorum_num, custom.quorum_den, custom.quorum_inclusive) == (2, 3, True)
    assert (custom.pass_num, custom.pass_den, custom.pass_inclusive) == (1, 2, False)
    members = db.execute(select(CouncilMember.user_id).where(CouncilMember.council_id == custom.id)).all()
    assert len(members) == 7


def test_the_open_vote_takes_zhang_dayes_ballot_once(client, db):
    vs = session_for(db, "安装村道路灯 40 盏")
    assert vs.state == "open" and vs.secret and vs.fingerprint
    headers = login(client, "13800000007")  # 张大爷
    r = client.post(f"/api/v1/votes/{vs.id}/ballots", json={"choice": 0}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["receipt"]
    again = client.post(f"/api/v1/votes/{vs.id}/ballots", json={"choice": 1}, headers=headers)
    assert again.status_code == 409, again.text


def test_the_closed_vote_has_a_result_with_rule_and_citation(client, db):
    vs = session_for(db, "土地流转给合作社种植茶叶")
    assert vs.state == "closed" and not vs.secret and vs.special_rule == R.LAND_TO_OUTSIDERS
    result = vs.result
    assert result["passed"] is True and result["quorum"]["met"] is True
    assert "第五十二条" in result["citation"] and "农村土地承包法" in result["citation"]
    assert result["rule"] == "全体成员的三分之二以上同意"
    tally = db.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one()
    # the result against the rows it was counted from, not against itself
    electorate = len(db.execute(select(Elector.user_id).where(Elector.vote_session_id == vs.id)).all())
    online = db.execute(select(Ballot.choice).where(Ballot.vote_session_id == vs.id)).scalars().all()
    assert online == [0, 0]  # the two representatives who voted online, both 同意
    assert result["electorate"] == electorate
    assert result["yes"] == 2 + tally.counts[0]
    assert result["yes_needed"] == -(-2 * electorate // 3)  # 三分之二以上: at least two thirds, rounded up
    assert result["quorum"]["present"] == 2 + len(db.execute(select(PaperAttendance.user_id).where(
        PaperAttendance.vote_session_id == vs.id)).all())
    names = {u.id: u.phone for u in db.execute(select(User).where(
        User.id.in_([tally.recorded_by, tally.confirmed_by]))).scalars()}
    assert names[tally.recorded_by] == "13800000002" and names[tally.confirmed_by] == "13800000001"
    assert tally.confirmed_at is not None
    public = client.get(f"/api/v1/votes/{vs.id}/result")  # anyone may read a closed vote's result
    assert public.status_code == 200, public.text
    assert public.json()["passed"] is True
    assert public.json()["summary"] == "依据《农村土地承包法》（2018年修正）第五十二条：全体成员的三分之二以上同意"
    assert [c["count"] for c in result["counts"]] == [2 + tally.counts[0], tally.counts[1], tally.counts[2]]


def test_every_audit_chain_verifies(db, loaded, client, monkeypatch):
    chains = list(db.execute(select(AuditHead.village_id).order_by(AuditHead.village_id)).scalars())
    assert PLATFORM_CHAIN in chains and len(chains) >= 3
    for village_id in chains:
        result = audit.verify_chain(db, village_id)
        assert result.ok, (village_id, result.reason)
    settings = loaded[0]
    for key, value in {"CUNYI_DATABASE_URL": settings.database_url, "CUNYI_SECRET_KEY": settings.secret_key,
                       "CUNYI_UPLOAD_DIR": str(settings.upload_dir),
                       "CUNYI_SEAL_KEY_FILE": str(settings.seal_key_file)}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        verified = CliRunner().invoke(cli_app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert verified.exit_code == 0, verified.output
    assert "完整" in verified.output and "断裂" not in verified.output


def test_a_year_of_notices_with_a_correction_and_objections(client, db):
    from app.models import Notice, Objection, utcnow

    village = xinghua(db)
    board = client.get("/v/xinghua/").text
    assert "村集体鱼塘承包费收缴情况" in board
    published = db.execute(select(Notice).where(Notice.village_id == village.id,
                                                Notice.published_at.is_not(None))).scalars().all()
    assert {n.category for n in published} == {"party", "village", "finance"}
    assert len([n for n in published if n.category == "finance"]) == 11  # last month's waits for review
    correction = next(n for n in published if n.supersedes_id is not None)
    assert client.get(f"/api/v1/notices/{correction.supersedes_id}").json()["superseded_by"] == correction.id
    objections = db.execute(select(Objection).where(Objection.village_id == village.id)).scalars().all()
    assert any(o.replied_at is not None for o in objections)
    assert any(o.replied_at is None and o.due_at < utcnow() for o in objections)  # one overdue


def test_a_year_of_books_draws_the_finance_notices(client, db):
    from app.domain import books as B
    from app.domain.money import yuan
    from app.models import AccountPeriod, Notice, Voucher
    from app.services import statements

    village = xinghua(db)
    months = db.execute(select(AccountPeriod).where(AccountPeriod.village_id == village.id)
                        .order_by(AccountPeriod.period)).scalars().all()
    assert len(months) == 12 and all(m.state == B.CLOSED and m.notice_id for m in months)
    last = months[-1]
    notice = db.get(Notice, last.notice_id)
    assert notice.state == "submitted" and notice.period == last.period  # for 赵监委 to review
    s = statements.statement(db, village, last.period)
    assert s.balanced and f"本月结余 {yuan(s.cash.closing)} 元" in notice.body
    reversal = db.execute(select(Voucher).where(Voucher.village_id == village.id,
                                                Voucher.reverses_id.is_not(None))).scalar_one()
    assert reversal.state == B.POSTED and reversal.summary.startswith("冲销")
    waiting = db.execute(select(Voucher.state).where(Voucher.village_id == village.id,
                                                     Voucher.state != B.POSTED)).scalars().all()
    assert "draft" in waiting
    published = db.get(Notice, months[0].notice_id)
    page = client.get(f"/v/xinghua/notices/{published.id}")
    assert page.status_code == 200 and "财务收支公开" in page.text


def test_the_demo_books_hold_a_fund_a_lease_and_the_fixed_assets(db):
    from sqlalchemy import func

    from app.models import FixedAsset, FundExemption, FundPayment, Instalment, Proposal

    village = xinghua(db)
    matter = db.execute(select(Proposal).where(Proposal.village_id == village.id,
                                               Proposal.title == "新建垃圾集中收集点")).scalar_one()
    paid = db.execute(select(func.count()).select_from(FundPayment).where(FundPayment.proposal_id == matter.id)
                      ).scalar_one()
    assert paid > 10 and db.execute(select(func.count()).select_from(FundExemption)).scalar_one() >= 2
    first = db.execute(select(Instalment).where(Instalment.village_id == village.id)
                       .order_by(Instalment.due_date)).scalars().first()
    assert first.receivable_voucher_id and first.payment_voucher_id
    total = db.execute(select(func.sum(FixedAsset.value)).where(FixedAsset.village_id == village.id)).scalar_one()
    assert total == 60_000_000  # the books' 固定资产 at their start


def test_the_township_has_an_escalated_objection_a_report_and_a_matter_to_file(db):
    from sqlalchemy import func

    from app.models import Proposal, Report, TownshipCase

    village = xinghua(db)
    assert db.execute(select(func.count()).select_from(TownshipCase).where(
        TownshipCase.village_id == village.id)).scalar_one() >= 1
    assert db.execute(select(func.count()).select_from(Report).where(Report.village_id == village.id)).scalar_one() == 1
    assert db.execute(select(Proposal.id).where(Proposal.village_id == village.id, Proposal.state == "review")).first()
