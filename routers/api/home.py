"""A person's home after login (我的待办), as the page /me shows it."""

from __future__ import annotations

from fastapi import APIRouter

from app.services import home
from routers.deps import CurrentActor, DbSession
from schemas.common import PROBLEMS
from schemas.home import HomeOut

router = APIRouter(tags=["我的待办"], responses=PROBLEMS)


@router.get("/me/home", response_model=HomeOut)
def my_home(db: DbSession, actor: CurrentActor):
    """What waits for the caller, as the page /me shows it: the open votes of their village they may
    still cast, matters gathering co-signs, notices in their window, replies to their comments and
    objections, and the work their roles bring (reviews, the committee's queue, vouchers, a monitor's
    township dashboards), each with the ids for the next call and the page to open. A fixed number of
    queries whatever the village's size."""
    return home.home(db, actor)
