"""What people see of a notice: one view for its page, its print sheet and its API answer
(`NoticeView`: the versions, the version it corrects and its correction, attachments, links,
objections for insiders (each with its 代录 mark), and the buttons from `notices.capabilities`), and
the matters the drafting form offers to link. Reads only; the use cases are in services/notices.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlmodel import Session

from app.domain import notices as N
from app.domain import procedures as P
from app.domain.markdown import render as render_markdown
from app.models import Attachment, Notice, Proposal, User, Village, VoteSession
from app.services import assisted, notices, objections
from app.services.access import Actor
from app.services.notices import VISIBLE, NoticeCaps

# the stages of every procedure in which a matter waits for its notice (公示, 决议公开, 实施结果公开)
NOTICE_STAGES = sorted({s.key for proc in P.PROCEDURES.values() for s in proc.stages if s.kind is P.Kind.NOTICE})


@dataclass
class NoticePageCaps(NoticeCaps):
    """The notice's buttons, and the link a committee member follows to record an objection for a
    villager without a phone (代录), while the notice is in its window."""

    assist: bool = False


@dataclass
class NoticeView:
    """A notice with everything shown beside it: its versions, the version it corrects and its
    correction, attachments, links, objections (for insiders) and what the viewer may do."""

    notice: Notice
    village: Village
    versions: list[Notice]  # the published chain of corrections, oldest first (and this one)
    older: Notice | None  # the version this one corrects
    newer: Notice | None  # its published correction
    attachments: list[Attachment]
    objections: list[objections.ObjectionView] | None  # None: not for this viewer
    insider: bool  # a member of the village, its monitor or an admin
    proposal: Proposal | None  # the linked matter and vote, for insiders
    vote: VoteSession | None
    caps: NoticeCaps
    reviewer: str | None = None  # who approved it for the supervisory committee (shown once approved)

    @property
    def published(self) -> bool:
        return self.notice.state in VISIBLE

    @property
    def in_window(self) -> bool:
        return notices.in_window(self.notice)

    @property
    def window_ended(self) -> bool:
        return notices.window_ended(self.notice)

    @property
    def body_html(self) -> str:
        return render_markdown(self.notice.body)

    @property
    def diff(self) -> list[N.DiffLine] | None:
        """Title and body, line by line, against the version this one corrects."""
        if self.older is None:
            return None
        old, new = self.older, self.notice
        return N.diff(f"{old.title}\n\n{old.body}", f"{new.title}\n\n{new.body}")

    @property
    def body_diff(self) -> list[N.DiffLine]:
        return N.diff(self.older.body, self.notice.body) if self.older is not None else []

    @property
    def title_changed(self) -> bool:
        return self.older is not None and self.older.title != self.notice.title


def notice_view(session: Session, actor: Actor | None, notice: Notice, village: Village) -> NoticeView:
    chain = notices.versions(session, notice)
    at = next(i for i, n in enumerate(chain) if n.id == notice.id)
    newer = chain[at + 1] if at + 1 < len(chain) else None  # = superseded_by(notice)
    older = session.get(Notice, notice.supersedes_id) if notice.supersedes_id else None
    insider = objections.sees_objections(actor, village)
    return NoticeView(
        notice=notice, village=village, versions=chain, older=older, newer=newer,
        attachments=notices.attachments_of(session, notice),
        objections=objections.objections_for(session, actor, notice, village) if insider else None,
        insider=insider,
        proposal=session.get(Proposal, notice.proposal_id) if insider and notice.proposal_id else None,
        vote=session.get(VoteSession, notice.vote_session_id) if insider and notice.vote_session_id else None,
        caps=NoticePageCaps(**asdict(notices.capabilities(actor, village, notice, newer)),
                            assist=assisted.may_record(actor, village) and notices.in_window(notice)),
        reviewer=_reviewer(session, notice),
    )


def _reviewer(session: Session, notice: Notice) -> str | None:
    if notice.reviewed_by is None or notice.state not in (N.APPROVED, *VISIBLE):
        return None
    return session.execute(select(User.name).where(User.id == notice.reviewed_by)).scalar_one_or_none()


def view_of(session: Session, actor: Actor | None, notice_id: int) -> NoticeView:
    """The notice by its id, as `notice_view` shows it."""
    notice, village = notices.get(session, actor, notice_id)
    return notice_view(session, actor, notice, village)


def linkable_proposals(session: Session, village: Village) -> list[Proposal]:
    """The village's matters waiting for a notice (公示, 决议公开, 实施结果公开)."""
    return list(session.execute(select(Proposal).where(Proposal.village_id == village.id,
                                                       Proposal.state.in_(NOTICE_STAGES))
                                .order_by(Proposal.updated_at.desc()).limit(100)).scalars())
