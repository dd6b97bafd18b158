"""The township (乡镇监督): its dashboard (per village, the publication calendar and the objections
left unanswered past their deadline), its monitors, and the rules it sets for all its villages."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.services import townships
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage, SettingsDep
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.townships import MonitorIn, MonitorOut, TownshipDashboardOut, TownshipSettings

router = APIRouter(tags=["三公开"], responses=PROBLEMS)


@router.get("/townships/{tid}/dashboard", response_model=TownshipDashboardOut)
def township_dashboard(tid: int, db: DbSession, actor: CurrentActor,
                       sort: str = Query(default="attention", max_length=20,
                                         description="attention、name、publication、objections、stuck、checks、"
                                                     "quorum、books、seal")):
    """Per village of the township: calendar compliance, objections unanswered past their deadline, open
    cases and reports, stuck matters, failed quorums, decisions with a failed check, books, seals; and
    the twelve-month trend (the township's monitors and admins; anyone else: 404)."""
    return TownshipDashboardOut.of(townships.dashboard(db, actor, tid, sort))


@router.get("/townships/{tid}/monitors", response_model=PageOut[MonitorOut])
def monitors(tid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 100):
    """The township's monitors (admin, or the township's own monitors)."""
    users = townships.list_monitors(db, actor, tid)
    return page_out(MonitorOut, page_list(users, page, per_page),
                    lambda u: MonitorOut(user_id=u.id, name=u.name, phone=u.phone, status=u.status))


@router.post("/townships/{tid}/monitors", response_model=MonitorOut, status_code=201)
def add_monitor(
    tid: int,
    body: MonitorIn,
    db: DbSession,
    settings: SettingsDep,
    actor: CurrentActor,
):
    """Make a person a township monitor (admin). A new account's one-time code is shown only here."""
    user, code, expires = townships.add_monitor(db, settings, actor, tid, body.name, body.phone)
    return MonitorOut(user_id=user.id, name=user.name, phone=user.phone, status=user.status, code=code,
                      expires_at=expires)


@router.delete("/townships/{tid}/monitors/{uid}", status_code=204)
def remove_monitor(tid: int, uid: int, db: DbSession, actor: CurrentActor):
    townships.remove_monitor(db, actor, tid, uid)
    return Response(status_code=204)


@router.get("/townships/{tid}/settings", response_model=TownshipSettings)
def township_settings(tid: int, db: DbSession, actor: CurrentActor):
    """The rules the township applies to all its villages (its monitors, admins)."""
    return TownshipSettings(**townships.township_settings(db, actor, tid))


@router.put("/townships/{tid}/settings", response_model=TownshipSettings)
def put_township_settings(tid: int, body: TownshipSettings, db: DbSession,
                          actor: CurrentActor):
    """Set the province's 一事一议 caps and proxy cap for every village of the township; null hands one back."""
    return TownshipSettings(**townships.update_township_settings(db, actor, tid, body.model_dump()))
