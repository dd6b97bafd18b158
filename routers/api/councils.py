"""Councils (议事机构): the bodies a village votes in, with their rules and who may vote in them today."""

from __future__ import annotations

import re

from fastapi import APIRouter

from app.services import councils, places
from app.services.councils import CouncilView
from app.services.errors import Invalid
from app.services.pagination import page_list
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, page_out
from schemas.councils import CouncilDetailOut, CouncilIn, CouncilOut, PersonOut

router = APIRouter(tags=["表决"], responses=PROBLEMS)

_FRACTION = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$")


def _fraction(text: str | None, inclusive: bool, field: str, label: str) -> tuple[int, int, bool] | None:
    """"2/3" → (2, 3, inclusive); the service checks the range."""
    if text is None:
        return None
    match = _FRACTION.match(text)
    if match is None:
        raise Invalid(f"{label}应写成分数，如 2/3", field=field)
    return int(match.group(1)), int(match.group(2)), inclusive


def _council_out(view: CouncilView) -> CouncilOut:
    council, rule = view.council, view.rule
    return CouncilOut(id=council.id, village_id=council.village_id, kind=council.kind, kind_name=view.kind_name,
                      name=council.name, group_id=council.group_id, members=view.members,
                      quorum_rule=rule.quorum_text, passing_rule=rule.passing_text, citation=rule.citation)


@router.get("/villages/{vid}/councils", response_model=PageOut[CouncilOut])
def list_councils(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 50):
    """The village's councils, with the rule of their kind and how many may vote in them today."""
    village = places.get_village(db, vid)
    return page_out(CouncilOut, page_list(councils.list_councils(db, actor, village), page, per_page), _council_out)


@router.post("/villages/{vid}/councils", response_model=CouncilOut, status_code=201)
def create_council(vid: int, body: CouncilIn, db: DbSession, actor: CurrentActor):
    """The committee sets up a council. Custom bodies name their members and their thresholds
    ("2/3"; inclusive: "以上" ≥, otherwise "超过/过半数" >)."""
    village = places.get_village(db, vid)
    council = councils.create_council(
        db, actor, village, kind=body.kind, name=body.name or "", group_id=body.group_id, member_ids=body.member_ids,
        quorum=_fraction(body.quorum, body.quorum_inclusive, "quorum", "法定人数比例"),
        passing=_fraction(body.passing, body.passing_inclusive, "passing", "通过比例"),
    )
    return _council_out(councils.view_of(db, council))


@router.get("/councils/{cid}", response_model=CouncilDetailOut)
def get_council(cid: int, db: DbSession, actor: CurrentActor):
    """A council and who may vote in it today (village members, monitors and admins only)."""
    detail = councils.council_detail(db, actor, cid)
    return CouncilDetailOut(**_council_out(detail.view).model_dump(),
                            member_list=[PersonOut(id=i, name=n) for i, n in detail.people])


@router.post("/councils/{cid}/archive", response_model=CouncilOut)
def archive_council(cid: int, db: DbSession, actor: CurrentActor):
    """The committee retires a body; it then takes no new votes (409 while one of its votes is open)."""
    council = councils.archive_council(db, actor, cid)
    return _council_out(councils.view_of(db, council))
