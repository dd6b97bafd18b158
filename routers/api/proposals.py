"""Proposals: list and draft, read, edit, co-sign, move through the procedure; village settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response
from sqlmodel import Session

from app.domain import procedures as P
from app.domain.markdown import render as render_markdown
from app.domain.proposals import ProposalDraft
from app.models import Proposal, Village
from app.services import places, proposals, village_settings
from app.services.access import Actor, require
from routers.deps import current_actor, get_db
from schemas.common import PROBLEMS, PageOut
from schemas.proposals import (
    CosignOut,
    ProposalIn,
    ProposalOut,
    ProposalSummary,
    StageOut,
    TransitionIn,
    TransitionOut,
    VillageSettingsIn,
    VillageSettingsOut,
)

router = APIRouter(tags=["议事"], responses=PROBLEMS)


def _summary(row: proposals.ProposalRow) -> ProposalSummary:
    p = row.proposal
    return ProposalSummary(
        id=p.id, village_id=p.village_id, title=p.title, category=p.category, category_name=row.category_name,
        procedure=p.procedure, procedure_name=row.procedure_name, state=p.state, state_name=row.state_name,
        author_id=p.author_id, author_name=row.author_name, cosign_count=p.cosign_count,
        comment_count=p.comment_count, updated_at=p.updated_at,
    )


def stages_of(proposal: Proposal) -> list[StageOut]:
    proc = P.PROCEDURES[proposal.procedure]
    keys = [s.key for s in proc.stages]
    current = keys.index(proposal.state) if proposal.state in keys else -1
    return [StageOut(key=s.key, kind=s.kind.value, name=s.name, help=s.help, current=i == current,
                     done=current >= 0 and i < current) for i, s in enumerate(proc.stages)]


def detail(db: Session, actor: Actor | None, proposal: Proposal, village: Village) -> ProposalOut:
    row = proposals.ProposalRow(proposal, proposals.author_name(db, proposal))
    cosign = None
    stage = proposals.stage_of(proposal)
    if stage is not None and stage.kind is P.Kind.COSIGN:
        c = proposals.cosign_status(db, proposal, village)
        cosign = CosignOut(villagers=c.villagers, villagers_needed=c.villagers_needed,
                           representatives=c.representatives, representatives_needed=c.representatives_needed,
                           met=c.met, cosigned_by_me=proposals.has_cosigned(db, actor, proposal))
    history = [
        TransitionOut(action=h.transition.action, action_name=h.action_name, from_state=h.transition.from_state,
                      to_state=h.transition.to_state, actor_id=h.transition.actor_id, actor_name=h.actor_name,
                      note=h.transition.note, created_at=h.transition.created_at)
        for h in proposals.history(db, proposal)
    ]
    return ProposalOut(
        **_summary(row).model_dump(), body=proposal.body, body_html=render_markdown(proposal.body),
        budget_fen=proposal.budget_fen, per_capita_fen=proposal.per_capita_fen, labour_days=proposal.labour_days,
        exemptions=proposal.exemptions, stage_entered_at=proposal.stage_entered_at,
        submitted_at=proposal.submitted_at, created_at=proposal.created_at, stages=stages_of(proposal),
        cosign=cosign, comments_open=proposals.comments_open(proposal),
        actions=proposals.actions_for(db, actor, proposal, village), history=history,
    )


def _draft(body: ProposalIn) -> ProposalDraft:
    return ProposalDraft(**body.model_dump())


@router.get("/villages/{vid}/proposals", response_model=PageOut[ProposalSummary])
def list_proposals(
    vid: int,
    state: str | None = Query(default=None, max_length=30),
    category: str | None = Query(default=None, max_length=20),
    q: str | None = Query(default=None, max_length=50),
    mine: bool = False,
    page: int = Query(default=1, ge=1),
    per_page: int = Query(default=20, ge=1, le=200),
    db: Session = Depends(get_db),
    actor: Actor | None = Depends(current_actor),
):
    village = places.get_village(db, vid)
    result = proposals.list_proposals(db, actor, village, state=state, category=category, q=q, mine=mine,
                                      page=page, per_page=per_page)
    return PageOut[ProposalSummary](items=[_summary(r) for r in result.items], total=result.total,
                                    page=result.page, per_page=result.per_page)


@router.get("/villages/{vid}/proposal-queue", response_model=PageOut[ProposalSummary])
def proposal_queue(vid: int, page: int = Query(default=1, ge=1), db: Session = Depends(get_db),
                   actor: Actor | None = Depends(current_actor)):
    """Proposals waiting for the committee (or party committee) to move them on."""
    village = places.get_village(db, vid)
    result = proposals.queue(db, actor, village, page=page)
    return PageOut[ProposalSummary](items=[_summary(r) for r in result.items], total=result.total,
                                    page=result.page, per_page=result.per_page)


@router.post("/villages/{vid}/proposals", response_model=ProposalOut, status_code=201)
def create_proposal(vid: int, body: ProposalIn, db: Session = Depends(get_db),
                    actor: Actor | None = Depends(current_actor)):
    """Save a draft. It stays private to its author until submitted."""
    village = places.get_village(db, vid)
    proposal = proposals.create(db, actor, village, _draft(body))
    return detail(db, actor, proposal, village)


@router.get("/proposals/{pid}", response_model=ProposalOut)
def get_proposal(pid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    proposal, village = proposals.get(db, actor, pid)
    return detail(db, actor, proposal, village)


@router.put("/proposals/{pid}", response_model=ProposalOut)
def edit_proposal(pid: int, body: ProposalIn, db: Session = Depends(get_db),
                  actor: Actor | None = Depends(current_actor)):
    """The author edits a draft (or one returned for revision)."""
    proposal = proposals.edit(db, actor, pid, _draft(body))
    proposal, village = proposals.get(db, actor, proposal.id)
    return detail(db, actor, proposal, village)


@router.post("/proposals/{pid}/transitions", response_model=ProposalOut)
def transition(pid: int, body: TransitionIn, db: Session = Depends(get_db),
               actor: Actor | None = Depends(current_actor)):
    """Actions: submit, advance, return (with a reason), withdraw (author, before the vote), reject
    (with a reason). A refused action answers 403 (wrong role) or 409 (not now), saying why."""
    proposals.transition(db, actor, pid, body.action, body.note)
    proposal, village = proposals.get(db, actor, pid)
    return detail(db, actor, proposal, village)


@router.post("/proposals/{pid}/cosign", response_model=CosignOut, status_code=201)
def cosign(pid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    proposal = proposals.cosign(db, actor, pid)
    proposal, village = proposals.get(db, actor, proposal.id)
    c = proposals.cosign_status(db, proposal, village)
    return CosignOut(villagers=c.villagers, villagers_needed=c.villagers_needed, representatives=c.representatives,
                     representatives_needed=c.representatives_needed, met=c.met, cosigned_by_me=True)


@router.delete("/proposals/{pid}/cosign", status_code=204)
def withdraw_cosign(pid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    proposals.withdraw_cosign(db, actor, pid)
    return Response(status_code=204)


@router.get("/villages/{vid}/settings", response_model=VillageSettingsOut)
def get_settings(vid: int, db: Session = Depends(get_db), actor: Actor | None = Depends(current_actor)):
    village = places.get_village(db, vid)
    require(actor, village, monitor=True)
    current = village_settings.settings_of(db, village)
    return VillageSettingsOut(**current.to_json(), fixed=sorted(current.fixed))


@router.put("/villages/{vid}/settings", response_model=VillageSettingsOut)
def put_settings(vid: int, body: VillageSettingsIn, db: Session = Depends(get_db),
                 actor: Actor | None = Depends(current_actor)):
    """The committee sets the minimum days of each procedure's stages and the 一事一议 caps."""
    village = places.get_village(db, vid)
    new = village_settings.update_settings(db, actor, village, min_days=body.min_days,
                                    per_capita_cap_fen=body.per_capita_cap_fen, labour_days_cap=body.labour_days_cap,
                                    proxy_cap=body.proxy_cap, objection_reply_days=body.objection_reply_days)
    return VillageSettingsOut(**new.to_json(), fixed=sorted(new.fixed))
