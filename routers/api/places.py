"""The public directory; counties, townships and villages set up by an admin."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import places
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage, QueryId
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.places import (
    CountyIn,
    CountyOut,
    TownshipIn,
    TownshipOut,
    VillageDetailOut,
    VillageFactsOut,
    VillageIn,
    VillageOut,
)

router = APIRouter(tags=["地方"], responses=PROBLEMS)


@router.get("/counties", response_model=PageOut[CountyOut])
def counties(db: DbSession, page: PageNo = 1, per_page: PerPage = 100):
    return page_out(CountyOut, page_list(places.list_counties(db), page, per_page),
                    lambda c: CountyOut(id=c.id, name=c.name))


@router.post("/counties", response_model=CountyOut, status_code=201)
def create_county(body: CountyIn, db: DbSession, actor: CurrentActor):
    county = places.create_county(db, actor, body.name)
    return CountyOut(id=county.id, name=county.name)


@router.get("/townships", response_model=PageOut[TownshipOut])
def townships(db: DbSession, county_id: QueryId = None, page: PageNo = 1, per_page: PerPage = 100):
    return page_out(TownshipOut, page_list(places.list_townships(db, county_id), page, per_page),
                    lambda row: TownshipOut(id=row[0].id, name=row[0].name, county_id=row[0].county_id,
                                            county_name=row[1].name))


@router.post("/townships", response_model=TownshipOut, status_code=201)
def create_township(body: TownshipIn, db: DbSession, actor: CurrentActor):
    t = places.create_township(db, actor, body.name, body.county_id)
    return TownshipOut(id=t.id, name=t.name, county_id=t.county_id)


@router.get("/villages", response_model=PageOut[VillageOut])
def villages(db: DbSession, township_id: QueryId = None, page: PageNo = 1, per_page: PerPage = 100):
    return page_out(VillageOut, page_list(places.list_villages(db, township_id), page, per_page),
                    lambda row: VillageOut(id=row[0].id, name=row[0].name, slug=row[0].slug,
                                           township_id=row[0].township_id, township_name=row[1].name))


@router.post("/villages", response_model=VillageOut, status_code=201)
def create_village(body: VillageIn, db: DbSession, actor: CurrentActor):
    v = places.create_village(db, actor, body.name, body.slug, body.township_id)
    return VillageOut(id=v.id, name=v.name, slug=v.slug, township_id=v.township_id)


@router.get("/villages/{vid}", response_model=VillageDetailOut)
def village(vid: int, db: DbSession) -> VillageDetailOut:
    v = places.get_village(db, vid)
    t = places.get_township(db, v.township_id)
    f = places.facts(db, v.id)
    return VillageDetailOut(id=v.id, name=v.name, slug=v.slug, township_id=v.township_id, township_name=t.name,
                            facts=VillageFactsOut(**f.__dict__))
