"""The three publications (三公开): who drafts, reviews and publishes each category; the content
hash; the difference between a notice and its correction; the publication calendar."""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain import rulebook as R
from app.domain import text as T
from app.domain.roles import ACCOUNTANT, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR

PARTY, VILLAGE, FINANCE = "party", "village", "finance"
CATEGORIES: dict[str, str] = {PARTY: "党务公开", VILLAGE: "村务公开", FINANCE: "财务公开"}
SHORT: dict[str, str] = {PARTY: "党务", VILLAGE: "村务", FINANCE: "财务"}
KINDS: dict[str, str] = {"general": "公开", "resolution": "决议公开", "implementation": "实施结果公开",
                         "correction": "更正"}

DRAFT, SUBMITTED, APPROVED, PUBLISHED, CLOSED = "draft", "submitted", "approved", "published", "closed"
STATE_NAMES = {DRAFT: "草稿", SUBMITTED: "待审核", APPROVED: "审核通过，待发布", PUBLISHED: "公示中",
               CLOSED: "已办结"}

# Who may draft, and who publishes, each category.
DRAFTERS: dict[str, tuple[str, ...]] = {
    PARTY: (PARTY_COMMITTEE,),
    VILLAGE: (COMMITTEE,),
    FINANCE: (COMMITTEE, ACCOUNTANT),
}
PUBLISHERS: dict[str, tuple[str, ...]] = {PARTY: (PARTY_COMMITTEE,), VILLAGE: (COMMITTEE,), FINANCE: (COMMITTEE,)}
REVIEWERS: tuple[str, ...] = (SUPERVISOR,)
NEEDS_REVIEW = {VILLAGE, FINANCE}  # reviewed by the supervisory committee before publishing

DEFAULT_DAYS = 7
MAX_DAYS = 365
DEFAULT_REPLY_DAYS = 10
TITLE_MAX = 120
BODY_MAX = 50_000
# Publication calendar: at most this many months between two notices of a category.
DEFAULT_CALENDAR_MONTHS = {VILLAGE: 3, FINANCE: 1}


def content_hash(title: str, body: str, attachment_hashes: list[str]) -> str:
    """SHA-256 over the published title, body and the sorted attachment hashes."""
    data = json.dumps({"title": title, "body": body, "attachments": sorted(attachment_hashes)},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def least_days(category: str, on: date) -> int:
    """The fewest days a notice of `category` may be posted when published on `on` (Beijing calendar):
    the law's floor for 村务、财务 notices (15 from 2026-01-01), otherwise 1."""
    return max(1, R.posting_floor(category, on).days)


def default_days(category: str, on: date) -> int:
    """The posting days offered for a new notice of `category` on `on`: 7, or the law's floor if more."""
    return max(DEFAULT_DAYS, R.posting_floor(category, on).days)


def publish_days(category: str, days: int, on: date) -> int:
    """The days a notice is really posted when published on `on`: a draft written for fewer days than
    the floor of that day (under the old rule) is extended to the floor, never refused."""
    return max(days, least_days(category, on))


def floor_text(category: str, on: date) -> str:
    """"村务公开至少公布 15 天（依据《村民委员会组织法》（2025年修正）第三十五条）"; "" when the law sets no
    floor for the category on `on`."""
    days, source = R.posting_floor(category, on)
    return f"村务公开至少公布 {days} 天（{source.cite}）" if source else ""


def days_problem(category: str, days: int, on: date) -> str | None:
    """Why `days` cannot be a notice's posting days on `on`, or None."""
    floor = R.posting_floor(category, on).days
    if floor and days < floor:
        return floor_text(category, on)
    if not 1 <= days <= MAX_DAYS:
        return f"公示天数应在 1 到 {MAX_DAYS} 天之间"
    return None


def check(category: str, title: str, body: str, days: int, on: date) -> dict[str, str]:
    """The problems of a notice's fields, by field; `on` is the Beijing date the days are checked for."""
    errors: dict[str, str] = {}
    if category not in CATEGORIES:
        errors["category"] = "请选择公开类别"
    if reason := T.field_problem(title, "标题", "请填写标题", TITLE_MAX, multiline=False):
        errors["title"] = reason
    if reason := T.field_problem(body, "内容", "请填写公开内容", BODY_MAX):
        errors["body"] = reason
    if reason := days_problem(category, days, on):
        errors["days"] = reason
    return errors


def window(published_at: datetime, days: int) -> tuple[datetime, datetime]:
    return published_at, published_at + timedelta(days=days)


def in_window(now: datetime, start: datetime | None, until: datetime | None) -> bool:
    return start is not None and until is not None and start <= now < until


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def diff(old: str, new: str) -> list[DiffLine]:
    """Line-by-line difference between a notice and its correction, for showing both."""
    lines: list[DiffLine] = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "  ":
            lines.append(DiffLine("same", text))
        elif tag == "+ ":
            lines.append(DiffLine("added", text))
        elif tag == "- ":
            lines.append(DiffLine("removed", text))
    return lines


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (Oct 31 → Nov 30 is 0; → Dec 1 is 1)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return months


@dataclass(frozen=True)
class Compliance:
    category: str
    last_published: date | None
    limit_months: int
    overdue: bool

    @property
    def name(self) -> str:
        return CATEGORIES[self.category]


def compliance(category: str, last: date | None, today: date, limit_months: int,
               village_since: date | None = None) -> Compliance:
    """Overdue when no notice of the category came out within `limit_months` (counted from the
    last one, or from when the village joined if it never published one)."""
    start = last or village_since
    overdue = start is None or months_between(start, today) >= limit_months
    return Compliance(category, last, limit_months, overdue)


def stage_complete(*, published: bool, window_ended: bool, unanswered_objections: int) -> bool:
    """Whether a matter's notice stage (公示) is complete: its notice — the latest version, when it was
    corrected — is published, that version's window is over, and every objection raised against any
    version has its reply. An unanswered objection holds the stage: the committee answers before
    the matter moves on, and a correction does not make an earlier version's objections go away."""
    return published and window_ended and unanswered_objections == 0
