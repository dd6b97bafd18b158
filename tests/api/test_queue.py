"""The township's queue (乡镇审核备案) on both engines: the matters waiting for its monitors, oldest
first with their decision file's summary; filing gives the year's next number and moves the matter
on; returning sends it back to the village's deliberation with a reason; nobody else may do either."""

from __future__ import annotations

from app.domain import procedures as P
from app.models import Proposal
from tests.factories import Staff, items, ok, refused


def at_review(db, staff, title: str) -> int:
    """A 一事一议 matter of the staff's village waiting in 乡镇审核备案 (placed there directly)."""
    from app.domain.proposals import ProposalDraft
    from app.services import proposals
    from app.services.access import load_actor

    chair = load_actor(db, staff.committee)
    p = proposals.create(db, chair, staff.village, ProposalDraft(title=title, body="方案", category="facilities",
                                                                 procedure="yishiyiyi"))
    proposals.transition(db, chair, p.id, "submit")
    row = db.get(Proposal, p.id)
    row.state = "review"
    db.add(row)
    db.commit()
    return p.id


def test_the_monitor_files_and_returns_from_the_queue(api, world, db):
    staff = Staff(world)
    township = staff.village.township_id
    monitor = world.monitor(township)
    first, second = at_review(db, staff, "修桥"), at_review(db, staff, "修路")
    rows = items(api.get(f"/townships/{township}/queue", monitor))
    assert [r["proposal_id"] for r in rows] == [first, second]  # oldest first
    assert rows[0]["summary"] in ("合规", "不合规", "未完成") and rows[0]["overdue"] is False
    refused(api.get(f"/townships/{township}/queue", staff.committee), 404)
    refused(api.post(f"/proposals/{first}/filing", staff.committee, {}), 404)
    filed = ok(api.post(f"/proposals/{first}/filing", monitor, {"note": "方案符合规定"}), 201)
    assert filed["number"].endswith("〔" + filed["filed_at"][:4] + "〕1号") and "备" in filed["number"]
    assert db.get(Proposal, first).state != "review"
    refused(api.post(f"/proposals/{first}/filing", monitor, {}), 409)
    refused(api.post(f"/proposals/{second}/filing/return", monitor, {"reason": ""}), 422)
    back = ok(api.post(f"/proposals/{second}/filing/return", monitor, {"reason": "人均筹资超过上限，请修改方案"}))
    assert back["state"] == "deliberation"
    assert [r["proposal_id"] for r in items(api.get(f"/townships/{township}/queue", monitor))] == []
    third = at_review(db, staff, "修渠")
    assert ok(api.post(f"/proposals/{third}/filing", monitor, {}), 201)["number"].endswith("2号")


def test_the_queue_page_files_a_matter_and_shows_its_number(client, world, db):
    from tests.conftest import page_csrf
    from tests.factories import login

    staff = Staff(world)
    township = staff.village.township_id
    monitor = world.monitor(township)
    pid = at_review(db, staff, "修桥")
    login(client, monitor)
    page = client.get(f"/townships/{township}/queue").text
    assert "修桥" in page and f"/v/{staff.village.slug}/proposals/{pid}/file" in page and "一事一档" in page
    token = page_csrf(client, f"/townships/{township}/queue")
    r = client.post(f"/townships/{township}/queue/{pid}/file", data={"note": "", "csrf_token": token})
    assert r.status_code == 303
    after = client.get(r.headers["location"]).text
    assert "已备案：" in after and "号" in after and "没有等乡镇审核备案的事项" in after
    assert P.PROCEDURES["yishiyiyi"].stage(db.get(Proposal, pid).state).kind is not P.Kind.REVIEW


def test_the_queue_reads_kept_verdicts_and_builds_a_file_only_for_a_changed_matter(api, world, db, app):
    """With the `verdicts` job's results kept, a page of the queue costs the same statements for 2 matters
    as for 8, and says what each decision file says; a matter changed since the job looked is built
    afresh (its row still right), and the job's next run makes it cheap again."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.services import decision_files
    from tests.querycount import count_queries

    staff = Staff(world)
    township = staff.village.township_id
    monitor = world.monitor(township)
    url = f"/townships/{township}/queue"
    ids = [at_review(db, staff, f"事项{i}") for i in range(2)]
    decision_files.refresh_verdicts(db)
    api.get(url, monitor)  # the monitor's token, fetched once
    with count_queries(app.state.engine) as two:
        rows = items(api.get(url, monitor))
    ids += [at_review(db, staff, f"事项{i}") for i in range(2, 8)]
    decision_files.refresh_verdicts(db)
    with count_queries(app.state.engine) as eight:
        rows = items(api.get(url, monitor))
    assert [r["proposal_id"] for r in rows] == ids
    assert eight.count == two.count, f"2 matters: {two}\n8 matters: {eight}"
    for row in rows[:2]:  # what the kept verdict says is what the file says
        file = ok(api.get(f"/proposals/{row['proposal_id']}/file", monitor))
        assert row["summary"] == file["summary"]["name"]
        assert row["failed"] == [c["label"] for s in file["steps"] for c in s["checks"] if c["verdict"] == "not_met"]

    db.expire_all()
    changed_at = db.get(Proposal, ids[0]).updated_at  # as if the job had looked just before this change
    db.execute(update(Proposal).where(Proposal.id == ids[0]).values(verdict_at=changed_at - timedelta(seconds=1)))
    db.commit()
    with count_queries(app.state.engine) as changed:
        again = items(api.get(url, monitor))
    assert again == rows and changed.count > eight.count  # built afresh, the same answer
    decision_files.refresh_verdicts(db)
    with count_queries(app.state.engine) as settled:
        items(api.get(url, monitor))
    assert settled.count == eight.count


def test_the_verdicts_job_picks_exactly_the_matters_whose_kept_verdict_no_longer_holds(world, db):
    """The job's query (SQL) and the township's queue (Python) apply one rule, `verdict_current`."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from app.clock import utcnow
    from app.domain import decision as D
    from app.services import decision_files

    pid = at_review(db, Staff(world), "修渠")
    now, hour, day = utcnow(), timedelta(hours=1), timedelta(days=1)
    cases = [  # verdict_at, updated_at, state, stage_entered_at: each well clear of a boundary
        (None, now - day, "review", now - day),
        (now - 10 * timedelta(minutes=1), now - day, "review", now - day),
        (now - 2 * hour, now - day, "review", now - day),
        (now - 2 * hour, now - hour, "review", now - day),
        (now - 5 * day, now - 40 * day, P.CLOSED, now - 40 * day),
        (now - 5 * day, now - 40 * day, P.CLOSED, now - 10 * day),
        (now - 5 * day, now - 40 * day, P.REJECTED, None),
        (now - 5 * day, now - 40 * day, "review", None),
        (now - 5 * day, now - 4 * day, P.CLOSED, now - 40 * day),
    ]
    answers = []
    for verdict_at, updated_at, state, entered in cases:
        db.execute(update(Proposal).where(Proposal.id == pid).values(
            verdict_at=verdict_at, updated_at=updated_at, state=state, stage_entered_at=entered))
        db.commit()
        stale = db.execute(select(Proposal.id).where(Proposal.id == pid, decision_files.stale_verdict(now))).first()
        current = D.verdict_current(verdict_at, updated_at, state, entered, now)
        assert (stale is None) is current, (verdict_at, updated_at, state, entered)
        answers.append(current)
    assert answers == [False, True, False, False, True, False, True, False, False]
