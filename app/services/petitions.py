"""Members' requests to convene (提议召集) a 村民会议 or 村民代表会议, one signature per person.

A request is signed by its author and then by others; villagers count toward a 村民会议 (≥ 1/10 of the
adult villagers), representatives toward either (≥ 1/3 of them for a 村民会议, ≥ 1/5 for a 村民代表会议),
by the law in force on the day (app/domain/meetings.petition_progress, thresholds in rulebook). When the
signatures first reach the threshold the request is marked met, with its citation, and the committee is
told; it must then convene, which links the meeting (services/meetings). A request met more than 30
days ago and not convened is counted on the township's dashboard (`unconvened`). Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from app.clock import local_today, utcnow
from app.domain import meetings as M
from app.domain import rulebook as R
from app.domain.people import adult_born_on_or_before
from app.domain.roles import COMMITTEE, REPRESENTATIVE, VILLAGER
from app.models import ConveneRequest, ConveneSignature, Council, Meeting, MemberRole, Membership, User, Village
from app.services import audit, notifications, places
from app.services.access import Actor, require
from app.services.errors import Conflict, Invalid, NotFound, invalid_fields


def _audit(session: Session, village: Village, actor: Actor, action: str, entity_id: int, **data):
    audit.record(session, village_id=village.id, actor_id=actor.id, action=action, entity="convene_request",
                 entity_id=entity_id, data=data or None)


@dataclass
class PetitionRow:
    request: ConveneRequest
    signatures: int
    progress: M.Progress
    signed: bool  # the viewer has signed

    @property
    def kind_name(self) -> str:
        return M.PETITION_KINDS[self.request.kind]

    @property
    def state_name(self) -> str:
        return M.PETITION_STATES[self.request.state]

    @property
    def must_convene(self) -> bool:
        return self.request.state == M.OPEN and self.request.met_at is not None


def _counts(session: Session, village: Village, request_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per request: (signatures, signers who are adult villagers, signers who are representatives)."""
    if not request_ids:
        return {}
    adult = adult_born_on_or_before(local_today())

    def has(role: str):
        return select(MemberRole.membership_id).where(MemberRole.membership_id == Membership.id,
                                                    MemberRole.role == role).exists()

    rows = session.execute(select(
        ConveneSignature.request_id, func.count(),
        func.count().filter(has(VILLAGER), User.birth_date <= adult), func.count().filter(has(REPRESENTATIVE)))
        .join(User, User.id == ConveneSignature.user_id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.village_id == village.id))
        .where(ConveneSignature.request_id.in_(request_ids)).group_by(ConveneSignature.request_id)).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _rows(session: Session, viewer_id: int | None, village: Village, requests: list[ConveneRequest]
          ) -> list[PetitionRow]:
    counts = _counts(session, village, [r.id for r in requests])
    facts = places.facts(session, village.id)
    mine = set(session.execute(select(ConveneSignature.request_id).where(
        ConveneSignature.user_id == viewer_id, ConveneSignature.request_id.in_([r.id for r in requests]))).scalars())
    today = local_today()
    out = []
    for r in requests:
        total, villagers, reps = counts.get(r.id, (0, 0, 0))
        out.append(PetitionRow(r, total, M.petition_progress(r.kind, villagers, reps, facts.adults,
                                                             facts.representatives, today), r.id in mine))
    return out


def list_petitions(session: Session, actor: Actor | None, village: Village) -> list[PetitionRow]:
    actor = require(actor, village, monitor=True)
    requests = list(session.execute(select(ConveneRequest).where(ConveneRequest.village_id == village.id)
                                    .order_by(ConveneRequest.id.desc()).limit(200)).scalars())
    return _rows(session, actor.id, village, requests)


def _petition(session: Session, village: Village, request_id: int) -> ConveneRequest:
    request = session.get(ConveneRequest, request_id)
    if request is None or request.village_id != village.id:
        raise NotFound("找不到这份提议")
    return request


def _may_sign(actor: Actor, kind: str) -> None:
    if kind == R.REPRESENTATIVES and REPRESENTATIVE not in actor.roles:
        raise Conflict("提议召开村民代表会议的须是村民代表")
    if kind == R.ASSEMBLY and not actor.roles.intersection((VILLAGER, REPRESENTATIVE)):
        raise Conflict("提议召开村民会议的须是本村村民或村民代表")


def _after_signature(session: Session, village: Village, request: ConveneRequest) -> None:
    """When the signatures first reach the threshold in force today, the committee is told."""
    row = _rows(session, None, village, [request])[0]
    if request.met_at is not None or not row.progress.met:
        return
    request.met_at, request.citation = utcnow(), row.progress.citation[:200]
    session.add(request)
    committee = session.execute(select(Membership.user_id).join(MemberRole, MemberRole.membership_id == Membership.id)
                                .where(Membership.village_id == village.id, MemberRole.role == COMMITTEE)).scalars()
    text = f"提议召开{row.kind_name}的签名已达到法定人数，村委会应当召集（{request.citation}）"
    for uid in sorted(set(committee)):
        notifications.notify(session, uid, village.id, text, f"/v/{village.slug}/petitions#p{request.id}")
    audit.record(session, village_id=village.id, actor_id=None, action="petition.met", entity="convene_request",
                 entity_id=request.id, data={"progress": row.progress.text, "citation": request.citation})


def create_petition(session: Session, actor: Actor | None, village: Village, *, kind: str, reason: str
                    ) -> ConveneRequest:
    """A request to convene, signed by its author."""
    actor = require(actor, village)
    if errors := M.check_petition(kind, reason):
        raise invalid_fields(errors)
    _may_sign(actor, kind)
    now = utcnow()
    request = ConveneRequest(village_id=village.id, kind=kind, reason=reason.strip(), created_by=actor.id,
                             created_at=now)
    session.add(request)
    session.flush()
    session.add(ConveneSignature(request_id=request.id, user_id=actor.id, created_at=now))
    session.flush()
    _audit(session, village, actor, "petition.create", request.id, kind=kind)
    _after_signature(session, village, request)
    session.commit()
    return request


def sign(session: Session, actor: Actor | None, village: Village, request_id: int) -> PetitionRow:
    actor = require(actor, village)
    request = _petition(session, village, request_id)
    if request.state != M.OPEN:
        raise Conflict("这份提议已经召集或关闭，不能再签名")
    _may_sign(actor, request.kind)
    if session.execute(select(ConveneSignature.id).where(ConveneSignature.request_id == request.id,
                                                         ConveneSignature.user_id == actor.id)).first():
        raise Conflict("您已经签过名了")
    session.add(ConveneSignature(request_id=request.id, user_id=actor.id, created_at=utcnow()))
    session.flush()
    _audit(session, village, actor, "petition.sign", request.id)
    _after_signature(session, village, request)
    session.commit()
    return _rows(session, actor.id, village, [request])[0]


def convene(session: Session, actor: Actor | None, village: Village, request_id: int, meeting_id: int
            ) -> ConveneRequest:
    """The committee convenes: the request points at the meeting of the body it asked for."""
    actor = require(actor, village, COMMITTEE)
    request = _petition(session, village, request_id)
    if request.state != M.OPEN:
        raise Conflict("这份提议已经召集或关闭")
    meeting = session.get(Meeting, meeting_id)
    council = session.get(Council, meeting.council_id) if meeting is not None else None
    if meeting is None or meeting.village_id != village.id or council is None:
        raise Invalid("请选择本村的会议", field="meeting_id")
    if council.kind != request.kind or meeting.state == M.CANCELLED:
        raise Invalid(f"请选择一次未取消的{M.PETITION_KINDS[request.kind]}", field="meeting_id")
    request.state, request.meeting_id = M.CONVENED, meeting.id
    session.add(request)
    _audit(session, village, actor, "petition.convene", request.id, meeting=meeting.id)
    session.commit()
    return request


def close_petition(session: Session, actor: Actor | None, village: Village, request_id: int, reason: str
                   ) -> ConveneRequest:
    """The committee closes a request that did not reach the threshold (one that did must be convened)."""
    actor = require(actor, village, COMMITTEE)
    request = _petition(session, village, request_id)
    if request.state != M.OPEN:
        raise Conflict("这份提议已经召集或关闭")
    if request.met_at is not None:
        raise Conflict("签名已达到法定人数，村委会应当召集，不能关闭")
    reason = (reason or "").strip()
    if not reason or len(reason) > M.REASON_MAX:
        raise Invalid(f"请写明关闭的原因（最多 {M.REASON_MAX} 个字）", field="reason")
    request.state, request.closed_reason = M.CLOSED, reason
    session.add(request)
    _audit(session, village, actor, "petition.close", request.id, reason=reason)
    session.commit()
    return request


def unconvened(session: Session, village_ids: list[int]) -> dict[int, int]:
    """Per village, requests that met their threshold more than UNCONVENED_DAYS ago and are still not
    convened (one query, for the township's dashboard)."""
    if not village_ids:
        return {}
    since = utcnow() - timedelta(days=M.UNCONVENED_DAYS)
    return dict(session.execute(select(ConveneRequest.village_id, func.count()).where(
        ConveneRequest.village_id.in_(village_ids), ConveneRequest.state == M.OPEN,
        ConveneRequest.met_at.is_not(None), ConveneRequest.met_at < since)
        .group_by(ConveneRequest.village_id)).all())
