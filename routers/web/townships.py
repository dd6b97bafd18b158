"""The township on the web (乡镇): the monitors' dashboard — each village's publication calendar and
its objections left unanswered past their deadline — and the province's rules the township sets for
all its villages (一事一议 caps, the proxy cap). To anyone but its monitors and admins the township
does not exist (404).
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request

from app.domain.money import parse_yuan, yuan
from app.services import seals, townships
from app.services.errors import Invalid, ServiceError
from routers.deps import DbSession, PageActor, SettingsDep
from routers.templating import render
from routers.web.common import redirect
from routers.web.forms import refused

router = APIRouter()


@router.get("/townships/{tid}/dashboard")
def township_dashboard(tid: int, request: Request, db: DbSession, actor: PageActor,
                       sort: str = Query(default="attention", max_length=20)):
    view = townships.dashboard(db, actor, tid, sort)
    return render(request, "townships/dashboard.html", {
        "township": view.township,
        "villages": view.villages,
        "late": view.late,
        "sort": view.sort,
        "sorts": {key: label for key, (label, _) in townships.SORTS.items()},
        "trend": view.trend,
        "rules": _rules_form(view.township.settings or {}),
    })


def _rules_form(rules: dict) -> dict[str, str]:
    """The township's rules as the form shows them: yuan for money, empty where villages decide."""
    cap = rules.get("per_capita_cap_fen")
    return {"per_capita_cap": yuan(cap).replace(",", "") if cap is not None else "",
            "labour_days_cap": str(rules.get("labour_days_cap", "")),
            "proxy_cap": str(rules.get("proxy_cap", ""))}


@router.post("/townships/{tid}/settings")
def township_settings(tid: int, request: Request, db: DbSession, actor: PageActor,
                      per_capita_cap: str = Form(default="", max_length=20),
                      labour_days_cap: str = Form(default="", max_length=10),
                      proxy_cap: str = Form(default="", max_length=10)):
    """The township's province rules for all its villages; an empty field hands it back to the villages."""
    back = f"/townships/{tid}/dashboard#rules"
    try:
        try:
            cap = parse_yuan(per_capita_cap)
        except ValueError:
            raise Invalid("金额格式不对", field="per_capita_cap") from None
        townships.update_township_settings(db, actor, tid, {
            "per_capita_cap_fen": cap, "labour_days_cap": labour_days_cap.strip() or None,
            "proxy_cap": proxy_cap.strip() or None})
    except ServiceError as exc:  # the form sits on the dashboard: any refusal is a flash there
        return refused(request, exc, back=back, reshow=lambda e=exc: redirect(request, back, e.detail, "error"))
    return redirect(request, back, "已保存，本乡镇各村按此执行")


@router.post("/townships/{tid}/seals")
def seal_now(tid: int, request: Request, db: DbSession, settings: SettingsDep, actor: PageActor):
    """The monitor seals the township's villages' chains now."""
    back = f"/townships/{tid}/dashboard"
    count = seals.seal_township(db, settings, actor, tid)
    message = f"已封存 {count} 个村的审计链" if count else "各村的审计链都已封存到最新，无需重复封存"
    return redirect(request, back, message)
