"""Pages of a list: {items, total, page, per_page}, with the count done in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.sql import Select
from sqlmodel import Session

T = TypeVar("T")
MAX_PER_PAGE = 200


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int
    more: bool = False  # the count stopped early (see `paginate`'s look_ahead): `total` is a lower bound

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages or self.more


def clamp(page: int, per_page: int) -> tuple[int, int]:
    return max(1, page), min(max(1, per_page), MAX_PER_PAGE)


def paginate(session: Session, stmt: Select[Any], page: int, per_page: int, *, scalars: bool = True,
             look_ahead: int | None = None) -> Page:
    """Two queries whatever the size: the count, and the page. With `look_ahead` the count stops that
    many pages past this one (the page says "more" beyond): a list that only grows, like the board's
    archive, then costs the same at 50 rows and at 50,000."""
    page, per_page = clamp(page, per_page)
    counted = stmt.order_by(None)
    cap = None
    if look_ahead is not None:
        cap = count_cap(page, per_page, look_ahead)
        counted = counted.limit(cap + 1)
    total = session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    result = session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.scalars()) if scalars else list(result.all())
    return counted_page(items, total, page, per_page, cap)


def count_cap(page: int, per_page: int, look_ahead: int) -> int:
    """How far a list counted `look_ahead` pages past this one counts: it reads at most one row more."""
    return (page + look_ahead) * per_page


def counted_page(items: list[T], total: int, page: int, per_page: int, cap: int | None = None) -> Page[T]:
    """A page whose count stopped at `cap` rows (and one more, to know there are more)."""
    more = cap is not None and total > cap
    return Page(items, cap if more else total, page, per_page, more)


def page_list(items: Sequence[T], page: int, per_page: int) -> Page[T]:
    """A page of a list already read whole (short lists: a village's councils, a file's attachments,
    a thread capped by its service), so every list answers the same shape."""
    page, per_page = clamp(page, per_page)
    start = (page - 1) * per_page
    return Page(list(items[start:start + per_page]), len(items), page, per_page)
