"""The three publications' pure rules: input checks at their boundaries, the content hash, the
difference between a notice and its correction, calendar months, compliance and the window."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain import notices as N
from app.domain.roles import ACCOUNTANT, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR

OK = dict(category="finance", title="2026年10月财务收支公开", body="收入 1,000.00 元。", days=7)
ON = date(2025, 12, 31)  # before the 2025 edition's floor of 15 days (tests/unit/test_posting_days.py)


# --- check ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field"), [
    ({}, None),
    ({"days": 1}, None),
    ({"days": 365}, None),
    ({"days": 0}, "days"),
    ({"days": 366}, "days"),
    ({"days": -7}, "days"),
    ({"title": "题" * 120}, None),
    ({"title": "题" * 121}, "title"),
    ({"title": "  " + "题" * 120 + "  "}, None),  # surrounding spaces are not counted
    ({"title": ""}, "title"),
    ({"title": " \n\t "}, "title"),
    ({"body": "文" * N.BODY_MAX}, None),
    ({"body": "文" * (N.BODY_MAX + 1)}, "body"),
    ({"body": ""}, "body"),
    ({"body": "  \n"}, "body"),
    ({"category": "party"}, None),
    ({"category": "village"}, None),
    ({"category": "accounts"}, "category"),
    ({"category": ""}, "category"),
])
def test_check_boundaries(changes, field):
    values = {**OK, **changes}
    errors = N.check(values["category"], values["title"], values["body"], values["days"], ON)
    assert list(errors) == ([field] if field else [])
    assert all(message and not message.isascii() for message in errors.values())  # Chinese messages


def test_check_names_every_bad_field_at_once():
    assert set(N.check("x", "", "", 0, ON)) == {"category", "title", "body", "days"}


# --- who does what ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("category", "drafters", "publishers", "reviewed"), [
    ("party", {PARTY_COMMITTEE}, {PARTY_COMMITTEE}, False),
    ("village", {COMMITTEE}, {COMMITTEE}, True),
    ("finance", {COMMITTEE, ACCOUNTANT}, {COMMITTEE}, True),
])
def test_roles_of_each_category(category, drafters, publishers, reviewed):
    assert set(N.DRAFTERS[category]) == drafters
    assert set(N.PUBLISHERS[category]) == publishers
    assert (category in N.NEEDS_REVIEW) is reviewed
    assert N.REVIEWERS == (SUPERVISOR,)


# --- content hash ----------------------------------------------------------------------------------

A, B, C = "a" * 64, "b" * 64, "c" * 64
TITLE, BODY = "关于2026年10月财务收支的公开", "收入 1,000.00 元。"


def test_content_hash_is_sha256_of_a_canonical_json():
    canonical = ('{"attachments":["' + A + '","' + B + '"],"body":"收入 1,000.00 元。",'
                 '"title":"关于2026年10月财务收支的公开"}')
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert N.content_hash(TITLE, BODY, [B, A]) == expected
    assert expected == "57c4825899c955f6a5d3af6bf14205aa02ca494551d1ee578b852fe7f1ac35bd"  # pinned: never changes


def test_content_hash_is_stable():
    first = N.content_hash(TITLE, BODY, [A, B])
    assert all(N.content_hash(TITLE, BODY, [A, B]) == first for _ in range(5))
    assert len(first) == 64 and int(first, 16) >= 0


@pytest.mark.parametrize("attachments", [[A, B, C], [C, B, A], [B, C, A]])
def test_content_hash_ignores_the_order_of_attachments(attachments):
    assert N.content_hash(TITLE, BODY, attachments) == N.content_hash(TITLE, BODY, [A, B, C])


@pytest.mark.parametrize(("title", "body", "attachments"), [
    (TITLE + "（更正）", BODY, [A, B]),
    (TITLE, BODY + " ", [A, B]),
    (TITLE, "收入 1,000.01 元。", [A, B]),
    (TITLE, BODY, [A]),
    (TITLE, BODY, [A, B, C]),
    (TITLE, BODY, [A, C]),
    (TITLE, BODY, []),
    (BODY, TITLE, [A, B]),  # title and body are not interchangeable
])
def test_content_hash_changes_with_title_body_and_attachments(title, body, attachments):
    assert N.content_hash(title, body, attachments) != N.content_hash(TITLE, BODY, [A, B])


# --- diff -------------------------------------------------------------------------------------------

def _kinds(old: str, new: str) -> list[tuple[str, str]]:
    return [(d.kind, d.text) for d in N.diff(old, new)]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("甲\n乙", "甲\n乙", [("same", "甲"), ("same", "乙")]),
    ("甲\n应收 100 元\n丙", "甲\n应收 120 元\n丙",
     [("same", "甲"), ("removed", "应收 100 元"), ("added", "应收 120 元"), ("same", "丙")]),
    ("甲", "甲\n乙", [("same", "甲"), ("added", "乙")]),
    ("甲\n乙", "乙", [("removed", "甲"), ("same", "乙")]),
    ("", "甲", [("added", "甲")]),
    ("甲", "", [("removed", "甲")]),
    ("", "", []),
])
def test_diff_kinds(old, new, expected):
    assert _kinds(old, new) == expected


def test_diff_never_shows_hint_lines():
    lines = N.diff("收入 1,000.00 元\n支出 800.00 元", "收入 1,000.00 元\n支出 880.00 元")
    assert {d.kind for d in lines} <= {"same", "added", "removed"}
    assert not any(d.text.startswith("?") or "^" in d.text for d in lines)


# --- calendar months --------------------------------------------------------------------------------

@pytest.mark.parametrize(("earlier", "later", "months"), [
    (date(2026, 10, 31), date(2026, 11, 30), 0),
    (date(2026, 10, 31), date(2026, 12, 1), 1),
    (date(2026, 10, 1), date(2026, 10, 31), 0),
    (date(2026, 10, 1), date(2026, 11, 1), 1),
    (date(2026, 10, 15), date(2026, 11, 14), 0),
    (date(2026, 10, 15), date(2026, 11, 15), 1),
    (date(2026, 10, 15), date(2026, 10, 15), 0),
    (date(2025, 12, 15), date(2026, 1, 14), 0),  # across the new year
    (date(2025, 12, 15), date(2026, 1, 15), 1),
    (date(2025, 12, 31), date(2026, 1, 31), 1),
    (date(2025, 11, 30), date(2026, 2, 28), 2),
    (date(2025, 11, 30), date(2026, 3, 1), 3),
    (date(2024, 2, 29), date(2025, 2, 28), 11),
    (date(2024, 2, 29), date(2025, 3, 1), 12),
    (date(2025, 1, 1), date(2026, 1, 1), 12),
])
def test_months_between(earlier, later, months):
    assert N.months_between(earlier, later) == months


# --- compliance ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("category", "last", "today", "limit", "overdue"), [
    ("finance", date(2026, 9, 15), date(2026, 10, 14), 1, False),
    ("finance", date(2026, 9, 15), date(2026, 10, 15), 1, True),  # exactly the limit: overdue
    ("finance", date(2026, 12, 20), date(2027, 1, 19), 1, False),
    ("finance", date(2026, 12, 20), date(2027, 1, 20), 1, True),
    ("village", date(2026, 7, 1), date(2026, 9, 30), 3, False),
    ("village", date(2026, 7, 1), date(2026, 10, 1), 3, True),
    ("village", date(2026, 11, 30), date(2027, 2, 28), 3, False),
    ("village", date(2026, 11, 30), date(2027, 3, 1), 3, True),
])
def test_compliance_is_overdue_at_exactly_the_limit(category, last, today, limit, overdue):
    c = N.compliance(category, last, today, limit)
    assert (c.category, c.last_published, c.limit_months, c.overdue) == (category, last, limit, overdue)
    assert c.name == N.CATEGORIES[category]


@pytest.mark.parametrize(("since", "today", "overdue"), [
    (date(2026, 10, 20), date(2026, 11, 19), False),  # a new village has a month for its first finance notice
    (date(2026, 10, 20), date(2026, 11, 20), True),
    (None, date(2026, 11, 20), True),  # never published and no joining date: overdue
])
def test_compliance_without_any_notice_counts_from_joining(since, today, overdue):
    c = N.compliance("finance", None, today, 1, since)
    assert c.overdue is overdue and c.last_published is None


def test_compliance_prefers_the_last_notice_to_the_joining_date():
    assert N.compliance("finance", date(2026, 11, 1), date(2026, 11, 20), 1, date(2020, 1, 1)).overdue is False


# --- the window ----------------------------------------------------------------------------------------

START = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
UNTIL = START + timedelta(days=7)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(("now", "start", "until", "inside"), [
    (START, START, UNTIL, True),  # opens at the publication instant
    (START - TICK, START, UNTIL, False),
    (UNTIL - TICK, START, UNTIL, True),
    (UNTIL, START, UNTIL, False),  # closed at the end instant
    (UNTIL + timedelta(days=1), START, UNTIL, False),
    (START, None, UNTIL, False),  # never published
    (START, START, None, False),
])
def test_in_window_edges(now, start, until, inside):
    assert N.in_window(now, start, until) is inside


@pytest.mark.parametrize("days", [1, 7, 365])
def test_window_is_days_from_publication(days):
    assert N.window(START, days) == (START, START + timedelta(days=days))
