"""Shapes shared by every API answer: pages and problems."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class ProblemError(BaseModel):
    field: str | None = None
    message: str
    row: int | None = None


class Problem(BaseModel):
    """RFC 9457 problem details; `detail` is Chinese and meant for people."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemError] | None = None


PROBLEMS = {code: {"model": Problem, "content": {"application/problem+json": {}}}
            for code in (401, 403, 404, 409, 422, 429)}


def out_model(view: type, name: str, *, exclude: tuple[str, ...] = (), descriptions: dict[str, str] | None = None,
              extra: dict[str, Any] | None = None, doc: str | None = None) -> type[BaseModel]:
    """An API response model derived from a service view (a dataclass): the same fields and types,
    minus `exclude`, plus `extra` (name → (type, Field)), read from the view's attributes. The API
    answer is the view; it is never copied field by field."""
    hints = typing.get_type_hints(view)
    descriptions = descriptions or {}
    fields: dict[str, Any] = {
        f.name: (hints[f.name], Field(description=descriptions.get(f.name)))
        for f in dataclasses.fields(view) if f.name not in exclude
    }
    fields.update(extra or {})
    return create_model(name, __config__=ConfigDict(from_attributes=True), __doc__=doc or view.__doc__,
                        **fields)
