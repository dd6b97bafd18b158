"""Meetings as records (会议) and members' requests to convene them (提议召集).

Who does what: the village's members and the township's monitors read a village's meetings and
requests. The committee drafts a meeting of one of the village's councils with its agenda (matters of
the village or free lines), announces it — which drafts the notice for the board and hands it to the
supervisory committee for review, refused for a 村民会议 less than the law's ten days ahead unless
marked 临时通知 with its reason where the law allows it (rules: app/domain/meetings.py) — records the
paper sign-in sheet (its scan attached to the meeting), opens check-in by phone (a six-digit code shown
at the meeting; members of the council, and invited supervisors, enter it during the meeting), writes
the minutes (纪要) and links the votes taken there. Supervisors are invited (列席) to the meetings the
law lets them attend. Members petition for a 村民会议 or 村民代表会议; when the signatures reach the
threshold in force, the committee is told and must convene, and convening links the meeting. Every
step is audited in the village's chain.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import meetings as M
from app.domain import rulebook as R
from app.domain.calendar import format_local, local_date_of
from app.domain.roles import COMMITTEE, SUPERVISOR
from app.domain.text import problem as text_problem
from app.models import (
    Attachment,
    ConveneRequest,
    Council,
    Meeting,
    MeetingAttendance,
    MeetingItem,
    MeetingVote,
    MemberRole,
    Membership,
    Notice,
    Proposal,
    SecurityEvent,
    User,
    Village,
    VoteSession,
)
from app.services import attachments, audit, councils, notices, places
from app.services.access import Actor, require
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Invalid, NotFound, TooMany, invalid_fields


def manages(actor: Actor | None, village: Village) -> bool:
    return actor is not None and actor.has(village.id, COMMITTEE)


def _audit(session: Session, village: Village, actor: Actor, action: str, entity: str, entity_id: int, **data):
    audit.record(session, village_id=village.id, actor_id=actor.id, action=action, entity=entity,
                 entity_id=entity_id, data=data or None)


# --- reading -----------------------------------------------------------------------------------------

@dataclass
class MeetingRow:
    meeting: Meeting
    council: Council

    @property
    def state_name(self) -> str:
        return M.STATES[self.meeting.state]


def list_meetings(session: Session, actor: Actor | None, village: Village) -> list[MeetingRow]:
    """The village's meetings, the next first, then the past (members and monitors; one query)."""
    require(actor, village, monitor=True)
    rows = session.execute(select(Meeting, Council).join(Council, Council.id == Meeting.council_id).where(
        Meeting.village_id == village.id).order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(200)).all()
    return [MeetingRow(m, c) for m, c in rows]


def councils_of(session: Session, village: Village) -> list[Council]:
    return list(session.execute(select(Council).where(Council.village_id == village.id,
                                                      Council.archived_at.is_(None)).order_by(Council.id)).scalars())


@dataclass
class MeetingView:
    village: Village
    meeting: Meeting
    council: Council
    items: list[tuple[MeetingItem, Proposal | None]]
    notice: Notice | None
    present: list[tuple[MeetingAttendance, str]]  # (row, name)
    invited: list[tuple[int, str]]  # supervisors invited to attend (列席)
    invited_source: R.Source | None
    files: list[Attachment]
    votes: list[VoteSession]
    linkable: list[VoteSession]  # the village's votes not yet linked to a meeting (committee only)
    proposals: list[Proposal]  # the village's matters for the agenda (committee only)
    members: list[tuple[int, str]]  # the council's members today (for the paper sheet; committee only)
    manages: bool
    may_check_in: bool
    checked_in: bool
    notice_rule: M.NoticeRule
    cadence: str | None
    petitions: list[ConveneRequest] = field(default_factory=list)  # requests this meeting convened

    @property
    def state_name(self) -> str:
        return M.STATES[self.meeting.state]

    @property
    def kind_name(self) -> str:
        return R.COUNCIL_KINDS.get(self.council.kind, self.council.kind)

    @property
    def checkin_open(self) -> bool:
        return (self.meeting.checkin_hash is not None and self.meeting.checkin_until is not None
                and utcnow() < self.meeting.checkin_until)

    @property
    def notice_days_ahead(self) -> int | None:
        """Days between the notice's publication and the meeting (None until published)."""
        if self.notice is None or self.notice.published_at is None:
            return None
        return (local_date_of(self.meeting.starts_at) - local_date_of(self.notice.published_at)).days


def _meeting(session: Session, village: Village, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.village_id != village.id:
        raise NotFound("找不到这次会议")
    return meeting


def _invited(session: Session, village: Village, council: Council, day) -> tuple[list[tuple[int, str]],
                                                                                  R.Source | None]:
    source = M.supervisors_attend(council.kind, day)
    if source is None:
        return [], None
    rows = session.execute(select(User.id, User.name).join(Membership, Membership.user_id == User.id).join(
        MemberRole, MemberRole.membership_id == Membership.id).where(
        Membership.village_id == village.id, MemberRole.role == SUPERVISOR).order_by(User.name)).all()
    return [(r[0], r[1]) for r in rows], source


def _is_member(session: Session, council: Council, user_id: int) -> bool:
    eligible = councils.eligible(council, local_today()).subquery()
    return session.execute(select(eligible.c.user_id).where(eligible.c.user_id == user_id)).first() is not None


def meeting_view(session: Session, actor: Actor | None, village: Village, meeting_id: int) -> MeetingView:
    actor = require(actor, village, monitor=True)
    meeting = _meeting(session, village, meeting_id)
    council = session.get(Council, meeting.council_id)
    insider = manages(actor, village)
    items = [(i, p) for i, p in session.execute(select(MeetingItem, Proposal).outerjoin(
        Proposal, Proposal.id == MeetingItem.proposal_id).where(MeetingItem.meeting_id == meeting.id)
        .order_by(MeetingItem.position)).all()]
    present = [(a, n) for a, n in session.execute(select(MeetingAttendance, User.name).join(
        User, User.id == MeetingAttendance.user_id).where(MeetingAttendance.meeting_id == meeting.id)
        .order_by(MeetingAttendance.at, MeetingAttendance.id)).all()]
    day = local_date_of(meeting.starts_at)
    invited, source = _invited(session, village, council, day)
    votes = list(session.execute(select(VoteSession).join(MeetingVote, MeetingVote.vote_session_id == VoteSession.id)
                                 .where(MeetingVote.meeting_id == meeting.id).order_by(VoteSession.id)).scalars())
    linkable = list(session.execute(select(VoteSession).where(
        VoteSession.village_id == village.id, VoteSession.id.not_in(select(MeetingVote.vote_session_id)))
        .order_by(VoteSession.id.desc()).limit(50)).scalars()) if insider and meeting.state != M.CANCELLED else []
    proposals = list(session.execute(select(Proposal).where(
        Proposal.village_id == village.id, Proposal.state.not_in(("draft", "withdrawn")))
        .order_by(Proposal.updated_at.desc()).limit(50)).scalars()) if insider and meeting.state == M.DRAFT else []
    members = councils.council_members(session, council) if insider and meeting.state != M.CANCELLED else []
    invited_ids = {uid for uid, _ in invited}
    mine = any(a.user_id == actor.id for a, _ in present)
    may = (meeting.state in (M.ANNOUNCED, M.HELD) and actor.is_member(village.id)
           and (actor.id in invited_ids or _is_member(session, council, actor.id)))
    petitions = list(session.execute(select(ConveneRequest).where(ConveneRequest.meeting_id == meeting.id)).scalars())
    return MeetingView(village, meeting, council, items,
                       session.get(Notice, meeting.notice_id) if meeting.notice_id else None, present, invited,
                       source, attachments.list_for(session, "meeting", meeting.id), votes, linkable, proposals,
                       members, insider, may, mine, M.notice_rule(council.kind, local_today()),
                       M.cadence(council.kind, local_today()), petitions)


# --- the committee ----------------------------------------------------------------------------------

def _clean_items(items: list[str] | None) -> list[str]:
    return [i.strip() for i in (items or []) if i and i.strip()]


def create(session: Session, actor: Actor | None, village: Village, *, council_id: int | None, title: str,
           starts_at: datetime | None, place: str, items: list[str] | None = None,
           proposal_ids: list[int] | None = None) -> Meeting:
    """A meeting as a draft, with its agenda: free lines, then the village's matters."""
    actor = require(actor, village, COMMITTEE)
    lines = _clean_items(items)
    errors = M.check_meeting(title, place, lines)
    council = session.get(Council, council_id) if council_id else None
    if council is None or council.village_id != village.id or council.archived_at is not None:
        errors["council_id"] = "请选择本村的议事机构"
    if starts_at is None:
        errors["starts_at"] = "请填写会议时间"
    elif starts_at <= utcnow():
        errors["starts_at"] = "会议时间应在现在之后"
    elif starts_at > utcnow() + timedelta(days=366):
        errors["starts_at"] = "会议时间最多定在一年之内"
    pids = list(dict.fromkeys(proposal_ids or []))
    found = set(session.execute(select(Proposal.id).where(Proposal.id.in_(pids), Proposal.village_id == village.id))
                .scalars()) if pids else set()
    if len(found) != len(pids):
        errors["proposal_ids"] = "只能把本村的事项列入议程"
    if len(lines) + len(pids) > M.ITEMS_MAX:
        errors["items"] = f"议程最多 {M.ITEMS_MAX} 项"
    if errors:
        raise invalid_fields(errors)
    assert council is not None and starts_at is not None
    meeting = Meeting(village_id=village.id, council_id=council.id, title=title.strip(), starts_at=starts_at,
                      place=place.strip(), created_by=actor.id, created_at=utcnow())
    session.add(meeting)
    session.flush()
    for n, pid in enumerate(pids, 1):
        session.add(MeetingItem(meeting_id=meeting.id, position=n, proposal_id=pid))
    for n, text in enumerate(lines, len(pids) + 1):
        session.add(MeetingItem(meeting_id=meeting.id, position=n, text=text))
    _audit(session, village, actor, "meeting.create", "meeting", meeting.id, council=council.id,
           title=meeting.title, starts_at=meeting.starts_at.isoformat(), items=len(pids) + len(lines))
    session.commit()
    return meeting


def _managed(session: Session, actor: Actor | None, village: Village, meeting_id: int) -> tuple[Actor, Meeting]:
    actor = require(actor, village, COMMITTEE)
    return actor, _meeting(session, village, meeting_id)


def add_item(session: Session, actor: Actor | None, village: Village, meeting_id: int, *, text: str = "",
             proposal_id: int | None = None) -> MeetingItem:
    actor, meeting = _managed(session, actor, village, meeting_id)
    if meeting.state != M.DRAFT:
        raise Conflict("会议已经通知，议程不能再改")
    text = (text or "").strip()
    if proposal_id is not None:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or proposal.village_id != village.id:
            raise Invalid("只能把本村的事项列入议程", field="proposal_id")
    elif errors := M.check_meeting("-", "-", [text] if text else []):
        raise invalid_fields(errors)
    elif not text:
        raise Invalid("请填写议程内容或选择事项", field="text")
    last = session.execute(select(func.coalesce(func.max(MeetingItem.position), 0)).where(
        MeetingItem.meeting_id == meeting.id)).scalar_one()
    if last >= M.ITEMS_MAX:
        raise Conflict(f"议程最多 {M.ITEMS_MAX} 项")
    item = MeetingItem(meeting_id=meeting.id, position=last + 1, proposal_id=proposal_id,
                       text="" if proposal_id else text)
    session.add(item)
    session.flush()
    _audit(session, village, actor, "meeting.item", "meeting", meeting.id, position=item.position,
           proposal=proposal_id, text=item.text or None)
    session.commit()
    return item


def announce(session: Session, actor: Actor | None, village: Village, meeting_id: int,
             short_notice: str | None = None) -> Meeting:
    """Give notice: the announcement is drafted for the board and handed to the supervisors' review."""
    actor, meeting = _managed(session, actor, village, meeting_id)
    if meeting.state != M.DRAFT:
        raise Conflict("只有草稿状态的会议可以发通知")
    council = session.get(Council, meeting.council_id)
    reason = (short_notice or "").strip() or None
    if reason and len(reason) > M.REASON_MAX:
        raise Invalid(f"临时通知的原因最多 {M.REASON_MAX} 个字", field="short_notice")
    today = local_today()
    if problem := M.notice_problem(council.kind, local_date_of(meeting.starts_at), today, reason):
        raise Invalid(problem, field="short_notice")
    if meeting.starts_at <= utcnow():
        raise Invalid("会议时间已经过了，请改期", field="short_notice")
    rule = M.notice_rule(council.kind, today)
    items = session.execute(select(MeetingItem, Proposal.title).outerjoin(
        Proposal, Proposal.id == MeetingItem.proposal_id).where(MeetingItem.meeting_id == meeting.id)
        .order_by(MeetingItem.position)).all()
    agenda = "\n".join(f"{n}. {title or item.text}" for n, (item, title) in enumerate(items, 1)) or "（另行通知）"
    law = (f"\n\n{rule.source.cite}，召集村民会议应当提前{rule.days}日通知村民。" if rule.source else "")
    if reason:
        law += f"\n\n本次为临时通知，原因：{reason}"
    meeting.state, meeting.short_notice = M.ANNOUNCED, reason
    meeting.announced_by, meeting.announced_at = actor.id, utcnow()
    notice = notices.create(
        session, actor, village, category="village", title=f"会议通知：{meeting.title}"[:120],
        body=f"**{R.COUNCIL_KINDS.get(council.kind, council.name)}**（{council.name}）\n\n"
             f"时间：{format_local(meeting.starts_at)}\n\n地点：{meeting.place}\n\n议程：\n\n{agenda}{law}")
    meeting.notice_id = notice.id
    session.add(meeting)
    _audit(session, village, actor, "meeting.announce", "meeting", meeting.id, notice=notice.id, short_notice=reason)
    session.commit()
    notices.submit(session, actor, notice.id)
    return meeting


def cancel(session: Session, actor: Actor | None, village: Village, meeting_id: int, reason: str) -> Meeting:
    actor, meeting = _managed(session, actor, village, meeting_id)
    if meeting.state not in (M.DRAFT, M.ANNOUNCED):
        raise Conflict("已召开或已取消的会议不能取消")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请写明取消的原因", field="reason")
    if len(reason) > M.REASON_MAX:
        raise Invalid(f"原因最多 {M.REASON_MAX} 个字", field="reason")
    meeting.state, meeting.cancel_reason, meeting.checkin_hash = M.CANCELLED, reason, None
    session.add(meeting)
    _audit(session, village, actor, "meeting.cancel", "meeting", meeting.id, reason=reason)
    session.commit()
    return meeting


def open_checkin(session: Session, actor: Actor | None, village: Village, meeting_id: int) -> tuple[Meeting, str]:
    """A new six-digit code for check-in by phone (any earlier code stops working); the code itself is
    answered once and only its hash is kept."""
    actor, meeting = _managed(session, actor, village, meeting_id)
    if meeting.state not in (M.ANNOUNCED, M.HELD):
        raise Conflict("会议发出通知后才能开启手机签到")
    if problem := M.checkin_open_problem(meeting.starts_at, utcnow()):
        raise Conflict(problem)
    code = "".join(secrets.choice("0123456789") for _ in range(M.CODE_DIGITS))
    meeting.checkin_hash, meeting.checkin_until = M.code_hash(meeting.id, code), M.checkin_until(meeting.starts_at)
    session.add(meeting)
    _audit(session, village, actor, "meeting.checkin_open", "meeting", meeting.id,
           until=meeting.checkin_until.isoformat())
    session.commit()
    return meeting, code


def _attend(session: Session, meeting: Meeting, user_id: int, how: str, by: int) -> MeetingAttendance | None:
    exists = session.execute(select(MeetingAttendance.id).where(MeetingAttendance.meeting_id == meeting.id,
                                                                MeetingAttendance.user_id == user_id)).first()
    if exists is not None:
        return None
    row = MeetingAttendance(meeting_id=meeting.id, user_id=user_id, how=how, recorded_by=by, at=utcnow())
    session.add(row)
    return row


def check_in(session: Session, actor: Actor | None, village: Village, meeting_id: int, code: str
             ) -> MeetingAttendance:
    """A member of the council (or an invited supervisor) checks in with the code shown at the meeting."""
    actor = require(actor, village)
    meeting = _meeting(session, village, meeting_id)
    if meeting.state not in (M.ANNOUNCED, M.HELD):
        raise Conflict("这次会议现在不能签到")
    council = session.get(Council, meeting.council_id)
    invited = {uid for uid, _ in _invited(session, village, council, local_date_of(meeting.starts_at))[0]}
    member = _is_member(session, council, actor.id)
    if not member and actor.id not in invited:
        raise Conflict(f"您不是{council.name}的组成人员，不用签到")
    if problem := M.checkin_problem(utcnow(), meeting.checkin_until, meeting.checkin_hash is not None):
        raise Conflict(problem)
    subject = f"meeting:{meeting.id}"
    since = utcnow() - timedelta(minutes=M.CHECKIN_WINDOW_MINUTES)
    wrong = session.execute(select(func.count()).select_from(SecurityEvent).where(
        SecurityEvent.user_id == actor.id, SecurityEvent.kind == "checkin_failed", SecurityEvent.detail == subject,
        SecurityEvent.created_at >= since)).scalar_one()
    if wrong >= M.CHECKIN_TRIES:
        raise TooMany(f"签到码输错{M.CHECKIN_TRIES}次了，请{M.CHECKIN_WINDOW_MINUTES}分钟后再试，"
                      "或在会场的签到表上签名", retry_after=M.CHECKIN_WINDOW_MINUTES * 60)
    if not M.code_matches(meeting.id, code, meeting.checkin_hash):
        session.add(SecurityEvent(kind="checkin_failed", user_id=actor.id, detail=subject))
        session.commit()
        left = M.CHECKIN_TRIES - wrong - 1
        raise Invalid(f"签到码不对，请看会场上展示的 6 位数字（还可以再试 {left} 次）" if left else
                      f"签到码不对，已输错{M.CHECKIN_TRIES}次，请{M.CHECKIN_WINDOW_MINUTES}分钟后再试，"
                      "或在会场的签到表上签名", field="code")
    row = _attend(session, meeting, actor.id, M.PHONE if member else M.OBSERVER, actor.id)
    if row is None:
        raise Conflict("您已经签到了")
    session.flush()
    _audit(session, village, actor, "meeting.checkin", "meeting", meeting.id, user=actor.id, how=row.how)
    session.commit()
    return row


def record_paper(session: Session, actor: Actor | None, village: Village, meeting_id: int, user_ids: list[int],
                 scan_id: int | None = None) -> int:
    """The paper sign-in sheet: those who signed, entered by the committee (the scan is attached to the
    meeting first). People already signed in are left as they are. Returns how many were added."""
    actor, meeting = _managed(session, actor, village, meeting_id)
    if meeting.state not in (M.ANNOUNCED, M.HELD):
        raise Conflict("会议发出通知后才能登记签到")
    ids = sorted(set(user_ids))
    if not ids:
        raise Invalid("请勾选在签到表上签名的人", field="user_ids")
    council = session.get(Council, meeting.council_id)
    members = {uid for uid, _ in councils.council_members(session, council)}
    invited = {uid for uid, _ in _invited(session, village, council, local_date_of(meeting.starts_at))[0]}
    if any(uid not in members and uid not in invited for uid in ids):
        raise Invalid(f"只能登记{council.name}的组成人员和列席人员", field="user_ids")
    if scan_id is not None:
        scan = session.get(Attachment, scan_id)
        if scan is None or scan.owner_type != "meeting" or scan.owner_id != meeting.id:
            raise Invalid("签到表扫描件不属于这次会议", field="scan")
    added = [uid for uid in ids if _attend(session, meeting, uid, M.PAPER if uid in members else M.OBSERVER,
                                           actor.id) is not None]
    _audit(session, village, actor, "meeting.signin_paper", "meeting", meeting.id, users=added, scan=scan_id)
    session.commit()
    return len(added)


def record_minutes(session: Session, actor: Actor | None, village: Village, meeting_id: int, minutes: str
                   ) -> Meeting:
    """The minutes (纪要): the meeting is held. They may be rewritten; each text is in the audit record."""
    actor, meeting = _managed(session, actor, village, meeting_id)
    if meeting.state not in (M.ANNOUNCED, M.HELD):
        raise Conflict("会议发出通知后才能记录纪要")
    if meeting.starts_at - M.OPENS_BEFORE > utcnow():  # as check-in: from an hour before the start
        raise Conflict("会议还没有开始，不能记录纪要")
    minutes = (minutes or "").strip()
    if not minutes:
        raise Invalid("请填写会议纪要", field="minutes")
    if len(minutes) > M.MINUTES_MAX:
        raise Invalid(f"纪要最多 {M.MINUTES_MAX} 个字", field="minutes")
    if (p := text_problem(minutes)) is not None:
        raise Invalid("纪要" + p, field="minutes")
    meeting.minutes, meeting.state = minutes, M.HELD
    meeting.held_by, meeting.held_at = actor.id, utcnow()
    session.add(meeting)
    _audit(session, village, actor, "meeting.minutes", "meeting", meeting.id, minutes=minutes)
    session.commit()
    return meeting


def link_vote(session: Session, actor: Actor | None, village: Village, meeting_id: int, vote_session_id: int
              ) -> MeetingVote:
    actor, meeting = _managed(session, actor, village, meeting_id)
    if meeting.state == M.CANCELLED:
        raise Conflict("会议已取消")
    vs = session.get(VoteSession, vote_session_id)
    if vs is None or vs.village_id != village.id:
        raise Invalid("只能关联本村的表决", field="vote_session_id")
    if session.execute(select(MeetingVote.id).where(MeetingVote.vote_session_id == vs.id)).first() is not None:
        raise Conflict("这次表决已经关联了一次会议")
    link = MeetingVote(meeting_id=meeting.id, vote_session_id=vs.id, linked_by=actor.id, linked_at=utcnow())
    session.add(link)
    session.flush()
    _audit(session, village, actor, "meeting.vote", "meeting", meeting.id, vote=vs.id)
    session.commit()
    return link


def _meeting_see(session: Session, actor: Actor | None, meeting_id: int) -> int:
    """A meeting's papers (the sign-in sheet, the minutes' pages) carry names: the village's members
    and the township's monitors see them."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("找不到这次会议")
    require(actor, places.get_village(session, meeting.village_id), monitor=True)
    return meeting.village_id


def _meeting_attach(session: Session, actor: Actor | None, meeting_id: int) -> int:
    village_id = _meeting_see(session, actor, meeting_id)
    require(actor, places.get_village(session, village_id), COMMITTEE)
    if session.get(Meeting, meeting_id).state == M.CANCELLED:
        raise Conflict("会议已取消，不能再添加材料")
    return village_id


ATTACHMENT_OWNER = OwnerRules("会议", _meeting_see, _meeting_attach)


def meetings_for(session: Session, village: Village, kind: str) -> list[Meeting]:
    """The village's meetings of a body of `kind` not cancelled, newest first (to convene a request by)."""
    return list(session.execute(select(Meeting).join(Council, Council.id == Meeting.council_id).where(
        Meeting.village_id == village.id, Council.kind == kind, Meeting.state != M.CANCELLED)
        .order_by(Meeting.starts_at.desc()).limit(50)).scalars())
