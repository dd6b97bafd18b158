"""Comments on proposals (民主商事): threaded replies, edits that keep every version, reports, hiding.

Rules:
- Members of the proposal's village and the township's monitors read the thread; only members of
  the village write in it, and only while the proposal is being raised or discussed
  (`proposals.comments_open`). Hiding and reporting are allowed whatever the stage.
- Only the author edits a comment; every earlier text is kept as a `CommentVersion`.
- The committee hides a comment with a reason, which stays visible in its place; the author is
  told. Nothing is ever deleted. The hidden text is shown only to those who oversee the village:
  the committee, the supervisory committee, the township's monitors and admins.
- Every lookup goes through `proposals.get`, so a comment of another village does not exist (404).

Reading a thread costs two queries whatever its size (comments with author names, the viewer's own
report and, for a comment the committee recorded for a villager without a phone, who recorded and
who confirmed it; grouped version counts); the tree is built in Python. Each comment keeps its
HTML, rendered when it is written (`body_html`, by the renderer `markdown.VERSION`), so reading
renders only rows an older renderer wrote (until `services/rendering.refresh_stale` stores them).
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.clock import utcnow
from app.domain import assisted as A
from app.domain import text as text_rules
from app.domain.markdown import VERSION, current_html, render
from app.domain.roles import COMMITTEE, SUPERVISOR
from app.models import AssistedAct, Comment, CommentReport, CommentVersion, Proposal, User, Village
from app.services import audit, notifications, proposals
from app.services.access import Actor, require, require_login
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.pagination import Page, paginate

BODY_MAX = 5000
REASON_MAX = 500
MAX_INDENT = 4
# A thread is read whole; past this many comments the newest are left off (see `list_for`).
THREAD_CAP = 2000


@dataclass
class CommentView:
    """One comment as a given viewer may see it."""

    id: int
    proposal_id: int
    parent_id: int | None
    depth: int
    indent: int
    author_id: int
    author_name: str
    body: str | None  # None when hidden and the viewer may not see hidden text
    body_html: str
    hidden: bool
    hidden_reason: str | None
    hidden_at: datetime | None
    created_at: datetime
    edited_at: datetime | None
    versions: int  # number of earlier versions
    reports: int  # only shown to those who may hide (0 for everyone else)
    can_edit: bool = False
    can_hide: bool = False
    can_report: bool = False
    can_reply: bool = False
    assisted: str | None = None  # "由某某代录、某某确认" when the committee recorded it for its author

    @property
    def edited(self) -> bool:
        return self.edited_at is not None

    @property
    def hidden_notice(self) -> str | None:
        """What stands in the place of a hidden comment."""
        if not self.hidden:
            return None
        return f"此评论已被村委会隐藏，理由：{self.hidden_reason or '未说明'}"


@dataclass
class ReportedComment:
    """A reported, not hidden comment in the committee's moderation queue."""

    id: int
    proposal_id: int
    proposal_title: str
    author_id: int
    author_name: str
    body: str
    body_html: str
    created_at: datetime
    reports: int
    last_reported_at: datetime
    reasons: list[str] = field(default_factory=list)


@dataclass
class CommentVersionView:
    """One text a comment has had."""

    body: str
    written_at: datetime

    @property
    def html(self) -> str:
        return render(self.body)


def sees_hidden(actor: Actor | None, village: Village) -> bool:
    """The committee, the supervisory committee, the township's monitors and admins see hidden text."""
    if actor is None:
        return False
    return actor.is_admin or actor.monitors(village) or actor.has(village.id, COMMITTEE, SUPERVISOR)


def may_hide(actor: Actor | None, village: Village) -> bool:
    return actor is not None and actor.has(village.id, COMMITTEE)


def may_comment(actor: Actor | None, village: Village) -> bool:
    return actor is not None and actor.is_member(village.id)


@dataclass(frozen=True)
class _Viewer:
    """What one viewer may see and do in one proposal's thread."""

    actor_id: int
    see_hidden: bool
    moderator: bool
    member: bool
    is_open: bool

    @classmethod
    def of(cls, actor: Actor, proposal: Proposal, village: Village) -> _Viewer:
        return cls(actor.id, sees_hidden(actor, village), may_hide(actor, village), may_comment(actor, village),
                   proposals.comments_open(proposal))

    def view(self, comment: Comment | Row, author_name: str, versions: int, reported_by_me: bool,
             assisted: str | None = None) -> CommentView:
        """`comment` is a row of the table or a `_ThreadRow` (the same names)."""
        hidden = comment.hidden_at is not None
        body = comment.body if (not hidden or self.see_hidden) else None
        own = comment.author_id == self.actor_id
        html = "" if body is None else current_html(body, comment.body_html, comment.body_html_version)
        return CommentView(
            id=comment.id, proposal_id=comment.proposal_id, parent_id=comment.parent_id, depth=comment.depth,
            indent=min(comment.depth, MAX_INDENT), author_id=comment.author_id, author_name=author_name,
            body=body, body_html=html, hidden=hidden,
            hidden_reason=comment.hidden_reason, hidden_at=comment.hidden_at, created_at=comment.created_at,
            edited_at=comment.edited_at, versions=versions,
            reports=comment.report_count if self.moderator else 0,
            can_edit=own and self.is_open and not hidden,
            can_hide=self.moderator and not hidden,
            can_report=self.member and not own and not hidden and not reported_by_me,
            can_reply=self.member and self.is_open,
            assisted=assisted,
        )


# --- reading --------------------------------------------------------------------------------

# What a thread reads of each comment: plain rows, not tracked objects (half the cost per row).
_THREAD = (Comment.id, Comment.proposal_id, Comment.parent_id, Comment.depth, Comment.author_id, Comment.body,
           Comment.body_html, Comment.body_html_version, Comment.created_at, Comment.edited_at,
           Comment.hidden_at, Comment.hidden_reason, Comment.report_count)


def _assisters():
    """The committee members who recorded and confirmed a comment for its author (代录), as tables."""
    return User.__table__.alias("recorder"), User.__table__.alias("confirmer")


def _thread_statements():
    """A thread's two reads, built once (a page then runs two prepared queries, not queries built
    anew: building them cost a fifth of reading a thread of 300)."""
    recorder, confirmer = _assisters()
    mine = and_(CommentReport.comment_id == Comment.id, CommentReport.reporter_id == bindparam("me"))
    rows = (select(*_THREAD, User.name.label("author_name"), CommentReport.id.label("my_report"),
                   recorder.c.name.label("recorder"), confirmer.c.name.label("confirmer"))
            .join(User, User.id == Comment.author_id)
            .outerjoin(CommentReport, mine)  # at most one row: (comment_id, reporter_id) is unique
            # a comment the committee recorded for its author (代录): at most one record (comment_id is unique)
            .outerjoin(AssistedAct, AssistedAct.comment_id == Comment.id)
            .outerjoin(recorder, recorder.c.id == AssistedAct.recorded_by)
            .outerjoin(confirmer, confirmer.c.id == AssistedAct.decided_by)
            .where(Comment.proposal_id == bindparam("pid"))
            .order_by(Comment.id)
            .limit(THREAD_CAP))
    versions = (select(CommentVersion.comment_id, func.count())
                .join(Comment, Comment.id == CommentVersion.comment_id)
                .where(Comment.proposal_id == bindparam("pid"))
                .group_by(CommentVersion.comment_id))
    return rows, versions


_THREAD_ROWS, _THREAD_VERSIONS = _thread_statements()
# A thread's row as a plain named tuple: reading a field of SQLAlchemy's Row by name costs ten times
# as much, and `_Viewer.view` reads seventeen of them for each of up to hundreds of comments.
_ThreadRow = namedtuple("_ThreadRow", [c.key for c in _THREAD] + ["author_name", "my_report", "recorder", "confirmer"])


def list_for(session: Session, actor: Actor | None, proposal: Proposal, village: Village) -> list[CommentView]:
    """The thread in reading order: each comment followed by its replies (depth-first), siblings
    oldest first. Two queries whatever the number of comments.

    At most THREAD_CAP comments (the oldest) are returned; `proposal.comment_count` tells whether
    any were left off. The cap keeps one answer bounded; real threads are far smaller.
    """
    actor = require(actor, village, monitor=True)
    conn = session.connection()  # Core rows: the ORM adds nothing to plain columns but its cost
    rows = list(map(_ThreadRow._make, conn.execute(_THREAD_ROWS, {"pid": proposal.id, "me": actor.id})))
    if not rows:
        return []
    counts = dict(conn.execute(_THREAD_VERSIONS, {"pid": proposal.id}).all())

    ctx = _Viewer.of(actor, proposal, village)
    views = {r.id: ctx.view(r, r.author_name, counts.get(r.id, 0), r.my_report is not None,
                            A.mark(r.recorder, r.confirmer) if r.recorder and r.confirmer else None)
             for r in rows}
    children: dict[int | None, list[CommentView]] = defaultdict(list)
    for v in views.values():
        # A reply whose parent was left off by the cap cannot happen (parents have smaller ids);
        # should it ever, the reply is shown as a thread of its own rather than lost.
        children[v.parent_id if v.parent_id in views else None].append(v)
    for siblings in children.values():
        siblings.sort(key=lambda v: (v.created_at, v.id))

    ordered: list[CommentView] = []
    stack = list(reversed(children[None]))
    while stack:  # iterative: a long chain of replies must not hit the recursion limit
        v = stack.pop()
        ordered.append(v)
        stack.extend(reversed(children.get(v.id, ())))
    return ordered


def assisted_mark(session: Session, comment_id: int) -> str | None:
    """"由某某代录、某某确认" when the committee recorded this comment for its author, else None."""
    recorder, confirmer = _assisters()
    row = session.execute(select(recorder.c.name, confirmer.c.name)
                          .join(AssistedAct, AssistedAct.recorded_by == recorder.c.id)
                          .join(confirmer, confirmer.c.id == AssistedAct.decided_by)
                          .where(AssistedAct.comment_id == comment_id)).first()
    return A.mark(*row) if row else None


def _load(session: Session, actor: Actor | None, comment_id: int) -> tuple[Comment, Proposal, Village]:
    """A comment the actor may see (scoped through its proposal: another village's is a 404)."""
    require_login(actor)
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("找不到这条评论")
    try:
        proposal, village = proposals.get(session, actor, comment.proposal_id)
    except NotFound:
        raise NotFound("找不到这条评论") from None
    return comment, proposal, village


def get_view(session: Session, actor: Actor | None, comment_id: int) -> CommentView:
    """One comment as the actor may see it (e.g. the answer to a write)."""
    comment, proposal, village = _load(session, actor, comment_id)
    actor = require_login(actor)
    author_name, versions_count, mine = session.execute(
        select(
            User.name,
            select(func.count()).select_from(CommentVersion).where(CommentVersion.comment_id == comment.id)
            .scalar_subquery(),
            select(CommentReport.id).where(CommentReport.comment_id == comment.id,
                                           CommentReport.reporter_id == actor.id).exists(),
        ).where(User.id == comment.author_id)
    ).one()
    mark = assisted_mark(session, comment.id)
    return _Viewer.of(actor, proposal, village).view(comment, author_name, versions_count, mine, mark)


def get_view_in(session: Session, actor: Actor | None, slug: str, comment_id: int) -> CommentView:
    """As `get_view`, through the village in the address (another village's comment: 404)."""
    view = get_view(session, actor, comment_id)
    proposals.get_in(session, actor, slug, view.proposal_id)
    return view


def versions(session: Session, actor: Actor | None, comment_id: int) -> list[CommentVersionView]:
    """Every text the comment has had, oldest first; the current text last."""
    comment, _proposal, village = _load(session, actor, comment_id)
    if comment.hidden_at is not None and not sees_hidden(actor, village):
        raise Forbidden("这条评论已被村委会隐藏，不能查看原文")
    earlier = session.execute(
        select(CommentVersion.body, CommentVersion.written_at)
        .where(CommentVersion.comment_id == comment.id)
        .order_by(CommentVersion.written_at, CommentVersion.id)
    ).all()
    return [CommentVersionView(body, at) for body, at in earlier] + [
        CommentVersionView(comment.body, comment.edited_at or comment.created_at)
    ]


def reported(session: Session, actor: Actor | None, village: Village, page: int = 1, per_page: int = 20
             ) -> Page[ReportedComment]:
    """The committee's moderation queue: reported comments not hidden yet, newest report first.
    Three queries whatever the size: the count, the page, the reasons of the page's reports."""
    require(actor, village, COMMITTEE)
    last = (
        select(
            CommentReport.comment_id.label("comment_id"),
            func.max(CommentReport.created_at).label("last_at"),
            func.count().label("n"),
        )
        .where(CommentReport.village_id == village.id)
        .group_by(CommentReport.comment_id)
        .subquery()
    )
    stmt = (
        select(Comment, User.name, Proposal.title, last.c.n, last.c.last_at)
        .join(last, last.c.comment_id == Comment.id)
        .join(User, User.id == Comment.author_id)
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .where(Comment.village_id == village.id, Comment.hidden_at.is_(None))
        .order_by(last.c.last_at.desc(), Comment.id.desc())
    )
    raw = paginate(session, stmt, page, per_page, scalars=False)
    items = [ReportedComment(id=c.id, proposal_id=c.proposal_id, proposal_title=title, author_id=c.author_id,
                             author_name=name, body=c.body,
                             body_html=current_html(c.body, c.body_html, c.body_html_version),
                             created_at=c.created_at, reports=n, last_reported_at=last_at)
             for c, name, title, n, last_at in raw.items]
    if items:
        by_id = {item.id: item for item in items}
        for comment_id, reason in session.execute(
            select(CommentReport.comment_id, CommentReport.reason)
            .where(CommentReport.comment_id.in_(by_id), CommentReport.reason.is_not(None))
            .order_by(CommentReport.id)
        ).all():
            by_id[comment_id].reasons.append(reason)
    return Page(items, raw.total, raw.page, raw.per_page)


# --- writing --------------------------------------------------------------------------------

def clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise Invalid("意见内容不能为空", field="body")
    if len(text) > BODY_MAX:
        raise Invalid(f"意见最多 {BODY_MAX} 个字", field="body")
    if reason := text_rules.problem(text, required=True):
        raise Invalid("意见内容" + reason, field="body")
    return text


def add(session: Session, actor: Actor | None, proposal_id: int, body: str, parent_id: int | None = None
        ) -> Comment:
    proposal, village = proposals.get(session, actor, proposal_id)
    actor = require_login(actor)
    if not actor.is_member(village.id):
        raise Forbidden("只有本村村民可以发表意见")
    comment = add_comment(session, actor.id, proposal, village, body, parent_id=parent_id, actor_id=actor.id)
    session.commit()
    session.refresh(proposal)
    return comment


def check_open(proposal: Proposal) -> None:
    if not proposals.comments_open(proposal):
        raise Conflict("商议已经结束，不能再发表意见")


def add_comment(session: Session, author_id: int, proposal: Proposal, village: Village, body: str, *,
                parent_id: int | None = None, actor_id: int, data: dict | None = None) -> Comment:
    """The comment of `author_id` (a member of the village, checked by the caller), counted and audited
    as the act of `actor_id` (the author online; the confirming committee member for one the author
    dictated). No commit."""
    check_open(proposal)
    text = clean_body(body)
    depth = 0
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            raise Invalid("要回复的评论不在这个事项下", field="parent_id")
        depth = parent.depth + 1
    now = utcnow()
    comment = Comment(village_id=village.id, proposal_id=proposal.id, parent_id=parent_id, depth=depth,
                      author_id=author_id, body=text, body_html=render(text), body_html_version=VERSION,
                      created_at=now)
    session.add(comment)
    session.flush()
    # Count it, but only if the proposal is still in the stage we checked: a comment cannot slip
    # in after a concurrent request has closed the discussion.
    result = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == proposal.state)
        .values(comment_count=Proposal.comment_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise Conflict("事项状态刚刚改变了，请刷新后再试")
    audit.record(session, village_id=village.id, actor_id=actor_id, action="comment.create", entity="comment",
                 entity_id=comment.id, data={"proposal_id": proposal.id, "parent_id": parent_id,
                                             "length": len(text), **(data or {})})
    return comment


def edit(session: Session, actor: Actor | None, comment_id: int, body: str) -> Comment:
    """The author rewrites a comment while the discussion is open; the old text is kept."""
    comment, proposal, village = _load(session, actor, comment_id)
    actor = require_login(actor)
    if comment.author_id != actor.id:
        raise Forbidden("只能修改自己的评论")
    if comment.hidden_at is not None:
        raise Conflict("已被隐藏的评论不能修改")
    if not proposals.comments_open(proposal):
        raise Conflict("商议已经结束，不能再修改意见")
    text = clean_body(body)
    if text == comment.body:
        return comment  # nothing changed: no new version
    now = utcnow()
    session.add(CommentVersion(comment_id=comment.id, body=comment.body,
                               written_at=comment.edited_at or comment.created_at))
    comment.body = text
    comment.body_html, comment.body_html_version = render(text), VERSION
    comment.edited_at = now
    session.add(comment)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="comment.edit", entity="comment",
                 entity_id=comment.id, data={"proposal_id": proposal.id, "length": len(text)})
    session.commit()
    return comment


def hide(session: Session, actor: Actor | None, comment_id: int, reason: str | None) -> Comment:
    """The committee hides a comment, at any stage, with a reason that stays visible in its place."""
    comment, proposal, village = _load(session, actor, comment_id)
    actor = require(actor, village, COMMITTEE)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请写明隐藏理由", field="reason")
    if len(reason) > REASON_MAX:
        raise Invalid(f"隐藏理由最多 {REASON_MAX} 个字", field="reason")
    if problem := text_rules.problem(reason, required=True):
        raise Invalid("隐藏理由" + problem, field="reason")
    if comment.hidden_at is not None:
        raise Conflict("这条评论已经被隐藏了")
    now = utcnow()
    result = session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.hidden_at.is_(None))
        .values(hidden_at=now, hidden_by=actor.id, hidden_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # someone hid it a moment ago
        session.rollback()
        raise Conflict("这条评论已经被隐藏了")
    audit.record(session, village_id=village.id, actor_id=actor.id, action="comment.hide", entity="comment",
                 entity_id=comment.id, data={"proposal_id": proposal.id, "reason": reason})
    if comment.author_id != actor.id:
        notifications.notify(
            session, comment.author_id, village.id,
            f"你在《{proposal.title}》下的评论已被村委会隐藏，理由：{reason}",
            f"/v/{village.slug}/proposals/{proposal.id}#c{comment.id}",
        )
    session.commit()
    session.refresh(comment)
    return comment


def report(session: Session, actor: Actor | None, comment_id: int, reason: str | None = None) -> None:
    """A member asks the committee to look at a comment; once per person."""
    comment, proposal, village = _load(session, actor, comment_id)
    actor = require_login(actor)
    if not actor.is_member(village.id):
        raise Forbidden("只有本村村民可以举报评论")
    if comment.author_id == actor.id:
        raise Forbidden("不能举报自己的评论")
    if comment.hidden_at is not None:
        raise Conflict("这条评论已经被隐藏了")
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise Invalid(f"举报理由最多 {REASON_MAX} 个字", field="reason")
    if problem := text_rules.problem(reason):
        raise Invalid("举报理由" + problem, field="reason")
    session.add(CommentReport(village_id=village.id, comment_id=comment.id, reporter_id=actor.id, reason=reason,
                              created_at=utcnow()))
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("你已经举报过这条评论") from exc
    session.execute(
        update(Comment).where(Comment.id == comment.id).values(report_count=Comment.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    # The reporter is in the event (actor); their words stay in the report row, out of the chain.
    audit.record(session, village_id=village.id, actor_id=actor.id, action="comment.report", entity="comment",
                 entity_id=comment.id, data={"proposal_id": proposal.id})
    session.commit()
