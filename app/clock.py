"""The one clock. Services, models and jobs ask it what time it is; tests set it.

`utcnow()` is aware UTC; `local_today()` is today by the Beijing calendar (a villager turns 18, a
window ends and a month closes by that calendar, whatever the server's time zone). Tests freeze or
move time with `clock.frozen(moment)` (or the `clock` fixture) instead of patching modules one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from app.domain.calendar import local_date_of


def _system() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system


def utcnow() -> datetime:
    """Aware UTC 'now'. UTCDateTime columns store UTC and give back aware UTC datetimes on both
    engines, so comparisons never mix naive and aware values."""
    return _source()


def local_today() -> date:
    """Today in China."""
    return local_date_of(_source())


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (None puts the system clock back)."""
    global _source
    _source = source or _system


@contextmanager
def frozen(moment: datetime | Callable[[], datetime]) -> Iterator[None]:
    """Within the block, time is `moment` (or whatever the callable answers)."""
    previous = _source
    set_source(moment if callable(moment) else (lambda: moment))
    try:
        yield
    finally:
        set_source(previous)
