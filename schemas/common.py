"""Shapes shared by every API answer (pages and problems) and the bounded types every request uses.

Every integer a client sends is bounded (`Id`, `Count`, `Days`, `Fen`), and every text has no control
characters (`Line` for one line, `Text` for a body that keeps line breaks and tabs); `Title` and
`Prose` must also show something once invisible characters are removed. The rules are the domain's
(`app/domain/bounds.py`, `app/domain/text.py`); a refusal is a 422 naming the field, in Chinese.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model
from pydantic_core import PydanticCustomError

from app.domain import bounds
from app.domain import text as text_rules

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    """Every list the API answers: one page of `items`, the `total` across pages, and the `page` and
    `per_page` asked for (query parameters `page` from 1, `per_page` up to 200)."""

    items: list[T]
    total: int
    page: int
    per_page: int


def page_out(model: type[BaseModel], result: Any, convert: Any = None) -> PageOut:
    """A service's page (items, total, page, per_page) as `PageOut[model]`; each item goes through
    `convert` when given, else `model.model_validate` (attributes or dict)."""
    convert = convert or model.model_validate
    return PageOut[model](items=[convert(item) for item in result.items], total=result.total,  # type: ignore[valid-type]
                          page=result.page, per_page=result.per_page)


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


# --- bounded input ----------------------------------------------------------------------------

Id = Annotated[int, Field(ge=1, le=bounds.MAX_ID)]
Count = Annotated[int, Field(ge=0, le=bounds.MAX_COUNT)]
Days = Annotated[int, Field(ge=0, le=bounds.MAX_DAYS)]
Fen = Annotated[int, Field(ge=0, le=bounds.MAX_FEN, description="金额，单位：分")]


def _checker(*, multiline: bool, required: bool):
    def check(value: str) -> str:
        reason = text_rules.problem(value, multiline=multiline, required=required)
        if reason:
            # the error's message follows the field's Chinese name (routers/errors.py)
            raise PydanticCustomError("cunyi_reason", reason)
        return value

    return check


_LINE = {"pattern": text_rules.LINE_PATTERN}
_TEXT = {"pattern": text_rules.TEXT_PATTERN}
Line = Annotated[str, AfterValidator(_checker(multiline=False, required=False)), Field(json_schema_extra=_LINE)]
Text = Annotated[str, AfterValidator(_checker(multiline=True, required=False)), Field(json_schema_extra=_TEXT)]
Title = Annotated[str, AfterValidator(_checker(multiline=False, required=True)), Field(json_schema_extra=_LINE)]
Prose = Annotated[str, AfterValidator(_checker(multiline=True, required=True)), Field(json_schema_extra=_TEXT)]


PROBLEMS = {code: {"model": Problem, "content": {"application/problem+json": {}}}
            for code in (400, 401, 403, 404, 409, 413, 422, 429)}


def one_of(names: dict[str, str], what: str) -> dict[str, Any]:
    """What a field or query parameter that takes one of a set of codes says in the OpenAPI document:
    the codes as its enum and, in its description, each with its Chinese name. The service checks the
    value itself and answers a Chinese 422; this only tells a client what to send."""
    listed = "、".join(f"{code}（{name}）" for code, name in names.items())
    return {"description": f"{what}：{listed}", "json_schema_extra": {"enum": [str(code) for code in names]}}


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
    own = view.__doc__ or ""
    if own.startswith(f"{view.__name__}("):  # the signature a dataclass without a docstring gets, not a text
        own = ""
    return create_model(name, __config__=ConfigDict(from_attributes=True), __doc__=doc or own or None, **fields)
