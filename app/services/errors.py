"""Errors a use case raises; routers turn them into problem+json or a Chinese error page."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "请求有误"

    def __init__(self, detail: str, *, field: str | None = None, errors: list[dict] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.errors = errors or []


class Invalid(ServiceError):
    status = 422
    title = "输入有误"


class Unauthorized(ServiceError):
    status = 401
    title = "需要登录"


class Forbidden(ServiceError):
    status = 403
    title = "没有权限"


class NotFound(ServiceError):
    status = 404
    title = "找不到"


class Conflict(ServiceError):
    status = 409
    title = "状态不允许"


class TooMany(ServiceError):
    status = 429
    title = "操作太频繁"

    def __init__(self, detail: str, *, retry_after: int = 900):
        super().__init__(detail)
        self.retry_after = retry_after


def invalid_fields(errors: dict[str, str]) -> Invalid:
    """One 422 for several fields at once: the messages joined for the detail, each by its field."""
    return Invalid("；".join(errors.values()), errors=[{"field": k, "message": m} for k, m in errors.items()])
