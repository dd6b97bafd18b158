"""Proposals: list and draft, read, edit, co-sign, move through the procedure; village settings."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.domain import procedures as P
from app.domain.proposals import CATEGORIES, ProposalDraft
from app.services import places, proposal_views, proposals, village_settings, vote_views
from routers.deps import CurrentActor, DbSession, PageNo, PerPage
from schemas.common import PROBLEMS, PageOut, one_of
from schemas.proposals import (
    CosignOut,
    ProposalIn,
    ProposalOut,
    ProposalSummary,
    TransitionIn,
    VillageSettingsIn,
    VillageSettingsOut,
)
from schemas.votes import VoteBriefOut

router = APIRouter(tags=["议事"], responses=PROBLEMS)


def _page(result) -> PageOut[ProposalSummary]:
    return PageOut[ProposalSummary](items=[ProposalSummary.model_validate(r) for r in result.items],
                                    total=result.total, page=result.page, per_page=result.per_page)


def _detail(db: DbSession, actor: CurrentActor, pid: int) -> ProposalOut:
    out = ProposalOut.model_validate(proposal_views.detail(db, actor, pid))
    out.votes = [VoteBriefOut.model_validate(v) for v in vote_views.briefs_for_proposal(db, actor, pid)]
    return out


def _draft(body: ProposalIn) -> ProposalDraft:
    return ProposalDraft(**body.model_dump())


@router.get("/villages/{vid}/proposals", response_model=PageOut[ProposalSummary])
def list_proposals(
    vid: int,
    db: DbSession,
    actor: CurrentActor,
    state: str | None = Query(default=None, max_length=30, **one_of(P.STATES, "只看这一步的事项")),
    category: str | None = Query(default=None, max_length=20, **one_of(CATEGORIES, "只看这一类")),
    q: str | None = Query(default=None, max_length=50, description="标题里含有的字"),
    mine: bool = Query(default=False, description="只看我提的"),
    page: PageNo = 1,
    per_page: PerPage = 20,
):
    village = places.get_village(db, vid)
    return _page(proposal_views.list_proposals(db, actor, village, state=state, category=category, q=q, mine=mine,
                                               page=page, per_page=per_page))


@router.get("/villages/{vid}/proposal-queue", response_model=PageOut[ProposalSummary])
def proposal_queue(vid: int, db: DbSession, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 50):
    """Proposals waiting for the committee (or party committee) to move them on."""
    village = places.get_village(db, vid)
    return _page(proposal_views.queue(db, actor, village, page=page, per_page=per_page))


@router.post("/villages/{vid}/proposals", response_model=ProposalOut, status_code=201)
def create_proposal(vid: int, body: ProposalIn, db: DbSession, actor: CurrentActor):
    """Save a draft. It stays private to its author until submitted."""
    village = places.get_village(db, vid)
    proposal = proposals.create(db, actor, village, _draft(body))
    return _detail(db, actor, proposal.id)


@router.get("/proposals/{pid}", response_model=ProposalOut)
def get_proposal(pid: int, db: DbSession, actor: CurrentActor):
    return _detail(db, actor, pid)


@router.put("/proposals/{pid}", response_model=ProposalOut)
def edit_proposal(pid: int, body: ProposalIn, db: DbSession, actor: CurrentActor):
    """The author edits a draft (or one returned for revision)."""
    proposal = proposals.edit(db, actor, pid, _draft(body))
    return _detail(db, actor, proposal.id)


@router.post("/proposals/{pid}/transitions", response_model=ProposalOut)
def transition(pid: int, body: TransitionIn, db: DbSession, actor: CurrentActor):
    """Actions: submit, advance, return (with a reason), withdraw (author, before the vote), reject
    (with a reason). A refused action answers 403 (wrong role) or 409 (not now), saying why."""
    proposals.transition(db, actor, pid, body.action, body.note)
    return _detail(db, actor, pid)


@router.post("/proposals/{pid}/cosign", response_model=CosignOut, status_code=201)
def cosign(pid: int, db: DbSession, actor: CurrentActor):
    proposal = proposals.cosign(db, actor, pid)
    return CosignOut.model_validate(proposal_views.cosign_of(db, actor, proposal.id))


@router.delete("/proposals/{pid}", status_code=204)
def delete_draft(pid: int, db: DbSession, actor: CurrentActor):
    """Delete a draft never submitted (its author); a submitted matter can only be withdrawn (409)."""
    proposals.delete_draft(db, actor, pid)
    return Response(status_code=204)


@router.delete("/proposals/{pid}/cosign", status_code=204)
def withdraw_cosign(pid: int, db: DbSession, actor: CurrentActor):
    proposals.withdraw_cosign(db, actor, pid)
    return Response(status_code=204)


@router.get("/villages/{vid}/settings", response_model=VillageSettingsOut)
def get_settings(vid: int, db: DbSession, actor: CurrentActor):
    current = village_settings.settings_for(db, actor, places.get_village(db, vid))
    return VillageSettingsOut(**current.to_json(), fixed=sorted(current.fixed))


@router.put("/villages/{vid}/settings", response_model=VillageSettingsOut)
def put_settings(vid: int, body: VillageSettingsIn, db: DbSession, actor: CurrentActor):
    """The committee sets the minimum days of each procedure's stages and the 一事一议 caps."""
    village = places.get_village(db, vid)
    new = village_settings.update_settings(db, actor, village, min_days=body.min_days,
                                           per_capita_cap_fen=body.per_capita_cap_fen,
                                           labour_days_cap=body.labour_days_cap, proxy_cap=body.proxy_cap,
                                           objection_reply_days=body.objection_reply_days)
    return VillageSettingsOut(**new.to_json(), fixed=sorted(new.fixed))
