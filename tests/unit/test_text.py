"""What text may hold (app/domain/text.py), what numbers may be (app/domain/bounds.py), the vote's
time bounds (app/domain/votes.check_definition) and birth dates (app/domain/people.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain import bounds, text
from app.domain.calendar import format_local, local_date_of
from app.domain.people import birth_date_problem
from app.domain.votes import APPROVE_OPTIONS, check_definition


@pytest.mark.parametrize(("value", "multiline", "reason"), [
    ("修村口的路", False, None),
    ("第一段\n第二段\r\n\t缩进", True, None),
    ("a\x00b", True, text.CONTROL_REASON),
    ("a\x00b", False, text.CONTROL_REASON),
    ("a\tb", False, text.LINE_REASON),
    ("换\n行", False, text.LINE_REASON),
    ("\x07铃", True, text.CONTROL_REASON),
    ("\x1b[31m红", True, text.CONTROL_REASON),
    ("DEL\x7f", True, text.CONTROL_REASON),
    ("C1\x85", True, text.CONTROL_REASON),
    ("孤\ud800", True, text.CONTROL_REASON),
    ("金额\u202e0001\u202c元", True, text.CONTROL_REASON),  # shows as 1000: an override
    ("\u2067右\u2069", False, text.CONTROL_REASON),  # an isolate
    ("\u202a嵌入", True, text.CONTROL_REASON),
    ("标记\u200e\u200f", False, None),  # plain direction marks stay
    ("", False, None),
])
def test_control_characters(value, multiline, reason):
    assert text.problem(value, multiline=multiline) == reason


@pytest.mark.parametrize("value", [
    "", "   ", "\u200b", "\u200b\u200c\u200d", "\ufeff", "\u2060\u00ad", "\u3000", "\u3164\u115f", "\u200e\u200f",
    "\u2800", " \u200b \t",
])
def test_blank_to_the_eye(value):
    assert text.is_blank(value)
    assert text.problem(value, multiline=True, required=True) == text.BLANK_REASON


@pytest.mark.parametrize("value", ["路", "\u200b路\u200b", "a", "1", "👍", "\u200d👨\u200d👩"])
def test_not_blank(value):
    assert not text.is_blank(value)
    assert text.problem(value, required=True) is None


def test_problems_by_field():
    assert text.problems({"title": ("标题", "\u200b"), "body": ("内容", "好\n的"), "note": ("说明", None)},
                         multiline=frozenset({"body"}), required=frozenset({"title"})) == {
        "title": "标题" + text.BLANK_REASON}
    assert text.problems({"name": ("姓名", "张\x00三")}) == {"name": "姓名" + text.CONTROL_REASON}


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1), (" 42 ", 42), (str(bounds.MAX_ID), bounds.MAX_ID), (str(bounds.MAX_ID + 1), None),
    ("99999999999999999999999", None), ("0", None), ("-1", None), ("", None), ("abc", None), ("１２", None),
    ("1_000", None), (None, None),
])
def test_form_ids(raw, expected):
    assert bounds.id_or_none(raw) == expected


NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def definition(opens_at: datetime, closes_at: datetime, **extra) -> dict[str, str]:
    values = {"question": "修路吗？", "options": APPROVE_OPTIONS, "secret": True, "allow_change": False} | extra
    return check_definition(values["question"], values["options"], opens_at, closes_at, values["secret"],
                            values["allow_change"], NOW)


def test_vote_times_bounded():
    day = timedelta(days=1)
    assert definition(NOW, NOW + day) == {}
    assert definition(NOW - timedelta(hours=23), NOW + 90 * day - timedelta(hours=23)) == {}
    assert definition(NOW + 365 * day, NOW + 455 * day) == {}
    assert "24 小时" in definition(NOW - 2 * day, NOW + day)["opens_at"]
    assert "一年" in definition(NOW + 366 * day, NOW + 367 * day)["opens_at"]
    assert "90 天" in definition(NOW, NOW + 91 * day)["closes_at"]
    assert "晚于" in definition(NOW, NOW)["closes_at"]
    edge = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert set(definition(NOW, edge)) == {"closes_at"}
    assert set(definition(datetime(1, 1, 1, tzinfo=UTC), NOW + day)) == {"opens_at", "closes_at"}


def test_vote_question_and_options_must_show_something():
    day = timedelta(days=1)
    assert "表决事项" in definition(NOW, NOW + day, question="\u200b\u200b")["question"]
    assert "控制字符" in definition(NOW, NOW + day, question="修\x00路")["question"]
    assert "不能为空" in definition(NOW, NOW + day, options=["\u200b", "反对"])["options"]
    assert "控制字符" in definition(NOW, NOW + day, options=["同\x00意", "反对"])["options"]


def test_birth_dates():
    today = date(2026, 12, 4)
    assert birth_date_problem(None, today) is None
    assert birth_date_problem(date(1900, 1, 1), today) is None
    assert birth_date_problem(today, today) is None
    assert "晚于今天" in birth_date_problem(date(2999, 1, 1), today)
    assert "晚于今天" in birth_date_problem(today + timedelta(days=1), today)
    assert "1900" in birth_date_problem(date(1, 1, 1), today)
    assert "1900" in birth_date_problem(date(1899, 12, 31), today)


def test_calendar_edges_never_fail():
    assert format_local(datetime(9999, 12, 31, 23, 0, tzinfo=UTC)) == "9999-12-31 23:00"
    assert local_date_of(datetime(9999, 12, 31, 23, 0, tzinfo=UTC)) == date(9999, 12, 31)
    assert format_local(datetime(1, 1, 1, tzinfo=UTC)).startswith("1-01-01")


@pytest.mark.parametrize(("value", "multiline", "expected"), [
    ("", False, "请填写名称"), ("   ", True, "请填写名称"),
    ("一" * 10, False, None), ("一" * 11, False, "名称最多 10 个字"), ("  一二  ", False, None),  # trimmed
    ("一\x00二", True, "名称不能含有控制字符"), ("第一行\n第二行", True, None),
])
def test_one_required_field(value, multiline, expected):
    assert text.field_problem(value, "名称", "请填写名称", 10, multiline=multiline) == expected


@pytest.mark.parametrize("moment", [
    datetime(1991, 7, 1, 12, 0, tzinfo=UTC),  # summer time then: the zone database answers (UTC+9)
    datetime(1991, 12, 31, 23, 59, tzinfo=UTC),  # just before the fixed offset is used
    datetime(1992, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 1, 1, 15, 59, tzinfo=UTC),  # 23:59 in Beijing
    datetime(2026, 1, 1, 16, 0, tzinfo=UTC),  # the next Beijing day
    datetime(2026, 6, 30, 16, 0),  # naive means UTC
    datetime(2026, 6, 30, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai")),  # an aware Beijing time stays itself
    datetime(9999, 12, 31, 14, 59, tzinfo=UTC),
    datetime(9999, 12, 31, 15, 0, tzinfo=UTC),
])
@pytest.mark.parametrize("fmt", ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%m月%d日", "%Y-%m-%d %H:%M %z"])
def test_format_local_adds_eight_hours_exactly_where_the_zone_database_would(moment, fmt):
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    try:
        expected = aware.astimezone(ZoneInfo("Asia/Shanghai")).strftime(fmt)
    except OverflowError:
        expected = aware.strftime(fmt)
    assert format_local(moment, fmt) == expected


def test_summer_time_of_1991_is_still_shown_from_the_zone_database():
    assert format_local(datetime(1991, 7, 1, 12, 0, tzinfo=UTC)) == "1991-07-01 21:00"
