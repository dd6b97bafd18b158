"""Errors at the HTTP edge: RFC 9457 problem+json under /api/, the Chinese error page elsewhere.

Services raise `services/errors.py` exceptions; this module maps them once. Validation errors become
a list of `{field, message}` in Chinese. The error page itself can never fail: if rendering it
raises, a plain Chinese page with the security headers is sent instead.
"""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.services.errors import ServiceError, TooMany
from routers.security import with_security_headers

log = logging.getLogger("cunyi")

_PLAIN_PAGE = ('<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
               '<meta name="viewport" content="width=device-width, initial-scale=1">'
               '<title>{title}</title><h1>{title}</h1><p>{detail}</p><p><a href="/">返回首页</a></p></html>')

HTTP_TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "找不到这个页面",
    405: "不支持这种请求",
    409: "状态不允许",
    413: "文件太大",
    422: "输入有误",
    429: "操作太频繁",
    500: "服务器出错了",
}
HTTP_DETAILS = {
    401: "请先登录",
    403: "你没有权限做这件事",
    404: "要找的内容不存在，或你无权查看",
    405: "不支持这种请求方式",
    500: "服务器出错了，请稍后再试；问题已记录",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(
    request: Request, status: int, detail: str, *, errors: list | None = None, headers=None, title: str | None = None
) -> Response:
    """RFC 9457 problem+json for the API; a Chinese error page for everything else."""
    title = title or HTTP_TITLES.get(status, "出错了")
    if _wants_json(request):
        body: dict = {"type": "about:blank", "title": title, "status": status, "detail": detail,
                      "instance": request.url.path}
        if errors:
            body["errors"] = errors
        return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)
    from routers.templating import render

    try:
        response = render(request, "error.html", {"status": status, "title": title, "detail": detail,
                                                  "errors": errors or []}, status_code=status)
    except Exception:  # the error page must never fail: a plain page that needs nothing
        log.exception("error page failed on %s %s", request.method, request.url.path)
        response = HTMLResponse(_PLAIN_PAGE.format(title=html.escape(title), detail=html.escape(detail)),
                                status_code=status)
    if headers:
        response.headers.update(headers)
    return response


_FIELD_NAMES = {
    "phone": "手机号", "password": "密码", "name": "姓名", "code": "激活码", "slug": "网址名",
    "county_id": "县", "township_id": "乡镇", "roles": "身份", "body": "请求内容", "file": "文件",
    "new_password": "新密码", "current_password": "原密码", "page": "页码", "per_page": "每页条数",
    "title": "标题", "category": "类别", "procedure": "议事程序", "budget_fen": "预算", "per_capita_fen": "人均筹资",
    "labour_days": "人均筹劳", "note": "说明", "question": "表决事项", "options": "选项", "choice": "选项",
    "council_id": "议事机构", "opens_at": "开始时间", "closes_at": "结束时间", "secret": "投票方式",
    "voter_id": "委托人", "proxy_id": "受托人", "counts": "票数", "invalid": "废票", "present_user_ids": "签到名单",
    "days": "公示天数", "reason": "理由", "action": "操作", "kind": "类别", "member_ids": "组成人员",
    "debit": "借方金额", "credit": "贷方金额", "account": "科目", "summary": "摘要", "date": "日期", "lines": "分录",
    "rows": "期初余额", "chart": "会计制度", "first_period": "起始月份", "parent": "上级科目",
    "receipts_public": "原始凭证公开", "period": "月份", "state": "状态", "amount": "金额", "receipt_no": "收据号",
    "received_on": "收款日期", "household_id": "户", "user_id": "村民", "work_date": "投劳日期",
    "subject": "标的", "counterparty": "承包方", "start_date": "开始日期", "end_date": "结束日期",
    "income_code": "收入科目", "schedule": "应收计划", "due_date": "应收日期", "value": "原值",
    "acquired_on": "购建日期", "location": "存放地点", "disposed_on": "处置日期", "proposal_id": "关联事项",
    "vote_session_id": "关联表决",
}
# Where the books use a name other parts of the API use differently ("code" is an activation code
# elsewhere, "name" a person's name).
_BOOKS_FIELD_NAMES = {"code": "科目编号", "name": "科目名称"}
_BOOKS_PATHS = ("/accounts", "/ledger", "/assets", "/contracts")


def _validation_message(err: dict, path: str = "") -> dict:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
    field = loc[-1] if loc else "body"
    books = any(part in path for part in _BOOKS_PATHS) or "rows" in loc
    label = (_BOOKS_FIELD_NAMES.get(field) if books else None) or _FIELD_NAMES.get(field, field)
    if field == "name" and any(part in path for part in ("/assets",)):
        label = "资产名称"
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        message = f"缺少{label}"
    elif kind in ("string_too_short",):
        message = f"{label}至少 {ctx.get('min_length')} 个字符"
    elif kind in ("string_too_long",):
        message = f"{label}最多 {ctx.get('max_length')} 个字符"
    elif kind.startswith("int") or kind.startswith("float"):
        message = f"{label}应为数字"
    elif kind.startswith("date"):
        message = f"{label}应为日期，如 1980-05-01"
    elif kind.startswith("bool"):
        message = f"{label}应为是或否"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        message = f"{label}超出允许范围"
    elif kind == "cunyi_reason":  # schemas/common.py: the reason follows the field's name
        message = f"{label}{err.get('msg', '格式不对')}"
    elif kind == "json_invalid":
        message = "请求内容不是有效的 JSON"
    else:
        message = f"{label}格式不对"
    return {"field": ".".join(loc) or "body", "message": message}


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route answers at this request's address."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError):
        if exc.status == 401 and not _wants_json(request):
            from routers.web.common import login_redirect

            return login_redirect(request)  # a page that needs a login sends the browser to the form
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
        errors = exc.errors or ([{"field": exc.field, "message": exc.detail}] if exc.field else None)
        return problem(request, exc.status, exc.detail, errors=errors, headers=headers, title=exc.title)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [_validation_message(e, request.url.path) for e in exc.errors()]
        detail = "；".join(e["message"] for e in errors[:3]) or "输入有误"
        return problem(request, 422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # every method the address answers, not only the first route's (RFC 9110)
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return problem(request, exc.status_code, detail or HTTP_DETAILS.get(exc.status_code, "请求有误"),
                       headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = problem(request, 500, HTTP_DETAILS[500])
        # this answer is sent by ServerErrorMiddleware, outside SecurityHeaders
        response.raw_headers = with_security_headers(request.url.path, response.raw_headers)
        return response
