"""Proposals: drafting, co-signing (民主提事), moving through the procedure; what a viewer may do.

Every transition goes through `procedures.decide` (the rules) and `_move` (the one place that
changes a proposal's state): a conditional UPDATE, so two people racing to move the same proposal
cannot both succeed; the history row and the audit event are written in the same transaction.

Vote and notice stages are completed by the voting and notice features: they register a function
in `VOTE_OUTCOME` / `NOTICE_DONE` that answers for a proposal and stage.

`capabilities` says which buttons a viewer sees, from the same facts `transition` decides on. What
the list, the queue and the proposal page show is assembled in services/proposal_views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.domain import markdown
from app.domain import procedures as P
from app.domain import text as text_rules
from app.domain.bounds import MAX_DAYS, MAX_FEN
from app.domain.people import is_adult
from app.domain.proposals import ProposalDraft, problems
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, REPRESENTATIVE, VILLAGER
from app.domain.rulebook import CosignProgress, cosign_progress
from app.domain.village_settings import VillageSettings
from app.models import AssistedAct, Attachment, Cosignature, Proposal, ProposalTransition, Village
from app.services import audit, places, village_settings
from app.services.access import Actor, require, require_login
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Forbidden, Invalid, NotFound


def in_states(by_procedure: dict[str, list[str]]):
    """SQL: a matter in one of these states of its own procedure (`procedures.states_moved_by`,
    `states_of_kinds`); nothing matches an empty map."""
    if not by_procedure:
        return false()
    return or_(*[and_(Proposal.procedure == key, Proposal.state.in_(states)) for key, states in by_procedure.items()])


# Hooks the voting and notice features fill in: (session, proposal, stage key) → answer.
VOTE_OUTCOME: list[Callable[[Session, Proposal, str], str | None]] = []
NOTICE_DONE: list[Callable[[Session, Proposal, str], bool]] = []
# Called after every state change, in the same transaction: (session, proposal, from, to, actor_id).
AFTER_MOVE: list[Callable[[Session, Proposal, str, str, int | None], None]] = []
# Called before a move is decided (a POST, never a page read): settle what time has decided — a vote
# of this stage past its closing time is closed here, as the scheduled job would.
BEFORE_DECIDE: list[Callable[[Session, Proposal, str], None]] = []


# --- reading --------------------------------------------------------------------------------

def roles_here(actor: Actor, village: Village, proposal: Proposal | None = None) -> frozenset[str]:
    roles = set(actor.roles) if actor.is_member(village.id) else set()
    if actor.monitors(village):
        roles.add(P.MONITOR)
    if proposal is not None and proposal.author_id == actor.id:
        roles.add(P.AUTHOR)
    return frozenset(roles)


def is_private(proposal: Proposal) -> bool:
    """A proposal never submitted (a draft, or a draft its author withdrew) is its author's alone;
    one returned for revision stays visible with its history and discussion."""
    return proposal.submitted_at is None


def state_label(proposal: Proposal) -> str:
    if proposal.state == P.DRAFT and proposal.submitted_at is not None:
        return "退回修改"
    return P.state_name(proposal.procedure, proposal.state)


def get(session: Session, actor: Actor | None, proposal_id: int) -> tuple[Proposal, Village]:
    """A proposal the actor may see: members and township monitors; drafts only by their author."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("找不到这个事项")
    village = places.get_village(session, proposal.village_id)
    actor = require(actor, village, monitor=True)
    if is_private(proposal) and proposal.author_id != actor.id and not actor.is_admin:
        raise NotFound("找不到这个事项")
    return proposal, village


def delete_draft(session: Session, actor: Actor | None, proposal_id: int) -> Village:
    """删除草稿: a draft never submitted is its author's alone and leaves no trace but an audit event
    (its id, no words); its attachment rows go with it. Once submitted a matter can only be withdrawn."""
    proposal, village = get(session, actor, proposal_id)
    actor = require_login(actor)
    if proposal.author_id != actor.id:
        raise Forbidden("只有起草人可以删除自己的草稿")
    if proposal.state != P.DRAFT or proposal.submitted_at is not None:
        raise Conflict("提交过的事项不能删除，只能撤回")
    session.execute(delete(Attachment).where(Attachment.owner_type == "proposal", Attachment.owner_id == proposal.id))
    session.execute(delete(ProposalTransition).where(ProposalTransition.proposal_id == proposal.id))
    session.execute(delete(Proposal).where(Proposal.id == proposal.id))
    audit.record(session, village_id=village.id, actor_id=actor.id, action="proposal.delete", entity="proposal",
                 entity_id=proposal_id, data={})
    session.commit()
    return village


def get_in(session: Session, actor: Actor | None, slug: str, proposal_id: int) -> tuple[Proposal, Village]:
    """A proposal through the village in the address: as `get`, and a 404 when it is another village's."""
    village = places.get_village_by_slug(session, slug)
    proposal, home = get(session, actor, proposal_id)
    if home.id != village.id:
        raise NotFound("找不到这个事项")
    return proposal, village


def cosign_status(session: Session, proposal: Proposal, village: Village) -> CosignProgress:
    counts = session.execute(
        select(func.count(Cosignature.id), func.count(Cosignature.id).filter(Cosignature.as_representative))
        .where(Cosignature.proposal_id == proposal.id)
    ).one()
    facts = places.facts(session, village.id)
    # the support needed is the law's on the day it is counted (Beijing calendar)
    return cosign_progress(counts[0], counts[1], facts.adults, facts.representatives, clock.local_today())


def has_cosigned(session: Session, actor: Actor | None, proposal: Proposal) -> bool:
    if actor is None:
        return False
    return session.execute(
        select(Cosignature.id).where(Cosignature.proposal_id == proposal.id, Cosignature.user_id == actor.id)
    ).first() is not None


def stage_of(proposal: Proposal) -> P.Stage | None:
    if proposal.state in (P.DRAFT, P.REJECTED, P.WITHDRAWN):
        return None
    return P.PROCEDURES[proposal.procedure].stage(proposal.state)


def comments_open(proposal: Proposal) -> bool:
    """Comments are open while the matter is being raised and discussed; they close after."""
    stage = stage_of(proposal)
    return stage is not None and stage.kind in (P.Kind.COSIGN, P.Kind.DELIBERATION)


# --- writing --------------------------------------------------------------------------------

def _check(session: Session, draft: ProposalDraft, village: Village) -> None:
    errors = problems(draft, village_settings.settings_of(session, village))
    texts = text_rules.problems({"title": ("标题", draft.title.strip()), "body": ("内容", draft.body),
                                 "exemptions": ("减免说明", draft.exemptions)},
                                multiline=frozenset({"body", "exemptions"}), required=frozenset({"title"}))
    errors = {**texts, **errors}  # the content rules' own message first, where both speak
    for name, label, value, high in (("budget_fen", "预算", draft.budget_fen, MAX_FEN),
                                     ("per_capita_fen", "人均筹资", draft.per_capita_fen, MAX_FEN),
                                     ("labour_days", "人均筹劳", draft.labour_days, MAX_DAYS)):
        if value is not None and value > high and name not in errors:
            errors[name] = f"{label}超出允许范围"
    if errors:
        raise Invalid("；".join(errors.values()), errors=[{"field": k, "message": v} for k, v in errors.items()])


def create(session: Session, actor: Actor | None, village: Village, draft: ProposalDraft) -> Proposal:
    actor = require(actor, village, *P.AUTHORS.get(draft.procedure, (VILLAGER,)))
    _check(session, draft, village)
    now = utcnow()
    proposal = Proposal(
        village_id=village.id, author_id=actor.id, title=draft.title.strip(), body=draft.body,
        body_html=markdown.render(draft.body), body_html_version=markdown.VERSION,
        category=draft.category, procedure=draft.procedure, state=P.DRAFT, budget_fen=draft.budget_fen,
        per_capita_fen=draft.per_capita_fen, labour_days=draft.labour_days,
        exemptions=(draft.exemptions or "").strip() or None, created_at=now, updated_at=now,
    )
    session.add(proposal)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="proposal.create", entity="proposal",
                 entity_id=proposal.id, data={"procedure": draft.procedure, "category": draft.category})
    session.commit()
    return proposal


def check_editable(actor: Actor, proposal: Proposal) -> None:
    """Only the author edits, and only a draft (also one returned for revision)."""
    if proposal.author_id != actor.id:
        raise Forbidden("只有提议人可以修改")
    if proposal.state != P.DRAFT:
        raise Conflict("事项已经提交，不能再修改；如需修改，请村委会退回")


def edit(session: Session, actor: Actor | None, proposal_id: int, draft: ProposalDraft) -> Proposal:
    """The author edits a draft (also one returned for revision)."""
    proposal, village = get(session, actor, proposal_id)
    actor = require_login(actor)
    check_editable(actor, proposal)
    if draft.procedure != proposal.procedure:
        require(actor, village, *P.AUTHORS[draft.procedure])
    _check(session, draft, village)
    # A draft is its author's alone: the chain (read by every member) records lengths, not its words.
    before = {"title_length": len(proposal.title), "body_length": len(proposal.body)}
    proposal.title = draft.title.strip()
    proposal.body = draft.body
    proposal.body_html, proposal.body_html_version = markdown.render(draft.body), markdown.VERSION
    proposal.category = draft.category
    proposal.procedure = draft.procedure
    proposal.budget_fen = draft.budget_fen
    proposal.per_capita_fen = draft.per_capita_fen
    proposal.labour_days = draft.labour_days
    proposal.exemptions = (draft.exemptions or "").strip() or None
    proposal.updated_at = utcnow()
    session.add(proposal)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="proposal.edit", entity="proposal",
                 entity_id=proposal.id, data={"before": before, "title_length": len(proposal.title)})
    session.commit()
    return proposal


def _move(session: Session, proposal: Proposal, actor_id: int | None, action: str, to_state: str,
          note: str | None, now: datetime, *, strict: bool = True) -> bool:
    """Change the state if nobody else did first; write the history and the audit event.

    When someone else moved it first: strict → 409 and nothing changes; otherwise a quiet no-op
    (an automatic step that another request already took)."""
    from_state = proposal.state
    values = {"state": to_state, "stage_entered_at": now, "updated_at": now}
    if action == P.Action.SUBMIT and proposal.submitted_at is None:
        values["submitted_at"] = now
    result = session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.state == from_state).values(**values)
    )
    if result.rowcount != 1:
        if not strict:
            return False
        session.rollback()
        raise Conflict("事项状态刚刚被别人改变了，请刷新后再试")
    session.add(ProposalTransition(village_id=proposal.village_id, proposal_id=proposal.id, actor_id=actor_id,
                                   action=action, from_state=from_state, to_state=to_state, note=note,
                                   created_at=now))
    audit.record(session, village_id=proposal.village_id, actor_id=actor_id, action=f"proposal.{action}",
                 entity="proposal", entity_id=proposal.id,
                 data={"from": from_state, "to": to_state, "note": note,
                       # the title enters the record when the proposal stops being private
                       **({"title": proposal.title} if action == P.Action.SUBMIT else {})})
    session.refresh(proposal)
    for hook in AFTER_MOVE:
        hook(session, proposal, from_state, to_state, actor_id)
    return True


def _outcome(session: Session, proposal: Proposal) -> tuple[str | None, bool]:
    vote = next((r for r in (hook(session, proposal, proposal.state) for hook in VOTE_OUTCOME) if r), None)
    notice = any(hook(session, proposal, proposal.state) for hook in NOTICE_DONE)
    return vote, notice


def decision_facts(session: Session, actor: Actor, proposal: Proposal, village: Village, now: datetime, *,
                   cosign_met: bool, has_reason: bool, settings: VillageSettings | None = None) -> P.Facts:
    """What `procedures.decide` needs to know about this proposal and this actor, now: the one
    source for acting (`transition`) and for showing what may be done (`capabilities`). `settings`:
    the village's, when the caller has them already."""
    stage = stage_of(proposal)
    if stage and settings is None:
        settings = village_settings.settings_of(session, village)
    vote, notice = _outcome(session, proposal) if stage else (None, False)
    return P.Facts(
        procedure=proposal.procedure,
        state=proposal.state,
        entered_at=proposal.stage_entered_at,
        now=now,
        roles=roles_here(actor, village, proposal),
        min_days=settings.stage_days(proposal.procedure, stage.key) if stage else 0,
        cosign_met=cosign_met,
        vote_outcome=vote,
        notice_done=notice,
        has_reason=has_reason,
        is_admin=actor.is_admin,
    )


def transition(session: Session, actor: Actor | None, proposal_id: int, action: str, note: str | None = None
               ) -> Proposal:
    proposal, village = get(session, actor, proposal_id)
    actor = require_login(actor)
    note = (note or "").strip() or None
    if note and len(note) > 1000:
        raise Invalid("说明最多 1000 个字", field="note")
    if reason := text_rules.problem(note):
        raise Invalid("说明" + reason, field="note")
    now = utcnow()
    stage = stage_of(proposal)
    if stage is not None:
        for hook in BEFORE_DECIDE:
            hook(session, proposal, stage.key)
    cosign_met = stage is not None and stage.kind is P.Kind.COSIGN and cosign_status(session, proposal, village).met
    decision = P.decide(action, decision_facts(session, actor, proposal, village, now, cosign_met=cosign_met,
                                               has_reason=bool(note)))
    if not decision.ok:
        error = {403: Forbidden, 422: Invalid}.get(decision.status, Conflict)
        raise error(decision.reason or "现在不能这样操作", field=decision.field)
    _move(session, proposal, actor.id, action, decision.to_state, note, now)
    if action == P.Action.SUBMIT and proposal.state != P.DRAFT:
        _after_submit(session, actor, proposal, village, now)
    session.commit()
    return proposal


def _after_submit(session: Session, actor: Actor, proposal: Proposal, village: Village, now: datetime) -> None:
    """The author is the first co-signer; a tiny village may already have enough support."""
    stage = stage_of(proposal)
    if stage is None or stage.kind is not P.Kind.COSIGN:
        return
    exists = session.execute(
        select(Cosignature.id).where(Cosignature.proposal_id == proposal.id, Cosignature.user_id == actor.id)
    ).first()
    if exists is None:
        session.add(Cosignature(village_id=village.id, proposal_id=proposal.id, user_id=actor.id,
                                as_representative=REPRESENTATIVE in actor.roles, created_at=now))
        session.execute(update(Proposal).where(Proposal.id == proposal.id)
                        .values(cosign_count=Proposal.cosign_count + 1))
        session.flush()
    _advance_if_supported(session, proposal, village, actor.id, now)


def _advance_if_supported(session: Session, proposal: Proposal, village: Village, actor_id: int,
                          now: datetime) -> None:
    """Leave the co-sign stage once support is enough. Only from a co-sign stage: a request that
    arrives after another one already moved the proposal does nothing."""
    stage = stage_of(proposal)
    if stage is None or stage.kind is not P.Kind.COSIGN:
        return
    progress = cosign_status(session, proposal, village)
    if progress.met:
        proc = P.PROCEDURES[proposal.procedure]
        _move(session, proposal, actor_id, "cosigned", proc.after(stage.key).key,
              f"联署 {progress.villagers} 人（需 {progress.villagers_needed} 人）", now, strict=False)


def cosign(session: Session, actor: Actor | None, proposal_id: int) -> Proposal:
    """联署: an adult villager of the village supports the proposal, once."""
    proposal, village = get(session, actor, proposal_id)
    actor = require(actor, village, VILLAGER)
    add_cosignature(session, actor, proposal, village, actor_id=actor.id)
    session.commit()
    return proposal


def check_cosigner(signer: Actor, proposal: Proposal) -> P.Stage:
    """The rules a co-signature meets, online or on paper: the matter gathers co-signs and the
    signer is an adult (the caller has checked that the signer is a villager of the village)."""
    stage = stage_of(proposal)
    if stage is None or stage.kind is not P.Kind.COSIGN:
        raise Conflict("这个事项现在不在联署阶段")
    if not is_adult(signer.user.birth_date, clock.local_today()):
        raise Forbidden("年满 18 周岁的本村村民才能联署")
    return stage


def _already_cosigned(session: Session, proposal: Proposal, user_id: int) -> str:
    """Why a second co-signature of one person is refused: each person counts once, on paper or online."""
    on_paper = session.execute(
        select(AssistedAct.id).join(Cosignature, Cosignature.id == AssistedAct.cosignature_id)
        .where(Cosignature.proposal_id == proposal.id, Cosignature.user_id == user_id)
    ).first()
    if on_paper is not None:
        return "村委会已经为你代录了纸质联署，每人只算一次"
    return "你已经联署过了"


def add_cosignature(session: Session, signer: Actor, proposal: Proposal, village: Village, *, actor_id: int,
                    data: dict | None = None, duplicate: str | None = None) -> Cosignature:
    """One co-signature of `signer`, counted, audited (the act of `actor_id`: the signer online, the
    confirming committee member for a paper co-sign) and the matter moved on once support is
    enough. No commit. A second co-signature of one person is refused by the unique key, whatever
    the races (`duplicate`: the message; by default the signer's own)."""
    stage = check_cosigner(signer, proposal)
    now = utcnow()
    row = Cosignature(village_id=village.id, proposal_id=proposal.id, user_id=signer.id,
                      as_representative=REPRESENTATIVE in signer.roles, created_at=now)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(duplicate or _already_cosigned(session, proposal, signer.id)) from exc
    # Counted only while the proposal is still in the stage we checked (this also locks its row).
    counted = session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.state == stage.key)
        .values(cosign_count=Proposal.cosign_count + 1, updated_at=now)
    )
    if counted.rowcount != 1:
        session.rollback()
        raise Conflict("这个事项现在不在联署阶段")
    audit.record(session, village_id=village.id, actor_id=actor_id, action="proposal.cosign", entity="proposal",
                 entity_id=proposal.id, data=data)
    session.refresh(proposal)
    _advance_if_supported(session, proposal, village, actor_id, now)
    return row


def withdraw_cosign(session: Session, actor: Actor | None, proposal_id: int) -> Proposal:
    proposal, village = get(session, actor, proposal_id)
    actor = require(actor, village, VILLAGER)
    stage = stage_of(proposal)
    if stage is None or stage.kind is not P.Kind.COSIGN:
        raise Conflict("联署阶段已经结束，不能再撤回联署")
    if proposal.author_id == actor.id:
        raise Conflict("提议人不能撤回自己的联署；可以撤回整个事项")
    now = utcnow()
    still_open = session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.state == stage.key)
        .values(cosign_count=Proposal.cosign_count - 1, updated_at=now)
    )
    if still_open.rowcount != 1:
        session.rollback()
        raise Conflict("联署阶段已经结束，不能再撤回联署")
    result = session.execute(
        delete(Cosignature).where(Cosignature.proposal_id == proposal.id, Cosignature.user_id == actor.id)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict("你还没有联署这个事项")
    audit.record(session, village_id=village.id, actor_id=actor.id, action="proposal.uncosign", entity="proposal",
                 entity_id=proposal.id)
    session.commit()
    session.refresh(proposal)
    return proposal


# --- what a viewer may do ---------------------------------------------------------------------

@dataclass(frozen=True)
class ProposalCaps:
    """What this viewer may do with this proposal now: the page's buttons and the API's `actions`.
    Every use case checks again."""

    actions: list[str] = field(default_factory=list)  # transitions to offer
    can_edit: bool = False  # the author, while a draft
    can_cosign: bool = False  # a villager of the village, while co-signing
    can_upload: bool = False  # the committee; the author while drafting, co-signing or deliberating


def _runners(proposal: Proposal) -> tuple[str, ...]:
    """Who runs the procedure (and documents it with attachments)."""
    return (COMMITTEE, PARTY_COMMITTEE) if proposal.procedure == "sizheng" else (COMMITTEE,)


def capabilities(session: Session, actor: Actor | None, proposal: Proposal, village: Village, *,
                 settings: VillageSettings | None = None) -> ProposalCaps:
    """The transitions `procedures.decide` would allow this actor now (an advance that only waits
    for its days or its vote is offered to those who may make it), and the other buttons."""
    if actor is None:
        return ProposalCaps()
    stage = stage_of(proposal)
    facts = decision_facts(session, actor, proposal, village, utcnow(), cosign_met=False, has_reason=True,
                           settings=settings)
    shown = []
    for action in P.Action:
        decision = P.decide(action.value, facts)
        if decision.ok or (decision.status == 409 and action is P.Action.ADVANCE and stage is not None
                           and stage.kind is not P.Kind.COSIGN and (facts.roles & set(stage.movers) or actor.is_admin)):
            shown.append(action.value)
    is_author = proposal.author_id == actor.id
    is_draft = proposal.state == P.DRAFT
    return ProposalCaps(
        actions=shown,
        can_edit=is_author and is_draft,
        can_cosign=(stage is not None and stage.kind is P.Kind.COSIGN and actor.is_member(village.id)
                    and VILLAGER in actor.roles),
        can_upload=actor.has(village.id, *_runners(proposal)) or (is_author and (is_draft or comments_open(proposal))),
    )


# --- attachments: a proposal owns its files ---------------------------------------------------

def _proposal_see(session: Session, actor: Actor | None, proposal_id: int) -> int:
    proposal, village = get(session, actor, proposal_id)
    return village.id


def _proposal_attach(session: Session, actor: Actor | None, proposal_id: int) -> int:
    proposal, village = get(session, actor, proposal_id)
    actor = require_login(actor)
    if actor.is_admin or actor.has(village.id, *_runners(proposal)):
        return village.id  # the committee documents every stage
    if proposal.author_id == actor.id:
        stage = stage_of(proposal)
        if proposal.state == P.DRAFT or (stage is not None and stage.kind in (P.Kind.COSIGN, P.Kind.DELIBERATION)):
            return village.id
        raise Conflict("事项已经过了联署和商议阶段，提议人不能再添加附件；如需补充材料，请联系村委会")
    raise Forbidden("只有提议人或村委会可以给这个事项添加附件")


ATTACHMENT_OWNER = OwnerRules("事项", _proposal_see, _proposal_attach)
