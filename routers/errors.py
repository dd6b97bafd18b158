"""Errors at the HTTP edge: RFC 9457 problem+json under /api/, the Chinese error page elsewhere.

Services raise `services/errors.py` exceptions; this module maps them once. Validation errors become
a list of `{field, message}` in Chinese. The error page itself can never fail: if rendering it
raises, a plain Chinese page with the security headers is sent instead.
"""

from __future__ import annotations

import html
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.services.errors import ServiceError, TooMany
from routers.deps import ANONYMOUS_UNSAFE, has_live_login
from routers.security import UNSAFE, with_security_headers

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
        if status == 401:  # RFC 9110: a 401 says how to authenticate; RFC 6750: and whether the token failed
            sent = request.headers.get("authorization", "").lower().startswith("bearer ")
            challenge = 'Bearer realm="cunyi"' + (', error="invalid_token"' if sent else "")
            if sent and detail == HTTP_DETAILS[401]:
                body["detail"] = "令牌无效或已过期，请重新登录取得令牌"
            headers = {**(headers or {}), "WWW-Authenticate": challenge}
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
    "county_id": "县", "township_id": "乡镇", "roles": "身份", "body": "内容", "file": "文件",
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
    "allow_change": "能否改票", "answer": "答复", "approve": "是否同意", "attachment_id": "附件",
    "birth_date": "出生日期",
    "contract_id": "合同", "dry_run": "试算", "exemptions": "免于适用", "gender": "性别", "group": "村民小组",
    "group_id": "村民小组", "household": "户", "household_head": "户主", "items": "议程",
    "labour_days_cap": "人均筹劳上限", "meeting_id": "会议", "min_days": "最少天数", "minutes": "会议记录",
    "number": "编号", "objection_reply_days": "异议答复天数", "on_behalf_of": "代投的村民", "paid": "已付",
    "parent_id": "上级", "passing": "通过比例", "passing_inclusive": "通过比例", "per_capita_cap_fen": "人均筹资上限",
    "photo_id": "照片", "place": "地点", "proposal_ids": "议题", "proxy_cap": "每人受托上限", "quorum": "到会比例",
    "quorum_inclusive": "到会比例", "reverses_id": "冲销的凭证", "scan": "扫描件", "scan_id": "扫描件",
    "short_notice": "紧急召集", "special_rule": "特别规定", "starts_at": "会议时间", "supersedes_id": "更正的公开",
    "target_id": "对象", "text": "内容", "type": "类型", "user_ids": "村民", "village_id": "村",
    "window_from": "公开开始日期", "window_until": "公开结束日期", "row": "行", "after": "起点", "mine": "只看自己的",
    "open": "进行中", "q": "搜索词", "role": "身份", "sort": "排序", "ytd": "本年累计",
}
# The part of an error's location that names a member of a union type (`int | str`: "int",
# "constrained-int", "function-after[…]"), not a field: left out of what the caller reads.
_UNION_MEMBER = re.compile(r"^(int|str|float|bool|none|list|dict)$|[\[\]()<>-]")
# Where the books use a name other parts of the API use differently ("code" is an activation code
# elsewhere, "name" a person's name).
_BOOKS_FIELD_NAMES = {"code": "科目编号", "name": "科目名称"}
_BOOKS_PATHS = ("/accounts", "/ledger", "/assets", "/contracts")


def _validation_message(err: dict, path: str = "") -> dict:
    where = list(err.get("loc", ()))
    if where and where[0] in ("body", "query", "path", "form", "header", "cookie"):
        where = where[1:]  # where the value came from, not a field (a comment's own `body` field stays)
    if err.get("type") == "json_invalid":
        where = []  # its location is a character offset in the request, not a field
    loc = [str(p) for p in where if not (isinstance(p, str) and _UNION_MEMBER.search(p))]
    field = loc[-1] if loc else "body"
    books = any(part in path for part in _BOOKS_PATHS) or "rows" in loc
    label = (_BOOKS_FIELD_NAMES.get(field) if books else None) or _FIELD_NAMES.get(field, field)
    if not loc:
        label = "请求内容"  # the request as a whole
    if field == "name" and any(part in path for part in ("/assets",)):
        label = "资产名称"
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        message = f"缺少{label}"
    elif kind == "string_too_short" or (kind == "too_short" and ctx.get("field_type") != "List"):
        message = f"{label}至少 {ctx.get('min_length')} 个字符"
    elif kind == "string_too_long" or (kind == "too_long" and ctx.get("field_type") != "List"):
        message = f"{label}最多 {ctx.get('max_length')} 个字符"
    elif kind in ("too_short", "too_long"):
        bound = f"至少 {ctx.get('min_length')}" if kind == "too_short" else f"最多 {ctx.get('max_length')}"
        message = f"{label}{bound} 项"
    elif kind.startswith("int") or kind.startswith("float"):
        message = f"{label}应为数字"
    elif kind.startswith("datetime"):
        message = f"{label}应为日期和时间，如 2026-05-01T09:30:00+08:00"
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


def _messages(raw: list[dict], path: str) -> list[dict]:
    """One message a field. A value checked against a union (`int | str`) fails once for each member;
    the member it was not of the kind for (`int_type`, `string_type`) says least, so another wins."""
    by_field: dict[str, tuple[str, dict]] = {}
    for err in raw:
        message, kind = _validation_message(err, path), err.get("type", "")
        kept = by_field.get(message["field"])
        if kept is None or (kept[0].endswith("_type") and not kind.endswith("_type")):
            by_field[message["field"]] = (kind, message)
    return [message for _, message in by_field.values()]


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
        raw = exc.errors()
        if any(e.get("loc", ())[:1] == ("path",) for e in raw):  # /proposals/abc names nothing, as /proposals/0 doesn't
            return problem(request, 404, HTTP_DETAILS[404])
        if (_wants_json(request) and request.method in UNSAFE and request.url.path not in ANONYMOUS_UNSAFE
                and any(e.get("type") == "json_invalid" for e in raw)
                and not await run_in_threadpool(has_live_login, request)):
            return problem(request, 401, HTTP_DETAILS[401])  # a login first, as for any other unsafe call
        errors = _messages(raw, request.url.path)
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
