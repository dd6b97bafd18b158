"""Assisted participation (代办): the committee records, for a villager without a phone, a co-signature
from a signed paper sheet (with its scan), an objection, or a comment the villager dictated; a second
committee member confirms it before it counts, or any member sends it back with a reason.

Recording checks what confirming will (the villager, the matter's stage, the notice's window, the
text), so mistakes show at once. Confirming makes the real co-signature, objection or comment through
the functions the online acts use (`proposals.add_cosignature`, `objections.add_objection`,
`comments.add_comment`), in one transaction with the record's change: one person counts once toward a
co-sign threshold, on paper or online, because the co-signature's unique key says so. The villager
is told (消息); each step is audited (`assisted.record`, `.confirm`, `.reject`; the real act's event
names the villager `on_behalf_of`). Records and scans are for the committee, the supervisory
committee, the township's monitors, admins and the villager a record is for (`ATTACHMENT_OWNER`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.clock import utcnow
from app.config import Settings
from app.domain import assisted as A
from app.domain import notices as N
from app.domain import procedures as P
from app.domain import text as text_rules
from app.domain.people import mask_phone
from app.domain.roles import COMMITTEE, SUPERVISOR, VILLAGER
from app.models import AssistedAct, Attachment, Cosignature, Membership, Notice, Proposal, User, Village
from app.services import attachments, audit, comments, notifications, objections, places, proposals
from app.services.access import Actor, load_actor, require
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from app.services.pagination import Page, paginate

OWNER = "assisted"  # the attachments' owner type of a paper co-sign sheet's scan
READERS = (COMMITTEE, SUPERVISOR)  # (and the township's monitors)
OPTIONS_SHOWN = 100  # matters and notices offered by the form


# --- who and what ------------------------------------------------------------------------------------

def _person(session: Session, village: Village, user_id: int, kind: str) -> Actor:
    """The villager a record is for, as the rules see them (their roles in the village)."""
    user = session.get(User, user_id)
    person = load_actor(session, user) if user is not None else None
    if person is None or not person.is_member(village.id):
        raise Invalid("请选择本村的村民", field="user_id")
    if user.status == "disabled":
        raise Invalid("这位村民的账号已停用，不能代录", field="user_id")
    if kind != A.COMMENT and VILLAGER not in person.roles:
        raise Invalid(f"只有本村村民才能{'联署' if kind == A.COSIGN else '提出质询'}", field="user_id")
    return person


def _proposal(session: Session, village: Village, proposal_id: int | None) -> Proposal:
    proposal = session.get(Proposal, proposal_id) if proposal_id is not None else None
    if proposal is None or proposal.village_id != village.id or proposals.is_private(proposal):
        raise Invalid("找不到这个事项", field="target_id")
    return proposal


def _notice(session: Session, village: Village, notice_id: int | None) -> Notice:
    notice = session.get(Notice, notice_id) if notice_id is not None else None
    if notice is None or notice.village_id != village.id or notice.state not in (N.PUBLISHED, N.CLOSED):
        raise Invalid("找不到这份公开", field="target_id")
    return notice


def _clean(kind: str, body: str | None) -> str:
    """The villager's words, as the online form would take them (an objection or a comment)."""
    text = (body or "").strip()
    if kind == A.COSIGN:
        return ""
    if problem := text_rules.problem(text, required=True):
        raise Invalid("内容" + problem, field="body")
    return objections.clean_body(text) if kind == A.OBJECTION else comments.clean_body(text)


def _rules(session: Session, kind: str, person: Actor, target: Proposal | Notice, *, pending_id: int | None = None
           ) -> None:
    """The online act's own rules, for this villager, now (403 of a rule about the person → 422 on the
    person: the committee member may record, the villager may not do it)."""
    try:
        if kind == A.COSIGN:
            proposals.check_cosigner(person, target)
        elif kind == A.OBJECTION:
            objections.check_open(target, utcnow())
        else:
            comments.check_open(target)
    except Forbidden as exc:
        raise Invalid(exc.detail, field="user_id") from None
    if kind != A.COSIGN:
        return
    signed = session.execute(select(Cosignature.id).where(Cosignature.proposal_id == target.id,
                                                          Cosignature.user_id == person.id)).first()
    if signed is not None:
        raise Conflict("这位村民已经联署过了（网上或纸质），每人只算一次")
    waiting = select(AssistedAct.id).where(AssistedAct.proposal_id == target.id, AssistedAct.user_id == person.id,
                                           AssistedAct.kind == A.COSIGN, AssistedAct.state == A.PENDING)
    if pending_id is not None:
        waiting = waiting.where(AssistedAct.id != pending_id)
    if session.execute(waiting).first() is not None:
        raise Conflict(WAITING)


WAITING = "这位村民的纸质联署已经录入，正等另一名村委会成员确认"


def _check_scan(data: bytes) -> None:
    """The scan is checked before anything is written, as attachments.add will check it."""
    if len(data) > attachments.MAX_BYTES:
        raise attachments.TooLarge(attachments.too_large_message(), field="scan")
    try:
        attachments.sniff(data)
    except attachments.Refused as exc:
        raise Invalid(str(exc), field="scan") from exc


# --- recording and deciding ----------------------------------------------------------------------------

def record(session: Session, settings: Settings, actor: Actor | None, village: Village, *, kind: str,
           user_id: int | None, target_id: int | None, body: str | None = None,
           scan: tuple[str | None, bytes] | None = None) -> AssistedAct:
    """A committee member records an act for a villager; it waits for a second member's confirmation.
    A paper co-sign needs the scan of the signed sheet (`scan`: its file name and bytes)."""
    actor = require(actor, village, COMMITTEE)
    text = (body or "").strip()
    has_scan = bool(scan and scan[1])
    errors = A.record_problems(kind, recorder_id=actor.id, person_id=user_id, target_id=target_id, body=text,
                               has_scan=has_scan)
    if errors:
        raise Invalid("；".join(errors.values()), errors=[{"field": k, "message": v} for k, v in errors.items()])
    person = _person(session, village, user_id, kind)
    target = _notice(session, village, target_id) if kind == A.OBJECTION else _proposal(session, village, target_id)
    text = _clean(kind, text)
    _rules(session, kind, person, target)
    if has_scan:
        _check_scan(scan[1])
    act = AssistedAct(village_id=village.id, kind=kind, user_id=person.id, body=text or None, state=A.PENDING,
                      recorded_by=actor.id, recorded_at=utcnow(),
                      proposal_id=target.id if kind != A.OBJECTION else None,
                      notice_id=target.id if kind == A.OBJECTION else None)
    session.add(act)
    try:
        session.flush()
    except IntegrityError as exc:  # a second paper co-sign of the same person recorded at the same moment
        session.rollback()
        raise Conflict(WAITING) from exc
    audit.record(session, village_id=village.id, actor_id=actor.id, action="assisted.record", entity="assisted",
                 entity_id=act.id, data={"kind": kind, "user_id": person.id, "proposal_id": act.proposal_id,
                                         "notice_id": act.notice_id, "length": len(text)})
    try:
        if has_scan:  # stores the file, audits it and commits the record with it
            attachments.add(session, settings, actor, OWNER, act.id, scan[0] or "联署单", scan[1])
        else:
            session.commit()
    except ServiceError:
        session.rollback()
        raise
    return act


def _act(session: Session, village: Village, act_id: int) -> AssistedAct:
    act = session.get(AssistedAct, act_id)
    if act is None or act.village_id != village.id:
        raise NotFound("找不到这条代录")
    return act


def _decide(session: Session, actor: Actor, act: AssistedAct, action: str, **values) -> None:
    """Move the record out of waiting, once: a conditional UPDATE, so two members racing to decide it
    cannot both succeed."""
    problem = A.decide_problem(action, state=act.state, recorder_id=act.recorded_by, decider_id=actor.id)
    if problem:
        status, why = problem
        raise (Forbidden if status == 403 else Conflict)(why)
    moved = session.execute(update(AssistedAct).where(AssistedAct.id == act.id, AssistedAct.state == A.PENDING)
                            .values(decided_by=actor.id, decided_at=utcnow(), **values)
                            .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("这条代录刚刚被别人处理了，请刷新后再看")


def _title(session: Session, act: AssistedAct) -> tuple[str, str]:
    """The title of what the act is about, and the path of its page (without the village)."""
    if act.notice_id is not None:
        return session.get(Notice, act.notice_id).title, f"notices/{act.notice_id}"
    return session.get(Proposal, act.proposal_id).title, f"proposals/{act.proposal_id}"


def confirm(session: Session, actor: Actor | None, village: Village, act_id: int) -> AssistedAct:
    """A second committee member confirms: the co-signature, objection or comment is made now, by the
    rules of the online act, and the villager is told."""
    actor = require(actor, village, COMMITTEE)
    act = _act(session, village, act_id)
    _decide(session, actor, act, A.CONFIRM, state=A.CONFIRMED)
    try:
        person = _person(session, village, act.user_id, act.kind)
        data = {"on_behalf_of": person.id, "assisted_id": act.id, "recorded_by": act.recorded_by}
        if act.kind == A.COSIGN:
            proposal = _proposal(session, village, act.proposal_id)
            _rules(session, act.kind, person, proposal, pending_id=act.id)
            row = proposals.add_cosignature(session, person, proposal, village, actor_id=actor.id, data=data,
                                            duplicate="这位村民已经联署过了（网上或纸质），每人只算一次")
            made, anchor = {"cosignature_id": row.id}, "#paper-cosigns"
        elif act.kind == A.OBJECTION:
            notice = _notice(session, village, act.notice_id)
            _rules(session, act.kind, person, notice)
            row = objections.add_objection(session, person.id, notice, village, act.body or "", actor_id=actor.id,
                                           data=data)
            made, anchor = {"objection_id": row.id}, f"#o{row.id}"
        else:
            proposal = _proposal(session, village, act.proposal_id)
            _rules(session, act.kind, person, proposal)
            row = comments.add_comment(session, person.id, proposal, village, act.body or "", actor_id=actor.id,
                                       data=data)
            made, anchor = {"comment_id": row.id}, f"#c{row.id}"
    except ServiceError:
        session.rollback()
        raise
    session.execute(update(AssistedAct).where(AssistedAct.id == act.id).values(**made)
                    .execution_options(synchronize_session=False))
    audit.record(session, village_id=village.id, actor_id=actor.id, action="assisted.confirm", entity="assisted",
                 entity_id=act.id, data={"kind": act.kind, "user_id": act.user_id, **made})
    title, path = _title(session, act)
    recorder = session.get(User, act.recorded_by).name
    notifications.notify(session, act.user_id, village.id,
                         f"村委会{recorder}为你代录的{A.KINDS[act.kind]}（《{title}》）已由{actor.user.name}确认，"
                         + ("计入联署人数" if act.kind == A.COSIGN else "已经生效"),
                         f"/v/{village.slug}/{path}{anchor}")
    session.commit()
    session.refresh(act)
    return act


def reject(session: Session, actor: Actor | None, village: Village, act_id: int, reason: str | None) -> AssistedAct:
    """Any committee member (the one who recorded it too, to correct a mistake) sends a waiting record
    back with a reason; it never counts. The villager is told, and so is the recorder."""
    actor = require(actor, village, COMMITTEE)
    act = _act(session, village, act_id)
    reason = (reason or "").strip()
    problem = A.reason_problem(reason) or (("退回理由" + bad) if (bad := text_rules.problem(reason)) else None)
    if problem:
        raise Invalid(problem, field="reason")
    _decide(session, actor, act, A.REJECT, state=A.REJECTED, reason=reason)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="assisted.reject", entity="assisted",
                 entity_id=act.id, data={"kind": act.kind, "user_id": act.user_id, "reason": reason})
    title, path = _title(session, act)
    what = f"{A.KINDS[act.kind]}（《{title}》）"
    notifications.notify(session, act.user_id, village.id, f"村委会为你代录的{what}被退回，没有计入。理由：{reason}",
                         f"/v/{village.slug}/{path}")
    if act.recorded_by != actor.id:
        notifications.notify(session, act.recorded_by, village.id,
                             f"你代录的{what}被{actor.user.name}退回。理由：{reason}",
                             f"/v/{village.slug}/assisted?state={A.REJECTED}")
    session.commit()
    session.refresh(act)
    return act


# --- reading -------------------------------------------------------------------------------------------

@dataclass
class AssistedRow:
    """One record as the committee's list and the API show it."""

    id: int
    village_id: int
    kind: str
    kind_name: str
    state: str
    state_name: str
    user_id: int
    person_name: str
    proposal_id: int | None
    notice_id: int | None
    target_title: str
    href: str  # the matter's or notice's page
    body: str | None
    recorded_by: int
    recorder_name: str
    recorded_at: datetime
    decided_by: int | None
    decider_name: str | None
    decided_at: datetime | None
    reason: str | None
    cosignature_id: int | None
    objection_id: int | None
    comment_id: int | None
    mark: str | None  # "由某某代录、某某确认", once confirmed
    scan_ids: list[int] = field(default_factory=list)  # the paper sheet's scans (attachments)
    can_confirm: bool = False  # this viewer: a committee member other than the recorder, while waiting
    can_reject: bool = False


def _may_read(actor: Actor | None, village: Village) -> Actor:
    return require(actor, village, *READERS, monitor=True)


_PERSON, _RECORDER, _DECIDER = (User.__table__.alias(n) for n in ("person", "recorder", "decider"))


def _select():
    return (select(AssistedAct, _PERSON.c.name, _RECORDER.c.name, _DECIDER.c.name, Proposal.title, Notice.title)
            .join(_PERSON, _PERSON.c.id == AssistedAct.user_id)
            .join(_RECORDER, _RECORDER.c.id == AssistedAct.recorded_by)
            .join(_DECIDER, _DECIDER.c.id == AssistedAct.decided_by, isouter=True)
            .join(Proposal, Proposal.id == AssistedAct.proposal_id, isouter=True)
            .join(Notice, Notice.id == AssistedAct.notice_id, isouter=True))


def _scans(session: Session, ids: list[int]) -> dict[int, list[int]]:
    """The scans of these records: record id → attachment ids (one query, none without ids)."""
    scans: dict[int, list[int]] = {}
    for owner_id, aid in session.execute(select(Attachment.owner_id, Attachment.id).where(
            Attachment.owner_type == OWNER, Attachment.owner_id.in_(ids)).order_by(Attachment.id)).all() if ids else ():
        scans.setdefault(owner_id, []).append(aid)
    return scans


def _views(session: Session, actor: Actor, village: Village, rows) -> list[AssistedRow]:
    """Rows of `_select()` as views, with their scans (one query more when any)."""
    scans = _scans(session, [r[0].id for r in rows])
    committee = actor.has(village.id, COMMITTEE)
    out = []
    for act, person, recorder, decider, ptitle, ntitle in rows:
        waiting = act.state == A.PENDING
        out.append(AssistedRow(
            id=act.id, village_id=act.village_id, kind=act.kind, kind_name=A.KINDS.get(act.kind, act.kind),
            state=act.state, state_name=A.STATES.get(act.state, act.state), user_id=act.user_id,
            person_name=person, proposal_id=act.proposal_id, notice_id=act.notice_id,
            target_title=ntitle if act.notice_id is not None else ptitle,
            href=(f"/v/{village.slug}/notices/{act.notice_id}" if act.notice_id is not None
                  else f"/v/{village.slug}/proposals/{act.proposal_id}"),
            body=act.body, recorded_by=act.recorded_by, recorder_name=recorder, recorded_at=act.recorded_at,
            decided_by=act.decided_by, decider_name=decider, decided_at=act.decided_at, reason=act.reason,
            cosignature_id=act.cosignature_id, objection_id=act.objection_id, comment_id=act.comment_id,
            mark=A.mark(recorder, decider) if act.state == A.CONFIRMED and decider else None,
            scan_ids=scans.get(act.id, []),
            can_confirm=waiting and committee and act.recorded_by != actor.id,
            can_reject=waiting and committee))
    return out


def list_acts(session: Session, actor: Actor | None, village: Village, *, state: str | None = A.PENDING,
              page: int = 1, per_page: int = 20) -> Page[AssistedRow]:
    """The village's records in one state (None: all), newest first. Three queries whatever the
    number: the count, the page with names and titles, the page's scans."""
    actor = _may_read(actor, village)
    if state is not None and state not in A.STATES:
        raise Invalid("没有这种状态", field="state")
    stmt = _select().where(AssistedAct.village_id == village.id)
    if state is not None:
        stmt = stmt.where(AssistedAct.state == state)
    raw = paginate(session, stmt.order_by(AssistedAct.id.desc()), page, per_page, scalars=False)
    return Page(_views(session, actor, village, raw.items), raw.total, raw.page, raw.per_page)


def get_row(session: Session, actor: Actor | None, village: Village, act_id: int) -> AssistedRow:
    """One record (its readers only; another village's is a 404)."""
    actor = _may_read(actor, village)
    found = session.execute(_select().where(AssistedAct.id == act_id, AssistedAct.village_id == village.id)).all()
    if not found:
        raise NotFound("找不到这条代录")
    return _views(session, actor, village, found)[0]


# --- the committee's page ------------------------------------------------------------------------------

@dataclass
class AssistedPage:
    """The page: one page of records, and the forms to record a new one (for the committee)."""

    village: Village
    page: Page[AssistedRow]
    state: str | None
    may_record: bool
    people: list[tuple[int, str]]  # (user id, "name（138****0007，未激活）"): no account first
    cosign_matters: list[tuple[int, str]]  # matters gathering co-signs
    comment_matters: list[tuple[int, str]]  # matters open for comments
    notices: list[tuple[int, str]]  # notices in their window
    max_mb: int = attachments.MAX_BYTES // (1024 * 1024)


def _matters(session: Session, village: Village, *kinds: P.Kind) -> list[tuple[int, str]]:
    return [(pid, title) for pid, title in session.execute(
        select(Proposal.id, Proposal.title)
        .where(Proposal.village_id == village.id, proposals.in_states(P.states_of_kinds(*kinds)))
        .order_by(Proposal.id.desc()).limit(OPTIONS_SHOWN)).all()]


def _people(session: Session, village: Village, actor: Actor) -> list[tuple[int, str]]:
    rows = session.execute(
        select(User.id, User.name, User.phone, User.status)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.village_id == village.id, User.id != actor.id, User.status != "disabled")
        .order_by((User.status != "pending"), User.name, User.id)).all()
    return [(uid, f"{name}（{mask_phone(phone)}{'，未激活' if status == 'pending' else ''}）")
            for uid, name, phone, status in rows]


def page_view(session: Session, actor: Actor | None, slug: str, *, state: str | None, page: int) -> AssistedPage:
    village = places.get_village_by_slug(session, slug)
    actor = _may_read(actor, village)
    state = state if state in A.STATES else (None if state == "all" else A.PENDING)
    result = list_acts(session, actor, village, state=state, page=page, per_page=20)
    may_record = actor.has(village.id, COMMITTEE)
    if not may_record:
        return AssistedPage(village, result, state, False, [], [], [], [])
    now = utcnow()
    notices = [(nid, title) for nid, title in session.execute(
        select(Notice.id, Notice.title)
        .where(Notice.village_id == village.id, Notice.state == N.PUBLISHED, Notice.window_from <= now,
               Notice.window_until > now)
        .order_by(Notice.id.desc()).limit(OPTIONS_SHOWN)).all()]
    return AssistedPage(village, result, state, True, _people(session, village, actor),
                        _matters(session, village, P.Kind.COSIGN),
                        _matters(session, village, P.Kind.COSIGN, P.Kind.DELIBERATION), notices)


def village_for(session: Session, actor: Actor | None, slug: str) -> Village:
    """The village of a committee form (403 to members without the role, 404 outside)."""
    village = places.get_village_by_slug(session, slug)
    require(actor, village, COMMITTEE)
    return village


def may_record(actor: Actor | None, village: Village) -> bool:
    """Whether to offer "为不会用手机的村民代录" on a matter's or a notice's page."""
    return actor is not None and actor.has(village.id, COMMITTEE)


# --- what the matter's page shows ----------------------------------------------------------------------

@dataclass
class PaperCosign:
    """A confirmed paper co-signature, as a matter's page shows it."""

    name: str  # the villager's name for those who read the member list and for the villager ("你")
    mark: str
    confirmed_at: datetime
    scan_ids: list[int]  # for those who may see the scan


# Read on every matter's page: built once, run as a prepared query.
_PAPER_COSIGNS = (_select().where(AssistedAct.proposal_id == bindparam("pid"), AssistedAct.kind == A.COSIGN,
                                  AssistedAct.state == A.CONFIRMED, AssistedAct.cosignature_id.is_not(None))
                  .order_by(AssistedAct.decided_at, AssistedAct.id))


def paper_cosigns(session: Session, actor: Actor | None, proposal: Proposal, village: Village) -> list[PaperCosign]:
    """The matter's paper co-signatures still counted, oldest first (one query; one more for the
    scans when the viewer may see them)."""
    rows = session.execute(_PAPER_COSIGNS, {"pid": proposal.id}).all()
    if not rows:
        return []
    overseer = actor is not None and (actor.is_admin or actor.monitors(village) or actor.has(village.id, *READERS))
    mine = {r[0].id for r in rows if actor is not None and r[0].user_id == actor.id}
    scans = _scans(session, [r[0].id for r in rows] if overseer else sorted(mine))
    return [PaperCosign(name="你" if act.id in mine else (person if overseer else "一位村民"),
                        mark=A.mark(recorder, decider), confirmed_at=act.decided_at, scan_ids=scans.get(act.id, []))
            for act, person, recorder, decider, _p, _n in rows]


# --- attachments: a record owns the scan of its paper sheet ---------------------------------------------

def _see(session: Session, actor: Actor | None, act_id: int) -> int:
    act = session.get(AssistedAct, act_id)
    if act is None:
        raise NotFound("找不到这条代录")
    village = places.get_village(session, act.village_id)
    if actor is not None and actor.id == act.user_id:
        return village.id  # the villager it is for
    _may_read(actor, village)
    return village.id


def _attach(session: Session, actor: Actor | None, act_id: int) -> int:
    act = session.get(AssistedAct, act_id)
    if act is None:
        raise NotFound("找不到这条代录")
    village = places.get_village(session, act.village_id)
    require(actor, village, COMMITTEE)
    if act.state != A.PENDING:
        raise Conflict("代录已经处理，不能再添加扫描件")
    return village.id


ATTACHMENT_OWNER = OwnerRules("代录", _see, _attach)


def pending_count(session: Session, village_id: int) -> int:
    """Records waiting for a second committee member's confirmation (the committee's 我的待办)."""
    return session.execute(select(func.count()).select_from(AssistedAct).where(
        AssistedAct.village_id == village_id, AssistedAct.state == A.PENDING)).scalar_one()
