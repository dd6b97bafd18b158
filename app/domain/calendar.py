"""China's calendar: times are stored in UTC and shown, and dated, in Asia/Shanghai.

Pure functions of a given moment; what "now" is comes from `app.clock`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Beijing time has been UTC+8 all year since daylight saving ended in September 1991: between these two
# moments a time is shown by adding eight hours (pages print hundreds of times; the time-zone lookup was
# a tenth of rendering a thread of 300 comments). Outside them, and for formats that print the zone,
# the zone database answers.
FIXED_FROM = datetime(1992, 1, 1, tzinfo=UTC)
FIXED_UNTIL = datetime(9999, 12, 31, 15, 0, tzinfo=UTC)
EIGHT_HOURS = timedelta(hours=8)


def to_local(value: datetime) -> datetime:
    """A stored moment (aware UTC, or naive meaning UTC) as Beijing time. At the calendar's very edge
    (9999-12-31 after 16:00 UTC) there is no Beijing time: the moment stays in UTC, never an error."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    try:
        return aware.astimezone(SHANGHAI)
    except OverflowError:
        return aware


def local_date_of(value: datetime) -> date:
    """The Beijing calendar day of a moment."""
    return to_local(value).date()


def from_local(value: datetime) -> datetime:
    """A wall-clock time typed in Beijing (naive) as aware UTC."""
    return value.replace(tzinfo=SHANGHAI).astimezone(UTC)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """UTC in the database, Beijing time on the page."""
    if value is None:
        return ""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if FIXED_FROM <= aware < FIXED_UNTIL and "%z" not in fmt and "%Z" not in fmt:
        return (aware.astimezone(UTC) + EIGHT_HOURS).strftime(fmt)
    return to_local(aware).strftime(fmt)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_local(value, "%Y-%m-%d")
    return value.strftime("%Y-%m-%d")


def last_months(today: date, count: int = 12) -> list[date]:
    """The first days of the `count` Beijing calendar months ending with today's, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def month_start_utc(first: date) -> datetime:
    """Midnight of a Beijing calendar day as aware UTC (a month's first moment, for bucketing)."""
    return from_local(datetime(first.year, first.month, first.day))
