"""The committee's settings page (议事设置): minimum days per stage, the 一事一议 caps, the proxy
cap, the objection reply days. What the township fixes is shown read-only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.domain.money import parse_yuan, yuan
from app.domain.village_settings import settable_stages
from app.services import village_settings
from app.services.errors import Invalid, ServiceError
from routers.deps import DbSession, PageActor
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import field_errors, refused

router = APIRouter()


def _settings_form(request: Request, village, fixed, values: dict, error: str | None = None,
                   errors: dict | None = None, status: int = 200) -> Response:
    return render(request, "proposals/settings.html", {
        "village": village, "stages": settable_stages(), "values": values, "error": error,
        "errors": errors or {}, "fixed": fixed,
    }, status_code=status)


def _reshow(request: Request, village, current, values: dict, exc: ServiceError):
    """The form again with each message beside its field (the service names stages by their key
    and money in fen; the form has its own names)."""
    rename = {key: f"days.{key}" for key, *_ in settable_stages()} | {"per_capita_cap_fen": "per_capita_cap"}
    return lambda: _settings_form(request, village, current.fixed, values, exc.detail, field_errors(exc, rename),
                                  exc.status)


@router.get("/v/{slug}/settings")
def settings_page(slug: str, request: Request, db: DbSession, actor: PageActor):
    village, current = village_settings.settings_form(db, actor, slug)
    values = {f"days.{key}": str(current.stage_days(*key.split(".", 1))) for key, *_ in settable_stages()}
    values["per_capita_cap"] = yuan(current.per_capita_cap_fen).replace(",", "")
    values["labour_days_cap"] = str(current.labour_days_cap)
    values["proxy_cap"] = str(current.proxy_cap)
    values["objection_reply_days"] = str(current.objection_reply_days)
    return _settings_form(request, village, current.fixed, values)


@router.post("/v/{slug}/settings")
async def save_settings(slug: str, request: Request, db: DbSession, actor: PageActor):
    form = await request.form()
    village, current = await run_in_threadpool(village_settings.settings_form, db, actor, slug)
    values = {f"days.{key}": str(form.get(f"days.{key}") or "").strip()[:10] for key, *_ in settable_stages()}
    values["per_capita_cap"] = str(form.get("per_capita_cap") or "").strip()[:30]
    values["labour_days_cap"] = str(form.get("labour_days_cap") or "").strip()[:10]
    values["proxy_cap"] = str(form.get("proxy_cap") or "").strip()[:10]
    values["objection_reply_days"] = str(form.get("objection_reply_days") or "").strip()[:10]
    try:
        try:
            cap = parse_yuan(values["per_capita_cap"])
        except ValueError:
            raise Invalid("金额格式不对", field="per_capita_cap") from None
        if cap is None:
            raise Invalid("请填写人均筹资上限", field="per_capita_cap")
        min_days = {key: values[f"days.{key}"] for key, *_ in settable_stages()}
        await run_in_threadpool(village_settings.update_settings, db, actor, village, min_days=min_days,
                                per_capita_cap_fen=cap, labour_days_cap=values["labour_days_cap"],
                                proxy_cap=values["proxy_cap"] or None,
                                objection_reply_days=values["objection_reply_days"] or None)
    except ServiceError as exc:
        return refused(request, exc, back=f"/v/{slug}/settings", reshow=_reshow(request, village, current, values, exc))
    return redirect(request, f"/v/{slug}/settings", "设置已保存")
