"""The township's cases and reports: when an objection escalates, what the monitor may do with a case,
the deadline given to the village, and how a case reads beside its objection (app/domain/cases.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain import cases as C

NOON = datetime(2026, 5, 10, 4, tzinfo=UTC)


@pytest.mark.parametrize(("due", "replied", "escalates"), [
    (NOON - timedelta(seconds=1), None, True),
    (NOON, None, False),  # at the deadline itself it is not yet late
    (NOON + timedelta(days=1), None, False),
    (NOON - timedelta(days=30), NOON - timedelta(days=1), False),  # answered late: no case
])
def test_an_objection_escalates_once_its_deadline_passed_without_a_reply(due, replied, escalates):
    assert C.escalates(due, replied, NOON) is escalates


@pytest.mark.parametrize(("state", "replied", "answer", "direct", "attention"), [
    (C.OPEN, False, True, True, True),
    (C.OPEN, True, True, False, True),  # the village answered after the escalation: nothing to direct
    (C.DIRECTED, False, True, False, True),
    (C.DIRECTED, True, True, False, False),  # directed and answered: off the monitor's list
    (C.ANSWERED, False, False, False, False),
    (C.ANSWERED, True, False, False, False),
])
def test_what_the_monitor_may_do_with_a_case(state, replied, answer, direct, attention):
    assert C.may_answer(state) is answer
    assert C.may_direct(state, replied) is direct
    assert C.needs_attention(state, replied) is attention


TODAY = date(2026, 5, 10)


@pytest.mark.parametrize(("due", "problem"), [
    (None, "请填写村委会答复的期限"),
    (TODAY - timedelta(days=1), "期限应在今天之后"),
    (TODAY, "期限应在今天之后"),
    (TODAY + timedelta(days=1), None),
    (TODAY + timedelta(days=C.DIRECT_MAX_DAYS), None),
    (TODAY + timedelta(days=C.DIRECT_MAX_DAYS + 1), f"期限最长 {C.DIRECT_MAX_DAYS} 天"),
])
def test_the_deadline_given_to_the_village(due, problem):
    assert C.direct_due_problem(due, TODAY) == problem


def test_a_direction_is_overdue_only_while_the_village_stays_silent_past_it():
    due = NOON
    after = NOON + timedelta(seconds=1)
    assert C.direction_overdue(C.DIRECTED, False, due, after)
    assert not C.direction_overdue(C.DIRECTED, False, due, NOON)
    assert not C.direction_overdue(C.DIRECTED, True, due, after)
    assert not C.direction_overdue(C.OPEN, False, None, after)
    assert not C.direction_overdue(C.ANSWERED, False, due, after)


@pytest.mark.parametrize(("state", "replied", "overdue", "detail"), [
    (C.OPEN, False, False, "质询逾期未答复，已转乡镇处理，等待乡镇答复"),
    (C.OPEN, True, False, "村委会已答复，乡镇尚未处理"),
    (C.DIRECTED, False, False, "乡镇已督促村委会在期限内答复"),
    (C.DIRECTED, False, True, "乡镇已督促村委会答复，已超过期限"),
    (C.DIRECTED, True, False, "乡镇督促后，村委会已答复"),
    (C.ANSWERED, False, False, "乡镇已答复"),
])
def test_how_a_case_reads_beside_its_objection(state, replied, overdue, detail):
    status = C.status(state, replied, overdue)
    assert status.label == "已转乡镇处理" and status.detail == detail


@pytest.mark.parametrize(("value", "problem"), [
    ("请核实", None),
    ("", "答复不能为空，或只有空格和不可见字符"),
    ("\u200b \u3000", "答复不能为空，或只有空格和不可见字符"),
    ("有\x00控制字符", "答复不能含有控制字符"),
    ("第一行\n第二行", None),
    ("字" * 10, None),
    ("字" * 11, "答复最多 10 个字"),
])
def test_written_answers_and_reports(value, problem):
    assert C.text_problem("答复", value, 10) == problem


def test_every_state_has_a_chinese_name():
    assert set(C.CASE_STATES) == {C.OPEN, C.DIRECTED, C.ANSWERED}
    assert set(C.REPORT_STATES) == {C.REPORT_OPEN, C.REPORT_REPLIED}
