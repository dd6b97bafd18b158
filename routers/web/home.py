"""The directory of townships and villages, and each person's home after login (我的待办, `/me`).
(Each village's home, `/v/{slug}/`, is its public notice board: see routers/web/board.py.)"""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request

from app.services import home as home_service
from app.services import places
from routers.deps import CurrentActor, DbSession, PageActor
from routers.templating import render

router = APIRouter()


@router.get("/")
def directory(request: Request, db: DbSession, actor: CurrentActor):
    by_township: dict = defaultdict(list)
    townships = {}
    for village, township in places.list_villages(db):
        by_township[township.id].append(village)
        townships[township.id] = township
    counties = {c.id: c for c in places.list_counties(db)}
    groups = [
        {"township": townships[tid], "county": counties.get(townships[tid].county_id), "villages": vs}
        for tid, vs in by_township.items()
    ]
    my_village = None
    if actor is not None and actor.village_id is not None:
        my_village = places.get_village(db, actor.village_id)
    return render(request, "home/directory.html", {"groups": groups, "my_village": my_village})


@router.get("/me")
def my_home(request: Request, db: DbSession, actor: PageActor):
    return render(request, "home/me.html", {"home": home_service.home(db, actor)})
