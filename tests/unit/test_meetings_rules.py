"""The rules of meetings and requests to convene, at their boundaries: ten days' notice of a 村民会议 by
the Beijing calendar (short notice only from the 2025 edition), the convening thresholds exactly met
and one short, the citations on 2025-12-31 and 2026-01-01, who attends without a vote, the code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain import meetings as M
from app.domain import rulebook as R

LAST_2018, FIRST_2025 = date(2025, 12, 31), date(2026, 1, 1)
TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(("kind", "meeting_day", "reason", "refused"), [
    (R.ASSEMBLY, TODAY + timedelta(days=10), None, False),  # exactly ten days ahead
    (R.ASSEMBLY, TODAY + timedelta(days=9), None, True),  # one short
    (R.ASSEMBLY, TODAY + timedelta(days=9), "  ", True),  # a blank reason is no reason
    (R.ASSEMBLY, TODAY + timedelta(days=1), "防汛抢险，须当即决定", False),  # 临时通知 (2025)
    (R.ASSEMBLY, TODAY - timedelta(days=1), "补开", True),  # in the past
    (R.REPRESENTATIVES, TODAY, None, False),  # the law sets no period for the representatives
    (R.JOINT, TODAY + timedelta(days=1), None, False),
])
def test_notice_of_a_meeting(kind, meeting_day, reason, refused):
    assert (M.notice_problem(kind, meeting_day, TODAY, reason) is not None) is refused


def test_ten_days_and_the_citation_by_edition():
    old, new = M.notice_rule(R.ASSEMBLY, LAST_2018), M.notice_rule(R.ASSEMBLY, FIRST_2025)
    assert (old.days, old.short_allowed, old.source.article) == (10, False, "第二十一条")
    assert (new.days, new.short_allowed, new.source.article) == (10, True, "第二十五条")
    assert "十天" in old.source.words and "十日" in new.source.words
    problem = M.notice_problem(R.ASSEMBLY, LAST_2018 + timedelta(days=3), LAST_2018, "急事")
    assert "2018年修正" in problem and "没有临时通知" in problem  # the 2018 text knew no short notice
    assert M.notice_problem(R.ASSEMBLY, FIRST_2025 + timedelta(days=3), FIRST_2025, "急事") is None
    assert "1月10日" in M.notice_problem(R.ASSEMBLY, LAST_2018 + timedelta(days=9), LAST_2018, None)
    assert M.notice_rule(R.REPRESENTATIVES, FIRST_2025) == M.NoticeRule(0, True, None)


def test_cadence_and_who_attends_without_a_vote():
    assert M.cadence(R.ASSEMBLY, LAST_2018) is None  # 2018 set no yearly meeting
    assert M.cadence(R.ASSEMBLY, FIRST_2025).startswith("每年至少召开一次（") and "第二十五条" in M.cadence(
        R.ASSEMBLY, FIRST_2025)
    assert "第三十条" in M.cadence(R.REPRESENTATIVES, FIRST_2025) and M.cadence(R.PARTY, FIRST_2025) is None
    assert M.supervisors_attend(R.REPRESENTATIVES, LAST_2018) is None  # 2018: only the committee's meetings
    assert M.supervisors_attend(R.REPRESENTATIVES, FIRST_2025).article == "第三十七条"
    assert M.supervisors_attend(R.JOINT, LAST_2018).article == "第三十二条"
    assert M.supervisors_attend(R.ASSEMBLY, FIRST_2025) is None


@pytest.mark.parametrize(("kind", "villagers", "reps", "adults", "all_reps", "met"), [
    (R.ASSEMBLY, 10, 0, 100, 30, True),  # 1/10 of 100 exactly
    (R.ASSEMBLY, 9, 0, 100, 30, False),  # one short
    (R.ASSEMBLY, 11, 0, 101, 30, True),  # 10.1 → 11
    (R.ASSEMBLY, 10, 0, 101, 30, False),
    (R.ASSEMBLY, 0, 10, 100, 30, True),  # 1/3 of 30 representatives
    (R.ASSEMBLY, 0, 9, 100, 30, False),
    (R.REPRESENTATIVES, 0, 6, 100, 30, True),  # 1/5 of 30
    (R.REPRESENTATIVES, 0, 5, 100, 30, False),
    (R.REPRESENTATIVES, 99, 0, 100, 30, False),  # villagers do not count toward the representatives
    (R.REPRESENTATIVES, 0, 0, 100, 0, False),  # no representatives: nobody can meet it
])
def test_petition_thresholds(kind, villagers, reps, adults, all_reps, met):
    assert M.petition_progress(kind, villagers, reps, adults, all_reps, FIRST_2025).met is met


def test_petition_citations_follow_the_day():
    old = M.petition_progress(R.ASSEMBLY, 1, 0, 10, 3, LAST_2018)
    new = M.petition_progress(R.ASSEMBLY, 1, 0, 10, 3, FIRST_2025)
    assert "第二十一条" in old.citation and "2018年修正" in old.citation
    assert "第二十五条" in new.citation and "2025年修正" in new.citation
    assert "第二十六条" in M.petition_progress(R.REPRESENTATIVES, 0, 1, 0, 5, LAST_2018).citation
    assert "第三十条" in M.petition_progress(R.REPRESENTATIVES, 0, 1, 0, 5, FIRST_2025).citation
    assert new.text == "村民 1/1、村民代表 0/1"
    with pytest.raises(ValueError):
        M.petition_progress(R.PARTY, 0, 0, 1, 1, FIRST_2025)


def test_the_check_in_code_and_its_window():
    start = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert M.checkin_open_problem(start, start - timedelta(hours=1)) is None  # an hour before: open
    assert M.checkin_open_problem(start, start - timedelta(hours=1, seconds=1)) is not None
    assert M.checkin_open_problem(start, start + M.LASTS) is not None
    until = M.checkin_until(start)
    assert M.checkin_problem(until - timedelta(seconds=1), until, True) is None
    assert M.checkin_problem(until, until, True) is not None
    assert M.checkin_problem(start, None, False) == "会议还没有开启手机签到"
    stored = M.code_hash(7, "012345")
    assert M.code_matches(7, "０１２ ３４５", stored) and M.code_matches(7, "012-345", stored)
    assert not M.code_matches(8, "012345", stored)  # salted with the meeting
    assert not M.code_matches(7, "01234", stored) and not M.code_matches(7, "", None)


def test_drafts_are_checked():
    assert set(M.check_meeting(" ", "", [])) == {"title", "place"}
    assert M.check_meeting("会", "村部", ["x" * 201]) == {"items": "每项议程最多 200 个字"}
    assert M.check_meeting("会\x07", "村部", [])["title"].startswith("会议名称")
    assert set(M.check_petition("party", "")) == {"kind", "reason"}
    assert M.check_petition("assembly", "修路") == {}
