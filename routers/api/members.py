"""Village members for the committee: list, add, edit roles/household/group, activation codes."""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.services import members, places
from routers.deps import CurrentActor, DbSession, PageNo, PerPage, SettingsDep
from schemas.common import PROBLEMS, PageOut
from schemas.members import ActivationOut, MemberCreatedOut, MemberIn, MemberOut, MemberPatch

router = APIRouter(tags=["村民"], responses=PROBLEMS)


def _out(view: members.MemberView) -> MemberOut:
    return MemberOut.model_validate(view, from_attributes=True)


@router.get("/villages/{vid}/members", response_model=PageOut[MemberOut])
def list_members(
    vid: int,
    db: DbSession,
    actor: CurrentActor,
    q: str | None = Query(default=None, max_length=50),
    role: str | None = Query(default=None, max_length=20),
    group_id: int | None = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
):
    village = places.get_village(db, vid)
    result = members.list_members(db, actor, village, q=q, role=role, group_id=group_id, page=page,
                                  per_page=per_page)
    return PageOut[MemberOut](items=[_out(m) for m in result.items], total=result.total, page=result.page,
                              per_page=result.per_page)


@router.post("/villages/{vid}/members", response_model=MemberCreatedOut, status_code=201)
def add_member(
    vid: int,
    body: MemberIn,
    db: DbSession,
    settings: SettingsDep,
    actor: CurrentActor,
):
    village = places.get_village(db, vid)
    data = members.MemberIn(**body.model_dump(exclude={"roles"}), roles=body.roles or ["villager"])
    result = members.add_member(db, settings, actor, village, data)
    view = members.get_member(db, actor, village, result.user.id)
    activation = None
    if result.code:
        activation = ActivationOut(user_id=result.user.id, name=result.user.name, phone=result.user.phone,
                                   code=result.code, expires_at=result.code_expires_at)
    return MemberCreatedOut(member=_out(view), activation=activation)


@router.get("/villages/{vid}/members/{uid}", response_model=MemberOut)
def get_member(vid: int, uid: int, db: DbSession, actor: CurrentActor):
    village = places.get_village(db, vid)
    return _out(members.get_member(db, actor, village, uid))


@router.patch("/villages/{vid}/members/{uid}", response_model=MemberOut)
def patch_member(
    vid: int,
    uid: int,
    body: MemberPatch,
    db: DbSession,
    actor: CurrentActor,
):
    village = places.get_village(db, vid)
    view = members.update_member(db, actor, village, uid, roles=body.roles, household=body.household,
                                 group=body.group)
    return _out(view)


@router.post("/villages/{vid}/members/{uid}/activation-code", response_model=ActivationOut, status_code=201)
def new_code(
    vid: int,
    uid: int,
    db: DbSession,
    settings: SettingsDep,
    actor: CurrentActor,
):
    """A fresh one-time code (earlier ones stop working); shown only in this answer."""
    village = places.get_village(db, vid)
    user, code, expires = members.reissue_code(db, settings, actor, village, uid)
    return ActivationOut(user_id=user.id, name=user.name, phone=user.phone, code=code, expires_at=expires)
