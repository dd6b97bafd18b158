"""Shapes shared by every API answer: pages and problems."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

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
