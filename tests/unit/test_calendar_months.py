"""The twelve Beijing months of the township's trend, at their edges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.calendar import last_months, month_start_utc


@pytest.mark.parametrize(("today", "count", "first", "last"), [
    (date(2026, 12, 5), 12, date(2026, 1, 1), date(2026, 12, 1)),
    (date(2026, 1, 31), 12, date(2025, 2, 1), date(2026, 1, 1)),  # across the year
    (date(2026, 3, 1), 3, date(2026, 1, 1), date(2026, 3, 1)),
    (date(2026, 1, 1), 1, date(2026, 1, 1), date(2026, 1, 1)),
])
def test_last_months_end_with_this_month_and_run_oldest_first(today, count, first, last):
    months = last_months(today, count)
    assert len(months) == count and months[0] == first and months[-1] == last
    assert months == sorted(months) and len(set(months)) == count


def test_a_beijing_month_starts_eight_hours_earlier_in_utc():
    assert month_start_utc(date(2026, 1, 1)) == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
