"""The township's cases and confidential reports (乡镇督办、举报): pure rules, no I/O.

An objection (质询) left unanswered past its deadline becomes a township case by itself. The monitor
answers it or directs the village to answer by a deadline of its own; the village may still reply.
A member may also report a concern straight to the township's monitors (举报); the village's
committee never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain import text as text_rules

# A case's states.
OPEN, DIRECTED, ANSWERED = "open", "directed", "answered"
CASE_STATES = {OPEN: "待乡镇处理", DIRECTED: "乡镇已督促村委会答复", ANSWERED: "乡镇已答复"}
# A report's states.
REPORT_OPEN, REPORT_REPLIED = "open", "replied"
REPORT_STATES = {REPORT_OPEN: "待答复", REPORT_REPLIED: "乡镇已答复"}

ANSWER_MAX = 5000  # the monitor's answer, and a reply to a report
NOTE_MAX = 2000  # the monitor's direction to the village
REPORT_MAX = 5000
DIRECT_MAX_DAYS = 60  # the furthest deadline a monitor may give the village
REPORTS_PER_DAY = 5  # one person's reports in 24 hours, so the township's list is not flooded


def escalates(due_at: datetime, replied_at: datetime | None, now: datetime) -> bool:
    """An objection becomes a township case once its deadline has passed without a reply."""
    return replied_at is None and now > due_at


def may_answer(state: str) -> bool:
    """The monitor answers an open case, or one whose village was directed (and has not answered)."""
    return state in (OPEN, DIRECTED)


def may_direct(state: str, village_replied: bool) -> bool:
    """The monitor directs the village once, while the objection still waits for the village's reply."""
    return state == OPEN and not village_replied


def direct_due_problem(due: date | None, today: date) -> str | None:
    """Why the deadline given to the village is refused, or None."""
    if due is None:
        return "请填写村委会答复的期限"
    if due <= today:
        return "期限应在今天之后"
    if due > today + timedelta(days=DIRECT_MAX_DAYS):
        return f"期限最长 {DIRECT_MAX_DAYS} 天"
    return None


def needs_attention(state: str, village_replied: bool) -> bool:
    """On the monitor's list of open cases: not yet handled, or directed and the village still silent."""
    return state == OPEN or (state == DIRECTED and not village_replied)


def text_problem(label: str, value: str | None, limit: int) -> str | None:
    """Why a written answer, direction or report is refused (empty, control characters, too long), or None."""
    reason = text_rules.problem(value, multiline=True, required=True)
    if reason:
        return label + reason
    if len(value or "") > limit:
        return f"{label}最多 {limit} 个字"
    return None


def direction_overdue(state: str, village_replied: bool, directed_due_at: datetime | None, now: datetime) -> bool:
    """The village was directed to answer by a deadline, and it has passed without a reply."""
    return state == DIRECTED and not village_replied and directed_due_at is not None and now > directed_due_at


@dataclass(frozen=True)
class Status:
    """How a case reads to the objector and the village, beside the objection."""

    label: str
    detail: str


def status(state: str, village_replied: bool, overdue_direction: bool) -> Status:
    """The line shown under an escalated objection."""
    if state == ANSWERED:
        return Status("已转乡镇处理", "乡镇已答复")
    if state == DIRECTED:
        if village_replied:
            return Status("已转乡镇处理", "乡镇督促后，村委会已答复")
        return Status("已转乡镇处理", "乡镇已督促村委会答复，已超过期限" if overdue_direction
                      else "乡镇已督促村委会在期限内答复")
    if village_replied:
        return Status("已转乡镇处理", "村委会已答复，乡镇尚未处理")
    return Status("已转乡镇处理", "质询逾期未答复，已转乡镇处理，等待乡镇答复")
