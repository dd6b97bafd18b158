"""The monitors' dashboard beyond the calendar, on both engines: decisions with a failed check (kept by
the `verdicts` job), the villages in the order the monitor asks for, the twelve-month trend, the audit
chain's nightly check, the same in the API, and a constant number of queries however many villages."""

from __future__ import annotations

import re

from app.domain.calendar import local_date_of
from app.models import Proposal, Village, VoteSession
from app.services import decision_files, jobs
from tests.api.test_decision_files import full_matter
from tests.factories import Staff, login, ok
from tests.querycount import count_queries
from tests.web.test_proposal_pages import main


def require_ten_days(db, village_id: int) -> None:
    """The village now asks for ten days of deliberation: the matter discussed for eight fails that check."""
    village = db.get(Village, village_id)
    village.settings = {**(village.settings or {}), "min_days": {"yishiyiyi.deliberation": 10}}
    db.add(village)
    db.commit()


def names_in_order(html: str, names: list[str]) -> list[str]:
    text = main(html)
    return sorted(names, key=text.index)


def test_a_decision_with_a_failed_check_reaches_the_dashboard_through_the_verdicts_job(
        client, api, world, db, clock, database, settings):
    s, monitor, pid, _, _ = full_matter(api, world, db, clock)
    township = s.village.township_id
    login(client, monitor)
    assert "有不符合项的事项" not in client.get(f"/townships/{township}/dashboard").text  # no verdict kept yet
    require_ten_days(db, s.village.id)
    assert dict(jobs.run_due(database.engine, settings, only="verdicts"))["verdicts"].startswith("更新合规结论")
    db.expire_all()
    kept = db.get(Proposal, pid)
    assert kept.verdict == "non_compliant" and kept.failed_checks == 1 and kept.verdict_at is not None
    page = client.get(f"/townships/{township}/dashboard")
    text = main(page.text)
    assert "有不符合项的事项：1 件" in text and "需要督促" in text
    assert f'href="/v/{s.village.slug}/proposals/{pid}/file"' in page.text  # one tap to its file
    body = ok(api.get(f"/townships/{township}/dashboard", monitor))
    row = next(v for v in body["villages"] if v["village_id"] == s.village.id)
    assert row["failed_checks"] == 1 and row["failing"] == [pid] and row["late"] is True
    verdict_at = kept.verdict_at
    decision_files.refresh_verdicts(db)  # nothing changed since: its verdict is not computed again
    db.expire_all()
    assert db.get(Proposal, pid).verdict_at == verdict_at


def test_the_monitor_orders_the_villages(client, api, world, db, clock, database, settings):
    s, monitor, pid, _, _ = full_matter(api, world, db, clock)
    township = s.village.township_id
    quiet = world.village(township)  # nothing to take up with it
    require_ten_days(db, s.village.id)
    decision_files.refresh_verdicts(db)
    login(client, monitor)
    names = [s.village.name, quiet.name]
    by_name = client.get(f"/townships/{township}/dashboard?sort=name").text
    assert names_in_order(by_name, names) == sorted(names)
    for sort in ("checks", "attention"):
        page = client.get(f"/townships/{township}/dashboard?sort={sort}").text
        assert names_in_order(page, names) == [s.village.name, quiet.name], sort
        assert re.search(rf'<option value="{sort}" selected>', page)
    assert client.get(f"/townships/{township}/dashboard?sort=bogus").status_code == 200  # the default order
    assert ok(api.get(f"/townships/{township}/dashboard", monitor, sort="seal"))["sort"] == "seal"
    assert api.get(f"/townships/{township}/dashboard", monitor, sort="x" * 21).status_code == 422


def test_the_trend_counts_twelve_months(client, api, world, db, clock):
    s, monitor, pid, vote, _ = full_matter(api, world, db, clock)
    township = s.village.township_id
    row = db.get(VoteSession, vote["id"])
    row.result = {**row.result, "quorum": {**row.result["quorum"], "met": False}}  # as if the quorum had failed
    db.add(row)
    db.commit()
    body = ok(api.get(f"/townships/{township}/dashboard", monitor))
    trend = body["trend"]
    assert len(trend) == 12 and trend == sorted(trend, key=lambda m: m["month"])
    assert sum(m["votes"] for m in trend) == 1 and sum(m["failed_quorum"] for m in trend) == 1
    closed_in = local_date_of(row.closed_at).strftime("%Y-%m")  # each count in its own Beijing month
    assert [m["month"] for m in trend if m["votes"]] == [closed_in]
    assert sum(m["objections"] for m in trend) == 1 and sum(m["late_objections"] for m in trend) == 0
    assert sum(sum(m["published"].values()) for m in trend) >= 1
    login(client, monitor)
    page = main(client.get(f"/townships/{township}/dashboard").text)
    assert "近 12 个月" in page and "近一年未达法定人数的表决：1 次" in page


def test_a_chain_whose_nightly_check_failed_is_flagged(client, world, db, database, settings):
    from sqlalchemy import text

    from tests.api.test_audit_edges import guards_off

    s = Staff(world)
    db.commit()
    with guards_off(database) as conn:
        conn.execute(text("UPDATE audit_event SET action = 'forged' WHERE village_id = :v AND seq = 1"),
                     {"v": s.village.id})
    jobs.run_due(database.engine, settings, only="verify")
    login(client, world.monitor(s.village.township_id))
    page = client.get(f"/townships/{s.village.township_id}/dashboard").text
    assert "审计链最近一次完整核验：" in page and f'href="/v/{s.village.slug}/audit">发现问题' in page


def test_the_dashboard_costs_the_same_for_two_villages_and_for_eight(client, world, db):
    township = world.township()
    monitor = world.monitor(township)
    for _ in range(2):
        Staff(world, township)
    login(client, monitor)
    with count_queries(client.app.state.engine) as few:
        assert client.get(f"/townships/{township}/dashboard").status_code == 200
    for _ in range(6):
        Staff(world, township)
    with count_queries(client.app.state.engine) as many:
        assert client.get(f"/townships/{township}/dashboard").status_code == 200
    assert many.count == few.count, str(many)


def test_the_calendar_cites_the_law_in_force(client, world, clock):
    from datetime import date

    s = Staff(world)
    login(client, world.monitor(s.village.township_id))
    clock.on_day(date(2025, 12, 31))
    assert "依据《村民委员会组织法》（2018年修正）第三十条" in client.get(
        f"/townships/{s.village.township_id}/dashboard").text
    clock.on_day(date(2026, 1, 1))
    assert "依据《村民委员会组织法》（2025年修正）第三十五条" in client.get(
        f"/townships/{s.village.township_id}/dashboard").text
