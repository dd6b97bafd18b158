"""The township's queue (乡镇审核备案): across a township's villages, the matters waiting in a stage its
monitors act in, oldest first, each with its decision file's verdict and its deadline. The monitor
files one (备案), which gives it the township's next filing number of the year and moves it on, or
returns it to the village's deliberation with a reason the village sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import procedures as P
from app.models import Filing, Proposal, Township, Village
from app.services import decision_files, proposals
from app.services.access import Actor, require_login
from app.services.errors import Conflict, Invalid, NotFound
from app.services.pagination import Page, paginate

REVIEW_DAYS = 15  # the township answers a matter in its review stage within this many days
PER_PAGE = 20


def _overseen(session: Session, actor: Actor | None, township_id: int) -> tuple[Actor, Township]:
    actor = require_login(actor)
    township = session.get(Township, township_id)
    if township is None or not (actor.is_admin or township_id in actor.monitor_of):
        raise NotFound("找不到这个乡镇")
    return actor, township


@dataclass(frozen=True)
class QueueRow:
    proposal: Proposal
    village: Village
    entered_at: datetime
    due_at: datetime
    summary: str  # the decision file's compliance summary (合规 / 不合规 / 未完成)
    failed: list[str]  # the labels of its checks not met

    @property
    def overdue(self) -> bool:
        return utcnow() > self.due_at


def queue(session: Session, actor: Actor | None, township_id: int, *, page: int = 1, per_page: int = PER_PAGE
          ) -> Page[QueueRow]:
    """The matters waiting for the township, oldest first, a page at a time, with their decision file's
    summary: the verdict kept by the `verdicts` job (two queries a page), or for a matter changed since
    the job last looked, its file built now."""
    actor, _ = _overseen(session, actor, township_id)
    stmt = (select(Proposal, Village).join(Village, Village.id == Proposal.village_id)
            .where(Village.township_id == township_id,
                   proposals.in_states(P.states_moved_by({P.MONITOR})))  # 乡镇审核备案
            .order_by(Proposal.stage_entered_at, Proposal.id))
    found = paginate(session, stmt, page, min(per_page, PER_PAGE), scalars=False)
    out = []
    for proposal, village in found.items:
        entered = proposal.stage_entered_at or proposal.updated_at
        out.append(QueueRow(proposal, village, entered, entered + timedelta(days=REVIEW_DAYS),
                            *decision_files.verdict_of(session, actor, proposal)))
    return Page(out, found.total, found.page, found.per_page)


def new_filing(session: Session, township: Township, village: Village, actor: Actor, note: str, *,
               proposal_id: int | None = None, rule_version_id: int | None = None) -> Filing:
    """The township's next filing of the year, in the one series its matters and village rules share
    (石桥镇备〔2026〕3号); added, not committed. A parallel filing taking the same serial fails on the
    unique key and the caller's transaction rolls back."""
    year = local_today().year
    serial = (session.execute(select(func.max(Filing.serial)).where(
        Filing.township_id == township.id, Filing.year == year)).scalar_one() or 0) + 1
    filing = Filing(township_id=township.id, village_id=village.id, proposal_id=proposal_id,
                    rule_version_id=rule_version_id, year=year, serial=serial,
                    number=f"{township.name}备〔{year}〕{serial}号", note=note, filed_by=actor.id)
    session.add(filing)
    session.flush()
    return filing


def file(session: Session, actor: Actor | None, proposal_id: int, note: str = "") -> Filing:
    """备案: the township's next number of the year, and the matter moves on (one transaction)."""
    proposal, village = proposals.get(session, actor, proposal_id)
    actor, township = _overseen(session, actor, village.township_id)
    if proposal.state not in P.states_moved_by({P.MONITOR}).get(proposal.procedure, []):
        raise Conflict("这个事项不在乡镇审核备案阶段")
    note = (note or "").strip()
    if len(note) > 500:
        raise Invalid("审核意见最多 500 个字", field="note")
    filing = new_filing(session, township, village, actor, note, proposal_id=proposal.id)
    number = filing.number
    try:
        proposals.transition(session, actor, proposal.id, P.Action.ADVANCE,
                             f"已备案，备案号 {number}" + (f"。{note}" if note else ""))
    except Exception:
        session.rollback()
        raise
    session.refresh(filing)
    return filing


def send_back(session: Session, actor: Actor | None, proposal_id: int, reason: str) -> Proposal:
    """退回: the matter goes back to the village's deliberation, with a reason the village sees."""
    proposal, village = proposals.get(session, actor, proposal_id)
    _overseen(session, actor, village.township_id)
    if not (reason or "").strip():
        raise Invalid("请写明退回的理由", field="reason")
    return proposals.transition(session, actor, proposal.id, P.Action.RETURN, reason.strip())


def filing_of(session: Session, proposal_id: int) -> Filing | None:
    return session.execute(select(Filing).where(Filing.proposal_id == proposal_id)).scalar_one_or_none()
