"""Timed jobs on both engines: a vote past its closing time is closed by the job, each job runs once
however many workers ask, and the daily seal runs once a Beijing day from two o'clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from app.models import JobRun, VoteSession
from app.services import jobs
from tests.api.vote_setup import new_council, new_vote, proposal_at_vote
from tests.factories import Staff, ok


def test_the_job_closes_a_vote_past_its_time_once(api, world, db, database, settings, clock):
    staff = Staff(world)
    pid = proposal_at_vote(api, db, staff.village, staff.committee)
    council = new_council(api, staff.village, staff.committee)["id"]
    vote = new_vote(api, pid, staff.committee, council)
    sid = ok(api.post(f"/votes/{vote['id']}/open", staff.committee))["id"]
    clock.travel(days=30)
    ran = dict(jobs.run_due(database.engine, settings, only="close_votes"))
    assert ran["close_votes"].startswith("结束表决") and ran["close_votes"] != "结束表决 0 次"
    with Session(database.engine) as s:
        closed = s.get(VoteSession, sid)
        assert closed.state == "closed" and closed.result is not None
    assert dict(jobs.run_due(database.engine, settings, only="close_votes"))["close_votes"] == "结束表决 0 次"


def test_a_leased_job_is_not_run_by_a_second_worker(database, settings):
    now = datetime.now(UTC)
    with Session(database.engine) as s:
        assert jobs._lease(s, "seal", now, lambda last, at: True)
        assert not jobs._lease(s, "seal", now, lambda last, at: True)  # the first still holds it
        row = s.get(JobRun, "seal")
        row.leased_until = None
        s.add(row)
        s.commit()


def test_the_daily_seal_is_due_once_a_beijing_day_from_two_oclock():
    due = jobs.daily_at(2)
    at = datetime(2026, 12, 5, 17, 59, tzinfo=UTC)  # 01:59 on the 6th in Beijing
    assert not due(None, at)
    assert due(None, datetime(2026, 12, 5, 18, 0, tzinfo=UTC))  # 02:00 on the 6th
    assert not due(datetime(2026, 12, 5, 18, 5, tzinfo=UTC), datetime(2026, 12, 6, 3, 0, tzinfo=UTC))
    assert due(datetime(2026, 12, 5, 18, 5, tzinfo=UTC), datetime(2026, 12, 6, 18, 1, tzinfo=UTC))
    assert jobs.every(1)(None, at) and not jobs.every(1)(at, at)
