"""What people see of proposals: the list, the committee's queue, one proposal (its page and its API
answer share `ProposalDetail`), the draft form. Reads only; the use cases are in services/proposals.py
and the buttons come from `proposals.capabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlmodel import Session

from app.clock import utcnow
from app.domain import procedures as P
from app.domain.markdown import current_html
from app.domain.money import yuan
from app.domain.proposals import CATEGORIES
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE
from app.domain.village_settings import VillageSettings
from app.models import Attachment, Proposal, ProposalTransition, User, Village
from app.services import assisted, attachments, comments, places, proposals, village_settings
from app.services.access import Actor, require
from app.services.assisted import PaperCosign
from app.services.comments import CommentView, ReportedComment
from app.services.errors import Invalid
from app.services.pagination import Page, paginate
from app.services.proposals import ProposalCaps

# --- the list and the queue -------------------------------------------------------------------


@dataclass(kw_only=True)
class ProposalRow:
    """One proposal in a list."""

    id: int
    village_id: int
    title: str
    category: str
    category_name: str
    procedure: str
    procedure_name: str
    state: str
    state_name: str
    author_id: int
    author_name: str
    cosign_count: int
    comment_count: int
    updated_at: datetime
    stage_entered_at: datetime | None

    @classmethod
    def of(cls, p: Proposal, author_name: str) -> ProposalRow:
        return cls(**cls._fields_of(p, author_name))

    @staticmethod
    def _fields_of(p: Proposal, author_name: str) -> dict:
        return dict(
            id=p.id, village_id=p.village_id, title=p.title, category=p.category,
            category_name=CATEGORIES.get(p.category, p.category), procedure=p.procedure,
            procedure_name=P.PROCEDURES[p.procedure].name, state=p.state, state_name=proposals.state_label(p),
            author_id=p.author_id, author_name=author_name, cosign_count=p.cosign_count,
            comment_count=p.comment_count, updated_at=p.updated_at, stage_entered_at=p.stage_entered_at,
        )

    @property
    def waiting_days(self) -> int:
        """Days in the current stage (the committee's queue)."""
        if self.stage_entered_at is None:
            return 0
        return max(0, (utcnow() - self.stage_entered_at).days)


def _rows(session: Session, stmt, page: int, per_page: int, look_ahead: int | None = None) -> Page[ProposalRow]:
    raw = paginate(session, stmt, page, per_page, scalars=False, look_ahead=look_ahead)
    return Page([ProposalRow.of(p, name) for p, name in raw.items], raw.total, raw.page, raw.per_page, raw.more)


def list_proposals(
    session: Session,
    actor: Actor | None,
    village: Village,
    *,
    state: str | None = None,
    category: str | None = None,
    q: str | None = None,
    mine: bool = False,
    page: int = 1,
    per_page: int = 20,
    look_ahead: int | None = None,
) -> Page[ProposalRow]:
    """Two queries whatever the number of proposals (the count and the page, authors joined). With
    `look_ahead` the count stops that many pages past this one (the page's pager says "more"); the API
    answers the exact total."""
    actor = require(actor, village, monitor=True)
    stmt = (
        select(Proposal, User.name)
        .join(User, User.id == Proposal.author_id)
        .where(Proposal.village_id == village.id)
        .where(or_(Proposal.submitted_at.is_not(None), Proposal.author_id == actor.id))
    )
    if state:
        if state not in P.STATES:
            raise Invalid("没有这个状态", field="state")
        stmt = stmt.where(Proposal.state == state)
    if category:
        if category not in CATEGORIES:
            raise Invalid("没有这个类别", field="category")
        stmt = stmt.where(Proposal.category == category)
    if q and q.strip():
        stmt = stmt.where(Proposal.title.contains(q.strip(), autoescape=True))
    if mine:
        stmt = stmt.where(Proposal.author_id == actor.id)
    return _rows(session, stmt.order_by(Proposal.updated_at.desc(), Proposal.id.desc()), page, per_page, look_ahead)


def queue(session: Session, actor: Actor | None, village: Village, page: int = 1, per_page: int = 50
          ) -> Page[ProposalRow]:
    """Proposals waiting for the committee (or the party committee) to act."""
    actor = require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    roles = proposals.roles_here(actor, village) | ({COMMITTEE, PARTY_COMMITTEE} if actor.is_admin else set())
    stmt = (
        select(Proposal, User.name)
        .join(User, User.id == Proposal.author_id)
        .where(Proposal.village_id == village.id, proposals.in_states(P.states_moved_by(roles)))
        .order_by(Proposal.stage_entered_at, Proposal.id)
    )
    return _rows(session, stmt, page, per_page)


def stage_filter_groups() -> list[dict]:
    """The stage filter: every state of every procedure once, listed under the first procedure that
    has it; a state another procedure shares names that procedure's stage too."""
    owners: dict[str, list[tuple[P.Procedure, P.Stage]]] = {}
    for proc in P.PROCEDURES.values():
        for stage in proc.stages:
            if stage.key != P.CLOSED:
                owners.setdefault(stage.key, []).append((proc, stage))
    groups = [{"label": "我的草稿", "options": [(P.DRAFT, "草稿（只有自己看得到）")]}]
    for proc in P.PROCEDURES.values():
        options = [
            (stage.key, stage.name + "".join(f"／{p.name}：{s.name}" for p, s in owners[stage.key][1:]))
            for stage in proc.stages if stage.key in owners and owners[stage.key][0][0] is proc
        ]
        if options:
            groups.append({"label": proc.name, "options": options})
    groups.append({"label": "结果", "options": [(P.CLOSED, "已办结"), (P.REJECTED, "不予通过"),
                                               (P.WITHDRAWN, "已撤回")]})
    return groups


@dataclass
class ListPage:
    """The village's proposals as the list page shows them (unknown filters are dropped)."""

    village: Village
    page: Page[ProposalRow]
    state: str | None
    category: str | None
    stage_groups: list[dict]
    can_propose: bool


LIST_LOOK_AHEAD = 10  # the list page counts ten pages past the one shown (the count of 10,000 took 5 ms)


def list_page(session: Session, actor: Actor | None, slug: str, *, state: str | None, category: str | None,
              q: str | None, mine: bool, page: int) -> ListPage:
    village = places.get_village_by_slug(session, slug)
    groups = stage_filter_groups()
    state = state if state in {key for group in groups for key, _ in group["options"]} else None
    category = category if category in CATEGORIES else None
    result = list_proposals(session, actor, village, state=state, category=category, q=q, mine=mine,
                            page=page, per_page=20, look_ahead=LIST_LOOK_AHEAD)
    return ListPage(village, result, state, category, groups,
                    can_propose=actor is not None and (actor.is_member(village.id) or actor.is_admin))


@dataclass
class QueuePage:
    village: Village
    page: Page[ProposalRow]
    reported: Page[ReportedComment] | None  # the moderation queue, for those who may hide comments


def queue_page(session: Session, actor: Actor | None, slug: str, page: int) -> QueuePage:
    village = places.get_village_by_slug(session, slug)
    result = queue(session, actor, village, page=page)
    reported = comments.reported(session, actor, village, 1, 50) if comments.may_hide(actor, village) else None
    return QueuePage(village, result, reported)


# --- one proposal -----------------------------------------------------------------------------

@dataclass
class StageView:
    key: str
    kind: str
    name: str
    help: str
    current: bool
    done: bool  # a stage before the current one

    @property
    def ticked(self) -> bool:
        """Shown as done on the page: passed, or the closing stage the proposal has reached."""
        return self.done or (self.current and self.kind == P.Kind.CLOSED.value)


def stages_of(proposal: Proposal) -> list[StageView]:
    proc = P.PROCEDURES[proposal.procedure]
    keys = [s.key for s in proc.stages]
    current = keys.index(proposal.state) if proposal.state in keys else -1
    return [StageView(key=s.key, kind=s.kind.value, name=s.name, help=s.help, current=i == current,
                      done=current >= 0 and i < current) for i, s in enumerate(proc.stages)]


@dataclass
class CosignView:
    villagers: int
    villagers_needed: int
    representatives: int
    representatives_needed: int
    met: bool
    cosigned_by_me: bool


def cosign_view(session: Session, actor: Actor | None, proposal: Proposal, village: Village, *,
                cosigned_by_me: bool | None = None) -> CosignView:
    c = proposals.cosign_status(session, proposal, village)
    if cosigned_by_me is None:
        cosigned_by_me = proposals.has_cosigned(session, actor, proposal)
    return CosignView(villagers=c.villagers, villagers_needed=c.villagers_needed, representatives=c.representatives,
                      representatives_needed=c.representatives_needed, met=c.met, cosigned_by_me=cosigned_by_me)


def _state_name(procedure: str, state: str) -> str:
    """A state's Chinese name; a draft may have changed procedure, so its history can name the
    stages of another one."""
    for key in (procedure, *P.PROCEDURES):
        try:
            return P.state_name(key, state)
        except KeyError:
            continue
    return state


ACTION_NAMES = {**{a.value: n for a, n in P.ACTION_NAMES.items()}, "cosigned": "联署人数达到要求"}


@dataclass
class HistoryRow:
    procedure: str
    action: str
    from_state: str
    to_state: str
    actor_id: int | None
    actor_name: str | None
    note: str | None
    created_at: datetime

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)

    @property
    def from_name(self) -> str:
        return _state_name(self.procedure, self.from_state)

    @property
    def to_name(self) -> str:
        return _state_name(self.procedure, self.to_state)


# A matter's steps with the names of who took them: built once (every matter's page and answer shows them).
_HISTORY = (select(ProposalTransition.action, ProposalTransition.from_state, ProposalTransition.to_state,
                   ProposalTransition.actor_id, User.name, ProposalTransition.note, ProposalTransition.created_at)
            .join(User, User.id == ProposalTransition.actor_id, isouter=True)
            .where(ProposalTransition.proposal_id == bindparam("pid"))
            .order_by(ProposalTransition.id))


def history(session: Session, proposal: Proposal) -> list[HistoryRow]:
    rows = session.execute(_HISTORY, {"pid": proposal.id}).all()
    return [HistoryRow(proposal.procedure, *row) for row in rows]


@dataclass(kw_only=True)
class ProposalDetail(ProposalRow):
    """One proposal as a viewer may see it: its API answer, and the heart of its page."""

    body: str
    body_html: str
    budget_fen: int | None
    per_capita_fen: int | None
    labour_days: int | None
    exemptions: str | None
    submitted_at: datetime | None
    created_at: datetime
    stages: list[StageView]
    cosign: CosignView | None
    comments_open: bool
    actions: list[str]
    history: list[HistoryRow]


def _detail(session: Session, actor: Actor | None, proposal: Proposal, village: Village,
            caps: ProposalCaps, *, cosigned_by_me: bool | None = None) -> ProposalDetail:
    author = session.get(User, proposal.author_id)
    stage = proposals.stage_of(proposal)
    cosign = None
    if stage is not None and stage.kind is P.Kind.COSIGN:
        cosign = cosign_view(session, actor, proposal, village, cosigned_by_me=cosigned_by_me)
    return ProposalDetail(
        **ProposalRow._fields_of(proposal, author.name if author else ""),
        body=proposal.body,
        body_html=current_html(proposal.body, proposal.body_html, proposal.body_html_version),
        budget_fen=proposal.budget_fen,
        per_capita_fen=proposal.per_capita_fen, labour_days=proposal.labour_days, exemptions=proposal.exemptions,
        submitted_at=proposal.submitted_at, created_at=proposal.created_at, stages=stages_of(proposal),
        cosign=cosign, comments_open=proposals.comments_open(proposal), actions=caps.actions,
        history=history(session, proposal),
    )


def detail(session: Session, actor: Actor | None, proposal_id: int) -> ProposalDetail:
    """One proposal for the API (scope and draft privacy checked by `proposals.get`)."""
    proposal, village = proposals.get(session, actor, proposal_id)
    return _detail(session, actor, proposal, village, proposals.capabilities(session, actor, proposal, village))


def cosign_of(session: Session, actor: Actor | None, proposal_id: int) -> CosignView:
    """The support for a proposal, as its co-signer sees it right after co-signing."""
    proposal, village = proposals.get(session, actor, proposal_id)
    return cosign_view(session, actor, proposal, village, cosigned_by_me=True)


@dataclass
class ActionButton:
    key: str
    label: str
    needs_reason: bool  # return and reject are explained to everyone
    confirm: bool  # withdrawing cannot be undone


def _buttons(actions: list[str]) -> list[ActionButton]:
    labels = {P.Action.ADVANCE: "推进到下一步", P.Action.WITHDRAW: "撤回这个事项"}
    out = []
    for key in actions:
        action = P.Action(key)
        out.append(ActionButton(key, labels.get(action, P.ACTION_NAMES[action]),
                                needs_reason=action in (P.Action.RETURN, P.Action.REJECT),
                                confirm=action is P.Action.WITHDRAW))
    return out


@dataclass
class ProposalPage:
    """Everything the proposal page shows, for this viewer."""

    village: Village
    proposal: Proposal
    detail: ProposalDetail
    procedure: P.Procedure
    stage: P.Stage | None
    state_name: str  # the stage's name (a draft returned for revision is a draft here)
    caps: ProposalCaps
    buttons: list[ActionButton]
    is_author: bool
    is_draft: bool
    min_days: int
    attachments: list[Attachment]
    max_mb: int
    comments: list[CommentView]
    can_comment: bool
    paper_cosigns: list[PaperCosign] = field(default_factory=list)  # confirmed paper co-signs (代录)
    can_assist: bool = False  # the committee records for villagers without a phone, while open


def page(session: Session, actor: Actor, proposal: Proposal, village: Village) -> ProposalPage:
    """The proposal page of a proposal loaded through `proposals.get_in`."""
    stage = proposals.stage_of(proposal)
    settings = village_settings.settings_of(session, village) if stage is not None else None
    caps = proposals.capabilities(session, actor, proposal, village, settings=settings)
    return ProposalPage(
        village=village,
        proposal=proposal,
        detail=_detail(session, actor, proposal, village, caps),
        procedure=P.PROCEDURES[proposal.procedure],
        stage=stage,
        state_name=P.state_name(proposal.procedure, proposal.state),
        caps=caps,
        buttons=_buttons(caps.actions),
        is_author=proposal.author_id == actor.id,
        is_draft=proposal.state == P.DRAFT,
        min_days=settings.stage_days(proposal.procedure, stage.key) if settings is not None else 0,
        attachments=attachments.list_for(session, "proposal", proposal.id),
        max_mb=attachments.MAX_BYTES // (1024 * 1024),
        comments=comments.list_for(session, actor, proposal, village),
        can_comment=comments.may_comment(actor, village),
        paper_cosigns=assisted.paper_cosigns(session, actor, proposal, village),
        can_assist=assisted.may_record(actor, village) and (
            proposals.comments_open(proposal) and proposal.submitted_at is not None),
    )


# --- the draft form ---------------------------------------------------------------------------

BLANK = {"title": "", "body": "", "category": "", "procedure": "yishiyiyi", "budget": "", "per_capita": "",
         "labour_days": "", "exemptions": ""}


@dataclass
class DraftForm:
    """The new-draft form or the edit form of a draft, with what it holds now."""

    village: Village
    proposal: Proposal | None
    procedures: list[P.Procedure]  # those this person may draft under (and the one a draft has)
    settings: VillageSettings
    values: dict = field(default_factory=lambda: dict(BLANK))


def _procedures_for(actor: Actor, village: Village, current: str | None = None) -> list[P.Procedure]:
    return [proc for key, proc in P.PROCEDURES.items()
            if actor.has(village.id, *P.AUTHORS[key]) or key == current]


def new_draft_form(session: Session, actor: Actor | None, slug: str) -> DraftForm:
    """The form for a new draft: members of the village."""
    village = places.get_village_by_slug(session, slug)
    actor = require(actor, village)
    return DraftForm(village, None, _procedures_for(actor, village), village_settings.settings_of(session, village))


def edit_draft_form(session: Session, actor: Actor, slug: str, proposal_id: int, *, check: bool = True
                    ) -> DraftForm:
    """The edit form of a draft, filled with what it says (`check`: only its author, only a draft)."""
    proposal, village = proposals.get_in(session, actor, slug, proposal_id)
    if check:
        proposals.check_editable(actor, proposal)
    values = {
        "title": proposal.title, "body": proposal.body, "category": proposal.category,
        "procedure": proposal.procedure, "budget": yuan(proposal.budget_fen).replace(",", ""),
        "per_capita": yuan(proposal.per_capita_fen).replace(",", ""),
        "labour_days": "" if proposal.labour_days is None else str(proposal.labour_days),
        "exemptions": proposal.exemptions or "",
    }
    return DraftForm(village, proposal, _procedures_for(actor, village, proposal.procedure),
                     village_settings.settings_of(session, village), values)
