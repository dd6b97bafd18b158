"""Councils and votes (民主决事): sessions, the frozen electorate, ballots, proxies, paper tallies,
results — and the hook that lets a closed vote complete its proposal's vote stage.

Concurrency. One ballot per voter is the database's job: unique (session, voter) on `ballot` and
`ballot_register`; the loser of a race gets 409. A ballot racing the close: a cast first writes its
rows, then re-reads the session's state under the row's lock (`FOR NO KEY UPDATE` on PostgreSQL; on
SQLite the write lock it already holds); closing takes the same lock by updating the row before
tallying. So every acknowledged ballot is in the tally, and none after it. The lock is exclusive,
not shared: with `FOR SHARE` a steady stream of ballots kept the close waiting until voting stopped
(share lockers join each other ahead of a waiting writer). Casts in one village are serialized by
the audit chain's head row anyway, so this costs no parallelism; `NO KEY` keeps it from conflicting
with the key-share locks the ballots' foreign keys take.

Secrecy. For a secret vote the register (who) and the box (what) are written in one transaction
and share no key, no time and no order; the receipt is returned once and never stored with the
voter. Before close only turnout is shown, to everyone, the committee included.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import and_, distinct, func, insert, literal, or_, select, union, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.domain import procedures as P
from app.domain import rulebook as R
from app.domain import votes as V
from app.domain.people import adult_born_on_or_before
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, PARTY_MEMBER, REPRESENTATIVE, SUPERVISOR, VILLAGER
from app.models import (
    Attachment,
    Ballot,
    BallotBox,
    BallotRegister,
    Council,
    CouncilMember,
    Elector,
    MemberRole,
    Membership,
    PaperAttendance,
    PaperTally,
    Proposal,
    Proxy,
    User,
    Village,
    VillagerGroup,
    VoteSession,
)
from app.services import audit, places, proposals, village_settings
from app.services.access import Actor, require, require_login
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

# Called in the closing transaction with the closed session (services/flows.py fills it).
AFTER_CLOSE: list[Callable[[Session, VoteSession], None]] = []

# Which councils may decide which vote stage.
STAGE_COUNCILS: dict[tuple[str, str], tuple[str, ...]] = {
    ("yishiyiyi", "vote"): (R.ASSEMBLY, R.REPRESENTATIVES),
    ("sizheng", "party_review"): (R.PARTY,),
    ("sizheng", "resolution"): (R.ASSEMBLY, R.REPRESENTATIVES),
}


def _errors(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid("；".join(errors.values()), errors=[{"field": k, "message": v} for k, v in errors.items()])


# --- councils -------------------------------------------------------------------------------

def council_rule(council: Council) -> R.CouncilRule:
    if council.kind == R.CUSTOM:
        return R.custom_rule(council.name, Fraction(council.quorum_num or 1, council.quorum_den or 2),
                             council.quorum_inclusive, Fraction(council.pass_num or 1, council.pass_den or 2),
                             council.pass_inclusive)
    return R.RULES[council.kind]


def _eligible(council: Council, on: date):
    """SELECT (user_id, household_id) of those who may vote in `council` on day `on`."""
    adult = User.birth_date <= adult_born_on_or_before(on)
    base = (
        select(Membership.user_id, Membership.household_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.village_id == council.village_id, User.status != "disabled")
    )

    def with_role(*roles: str):
        return base.where(
            select(MemberRole.membership_id)
            .where(MemberRole.membership_id == Membership.id, MemberRole.role.in_(roles))
            .exists()
        )

    if council.kind == R.ASSEMBLY:
        return with_role(VILLAGER).where(adult)
    if council.kind == R.GROUP:
        return with_role(VILLAGER).where(adult, Membership.group_id == council.group_id)
    if council.kind == R.REPRESENTATIVES:
        return with_role(REPRESENTATIVE).where(adult)
    if council.kind == R.PARTY:
        return with_role(PARTY_MEMBER).where(adult)
    if council.kind == R.JOINT:
        return with_role(COMMITTEE, PARTY_COMMITTEE).where(adult)
    return base.where(adult, Membership.user_id.in_(
        select(CouncilMember.user_id).where(CouncilMember.council_id == council.id)))


@dataclass
class CouncilView:
    council: Council
    members: int

    @property
    def kind_name(self) -> str:
        return R.COUNCIL_KINDS[self.council.kind]

    @property
    def rule(self) -> R.CouncilRule:
        return council_rule(self.council)


def list_councils(session: Session, actor: Actor | None, village: Village) -> list[CouncilView]:
    require(actor, village, monitor=True)
    councils = list(session.execute(
        select(Council).where(Council.village_id == village.id, Council.archived_at.is_(None)).order_by(Council.id)
    ).scalars())
    if not councils:
        return []
    # Each body's members are a different query; their counts come back in one round trip.
    today = clock.local_today()
    counts = union_all(*(
        select(literal(c.id).label("council_id"), func.count().label("members"))
        .select_from(_eligible(c, today).subquery()) for c in councils
    ))
    members = dict(session.execute(counts).all())
    return [CouncilView(c, members.get(c.id, 0)) for c in councils]


def get_council(session: Session, actor: Actor | None, council_id: int) -> tuple[Council, Village]:
    council = session.get(Council, council_id)
    if council is None:
        raise NotFound("找不到这个议事机构")
    village = places.get_village(session, council.village_id)
    require(actor, village, monitor=True)
    return council, village


def council_members(session: Session, council: Council, on: date | None = None) -> list[tuple[int, str]]:
    rows = session.execute(
        select(User.id, User.name).where(User.id.in_(
            select(_eligible(council, on or clock.local_today()).subquery().c.user_id))).order_by(User.name)
    ).all()
    return [(r[0], r[1]) for r in rows]


def create_council(
    session: Session, actor: Actor | None, village: Village, *, kind: str, name: str,
    group_id: int | None = None, member_ids: list[int] | None = None,
    quorum: tuple[int, int, bool] | None = None, passing: tuple[int, int, bool] | None = None,
) -> Council:
    actor = require(actor, village, COMMITTEE)
    errors: dict[str, str] = {}
    if kind not in R.COUNCIL_KINDS:
        errors["kind"] = "请选择议事机构的类别"
    name = (name or "").strip() or R.COUNCIL_KINDS.get(kind, "")
    if len(name) > 50:
        errors["name"] = "名称最多 50 个字"
    if kind == R.GROUP:
        group = session.get(VillagerGroup, group_id) if group_id else None
        if group is None or group.village_id != village.id:
            errors["group_id"] = "请选择本村的村民小组"
    if kind == R.CUSTOM:
        for label, value in (("quorum", quorum), ("passing", passing)):
            if value is None or not (0 < value[0] <= value[1] <= 100):
                errors[label] = "请填写有效的比例，如 2/3"
        if not member_ids:
            errors["member_ids"] = "请选择组成人员"
    _errors(errors)
    council = Council(village_id=village.id, kind=kind, name=name, group_id=group_id if kind == R.GROUP else None)
    if kind == R.CUSTOM:
        council.quorum_num, council.quorum_den, council.quorum_inclusive = quorum
        council.pass_num, council.pass_den, council.pass_inclusive = passing
    session.add(council)
    session.flush()
    if kind == R.CUSTOM:
        valid = set(session.execute(select(Membership.user_id).where(
            Membership.village_id == village.id, Membership.user_id.in_(member_ids))).scalars())
        if valid != set(member_ids):
            session.rollback()
            raise Invalid("组成人员必须是本村村民", field="member_ids")
        session.add_all([CouncilMember(council_id=council.id, user_id=u) for u in sorted(valid)])
    audit.record(session, village_id=village.id, actor_id=actor.id, action="council.create", entity="council",
                 entity_id=council.id, data={"kind": kind, "name": name, "members": sorted(member_ids or [])})
    session.commit()
    return council


def archive_council(session: Session, actor: Actor | None, council_id: int) -> Council:
    """Retire a body (e.g. a 理事会 whose term ended). Its past votes stay as they were; a body
    with a vote not yet closed cannot be retired."""
    council, village = get_council(session, actor, council_id)
    actor = require(actor, village, COMMITTEE)
    if council.archived_at is not None:
        raise Conflict("这个议事机构已经撤销了")
    pending = session.execute(select(VoteSession.id).where(
        VoteSession.council_id == council.id, VoteSession.state != "closed").limit(1)).first()
    if pending is not None:
        raise Conflict("这个议事机构还有未结束的表决，不能撤销")
    council.archived_at = utcnow()
    session.add(council)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="council.archive", entity="council",
                 entity_id=council.id, data={"name": council.name})
    session.commit()
    return council


# --- vote sessions --------------------------------------------------------------------------

def _due(vs: VoteSession, now: datetime) -> bool:
    return vs.state == "open" and now >= vs.closes_at


def get_session(session: Session, actor: Actor | None, sid: int) -> tuple[VoteSession, Proposal, Village]:
    vs = session.get(VoteSession, sid)
    if vs is None:
        raise NotFound("找不到这次表决")
    proposal, village = proposals.get(session, actor, vs.proposal_id)
    if _due(vs, utcnow()):
        _close(session, vs, None, automatic=True)
        session.commit()
    return vs, proposal, village


def get_session_public(session: Session, sid: int) -> tuple[VoteSession, Village]:
    """A closed vote for anyone, no login (result, ballot box, receipts); a vote past its close is
    closed first. Votes not yet closed do not exist on this path."""
    vs = session.get(VoteSession, sid)
    if vs is None:
        raise NotFound("找不到这次表决")
    if _due(vs, utcnow()):
        _close(session, vs, None, automatic=True)
        session.commit()
    if vs.state != "closed":
        raise NotFound("找不到这次表决，或表决还没有结束")
    return vs, places.get_village(session, vs.village_id)


def read_session(session: Session, actor: Actor | None, sid: int) -> tuple[VoteSession, Village, bool]:
    """For reading: members, monitors and admins see any vote of their village (third value True);
    anyone else sees closed votes only (False), as `get_session_public`."""
    vs = session.get(VoteSession, sid)
    if vs is None:
        raise NotFound("找不到这次表决")
    village = places.get_village(session, vs.village_id)
    insider = actor is not None and (actor.is_admin or actor.is_member(village.id) or actor.monitors(village))
    if not insider:
        try:
            vs, village = get_session_public(session, sid)
            return vs, village, False
        except NotFound:
            pass  # not closed: the member path answers (401 to the anonymous, 404 to other villages)
    vs, _, village = get_session(session, actor, sid)
    return vs, village, True


def rule_of(session: Session, vs: VoteSession) -> tuple[Council, R.CouncilRule]:
    """The council of a vote and the rule that decides it (the council's, or a stricter special rule)."""
    council = session.get(Council, vs.council_id)
    return council, R.with_special(council_rule(council), vs.special_rule)


def result_for(vs: VoteSession, insider: bool) -> dict | None:
    """The published result (None before close). The names of people counted once although they
    both signed in and voted online are for the village and its monitors, not the public."""
    if vs.state != "closed" or not vs.result:
        return None
    return vs.result if insider else {**vs.result, "duplicates": None}


def published_result(session: Session, actor: Actor | None, sid: int) -> dict:
    vs, village, insider = read_session(session, actor, sid)
    result = result_for(vs, insider)
    if result is None:
        raise Conflict("表决结束后才公布结果")
    return result


def sessions_for(session: Session, proposal: Proposal) -> list[VoteSession]:
    return list(session.execute(
        select(VoteSession).where(VoteSession.proposal_id == proposal.id).order_by(VoteSession.id)
    ).scalars())


def create_session(
    session: Session, actor: Actor | None, proposal_id: int, *, council_id: int, question: str,
    options: list[str] | None, secret: bool, allow_change: bool, opens_at: datetime, closes_at: datetime,
    special_rule: str | None = None,
) -> VoteSession:
    proposal, village = proposals.get(session, actor, proposal_id)
    actor = require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    stage = proposals.stage_of(proposal)
    if stage is None or stage.kind is not P.Kind.VOTE:
        raise Conflict("事项现在不在表决阶段")
    council = session.get(Council, council_id)
    if council is None or council.village_id != village.id or council.archived_at is not None:
        raise Invalid("请选择本村的议事机构", field="council_id")
    allowed = STAGE_COUNCILS.get((proposal.procedure, stage.key))
    if allowed and council.kind not in allowed:
        names = "或".join(R.COUNCIL_KINDS[k] for k in allowed)
        raise Invalid(f"{stage.name}须由{names}表决", field="council_id")
    if special_rule and special_rule not in R.SPECIAL_RULES:
        raise Invalid("没有这条特别规则", field="special_rule")
    if special_rule == R.LAND_TO_OUTSIDERS and council.kind not in (R.ASSEMBLY, R.REPRESENTATIVES):
        raise Invalid("土地发包给本集体经济组织以外的，须由村民会议或村民代表会议表决", field="special_rule")
    options = [o.strip() for o in (options or V.APPROVE_OPTIONS)]
    _errors(V.check_definition(question, options, opens_at, closes_at, secret, allow_change))
    pending = session.execute(select(VoteSession.id).where(
        VoteSession.proposal_id == proposal.id, VoteSession.stage == stage.key, VoteSession.state != "closed")).first()
    if pending:
        raise Conflict("这个阶段已经有一次未结束的表决")
    vs = VoteSession(village_id=village.id, proposal_id=proposal.id, stage=stage.key, council_id=council.id,
                     question=question.strip(), options=options, secret=secret,
                     allow_change=allow_change and not secret, special_rule=special_rule, opens_at=opens_at,
                     closes_at=closes_at, created_by=actor.id)
    session.add(vs)
    session.flush()
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.create", entity="vote",
                 entity_id=vs.id, data={"proposal_id": proposal.id, "council_id": council.id, "question": vs.question,
                                        "options": options, "secret": secret})
    session.commit()
    return vs


def edit_session(session: Session, actor: Actor | None, sid: int, **changes) -> VoteSession:
    """Before opening the committee may change the question and options; after, never."""
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    if vs.state != "draft":
        audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.edit_refused", entity="vote",
                     entity_id=vs.id, data={"fields": sorted(changes)})
        session.commit()
        raise Conflict("表决已经开始，名单和表决事项已锁定，不能修改")
    question = changes.get("question", vs.question)
    options = [o.strip() for o in changes.get("options") or vs.options]
    opens_at, closes_at = changes.get("opens_at") or vs.opens_at, changes.get("closes_at") or vs.closes_at
    _errors(V.check_definition(question, options, opens_at, closes_at, vs.secret, vs.allow_change))
    vs.question, vs.options, vs.opens_at, vs.closes_at = question.strip(), options, opens_at, closes_at
    session.add(vs)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.edit", entity="vote",
                 entity_id=vs.id, data={"question": vs.question, "options": options})
    session.commit()
    return vs


def open_session(session: Session, actor: Actor | None, sid: int) -> VoteSession:
    """Freeze the electorate (eligible on the opening day) and the question; publish the fingerprint."""
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    now = utcnow()
    if vs.state != "draft":
        raise Conflict("这次表决已经开始过了")
    if now >= vs.closes_at:
        raise Conflict("结束时间已过，请先修改时间")
    council = session.get(Council, vs.council_id)
    moved = session.execute(update(VoteSession).where(VoteSession.id == vs.id, VoteSession.state == "draft")
                            .values(state="open", opened_at=now))
    if moved.rowcount != 1:
        session.rollback()
        raise Conflict("这次表决已经开始过了")
    eligible = _eligible(council, clock.local_today()).subquery()
    session.execute(insert(Elector).from_select(
        ["vote_session_id", "user_id", "household_id"],
        select(literal(vs.id), eligible.c.user_id, eligible.c.household_id)))
    ids = list(session.execute(select(Elector.user_id).where(Elector.vote_session_id == vs.id)).scalars())
    households = session.execute(select(func.count(distinct(Elector.household_id))).where(
        Elector.vote_session_id == vs.id)).scalar_one()
    print_ = V.fingerprint(ids, vs.question, vs.options)
    session.execute(update(VoteSession).where(VoteSession.id == vs.id).values(
        fingerprint=print_, electorate_size=len(ids), households_total=households))
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.open", entity="vote",
                 entity_id=vs.id, data={"fingerprint": print_, "electorate": len(ids), "households": households})
    session.commit()
    session.refresh(vs)
    return vs


def close_session(session: Session, actor: Actor | None, sid: int) -> VoteSession:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    if vs.state != "open":
        raise Conflict("只有进行中的表决才能结束")
    tally = session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()
    if tally is not None and tally.confirmed_at is None:
        raise Conflict("纸质计票还没有经第二名村委会成员确认")
    _close(session, vs, actor.id)
    session.commit()
    session.refresh(vs)
    return vs


def _close(session: Session, vs: VoteSession, actor_id: int | None, automatic: bool = False) -> None:
    now = utcnow()
    # Taking the row's exclusive lock first: casts in flight finish before the tally is read.
    moved = session.execute(update(VoteSession).where(VoteSession.id == vs.id, VoteSession.state == "open")
                            .values(state="closed", closed_at=min(now, vs.closes_at) if automatic else now))
    if moved.rowcount != 1:
        session.rollback()
        session.refresh(vs)
        return
    if vs.secret:
        _reshuffle_box(session, vs)
    council = session.get(Council, vs.council_id)
    rule = R.with_special(council_rule(council), vs.special_rule)
    result = V.result(rule, _tally(session, vs))
    result["duplicates"] = [name for _, name in duplicates(session, vs)]
    session.execute(update(VoteSession).where(VoteSession.id == vs.id).values(result=result))
    audit.record(session, village_id=vs.village_id, actor_id=actor_id, action="vote.close", entity="vote",
                 entity_id=vs.id, data={"automatic": automatic, "passed": result["passed"],
                                        "counts": [c["count"] for c in result["counts"]],
                                        "present": result["quorum"]["present"]})
    session.refresh(vs)
    for hook in AFTER_CLOSE:  # the 决议公开 is drafted with the result (services/flows.py)
        hook(session, vs)


def _reshuffle_box(session: Session, vs: VoteSession) -> None:
    """Rewrite a secret vote's ballot box at close, in random order under new random ids.

    Each ballot was written in the same transaction as its register row, and PostgreSQL stamps both
    with that transaction's id and puts them near each other on disk. Rewritten here, every box row
    carries the closing transaction's id and a random position, so after close (and the next vacuum
    of the old row versions) the box can no longer be paired with the register through the database.
    """
    rows = [{"vote_session_id": vs.id, "choice": c, "receipt": r} for r, c in session.execute(
        select(BallotBox.receipt, BallotBox.choice).where(BallotBox.vote_session_id == vs.id))]
    if not rows:
        return
    secrets.SystemRandom().shuffle(rows)
    session.execute(BallotBox.__table__.delete().where(BallotBox.vote_session_id == vs.id))
    for start in range(0, len(rows), 10_000):
        chunk = rows[start:start + 10_000]
        for row in chunk:
            row["id"] = V.new_box_id()
        session.execute(insert(BallotBox), chunk)


def _confirmed_paper(session: Session, vs: VoteSession) -> PaperTally | None:
    return session.execute(select(PaperTally).where(
        PaperTally.vote_session_id == vs.id, PaperTally.confirmed_at.is_not(None))).scalar_one_or_none()


def _online_voters(vs: VoteSession):
    table = BallotRegister if vs.secret else Ballot
    return select(table.voter_id.label("user_id")).where(table.vote_session_id == vs.id)


def _tally(session: Session, vs: VoteSession) -> V.Tally:
    """Counts, presence and households present, all in SQL."""
    box = BallotBox if vs.secret else Ballot
    counts = [0] * len(vs.options)
    for choice, n in session.execute(select(box.choice, func.count()).where(box.vote_session_id == vs.id)
                                     .group_by(box.choice)).all():
        counts[choice] += n
    paper = _confirmed_paper(session, vs)
    invalid = 0
    people = _online_voters(vs)
    if paper is not None:
        counts = [a + b for a, b in zip(counts, paper.counts, strict=True)]
        invalid = paper.invalid
        people = union(people, select(PaperAttendance.user_id.label("user_id"))
                       .where(PaperAttendance.vote_session_id == vs.id))
    present_q = people.subquery()
    present, households_present = session.execute(
        select(func.count(distinct(Elector.user_id)), func.count(distinct(Elector.household_id)))
        .where(Elector.vote_session_id == vs.id, Elector.user_id.in_(select(present_q.c.user_id)))
    ).one()
    return V.Tally(options=list(vs.options), counts=counts, invalid=invalid, members=vs.electorate_size,
                   households=vs.households_total, present=present, households_present=households_present)


def duplicates(session: Session, vs: VoteSession) -> list[tuple[int, str]]:
    """People who signed in at the meeting and also voted online: counted once, listed for the monitor."""
    online = _online_voters(vs).subquery()
    return [(r[0], r[1]) for r in session.execute(
        select(User.id, User.name).join(PaperAttendance, PaperAttendance.user_id == User.id)
        .where(PaperAttendance.vote_session_id == vs.id, User.id.in_(select(online.c.user_id)))
        .order_by(User.name)
    ).all()]


def turnout(session: Session, vs: VoteSession) -> int:
    return session.execute(select(func.count()).select_from(_online_voters(vs).subquery())).scalar_one()


# --- ballots --------------------------------------------------------------------------------

@dataclass
class Cast:
    receipt: str
    changed: bool = False


def cast(session: Session, actor: Actor | None, sid: int, choice: int, on_behalf_of: int | None = None) -> Cast:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require_login(actor)
    if not actor.is_member(village.id):
        raise Forbidden("只有本村村民可以投票")
    now = utcnow()
    if vs.state == "draft" or now < vs.opens_at:
        raise Conflict("表决还没有开始")
    if vs.state != "open" or now >= vs.closes_at:
        raise Conflict("表决已经结束")
    if not 0 <= choice < len(vs.options):
        raise Invalid("请选择一个选项", field="choice")
    voter = on_behalf_of or actor.id
    if on_behalf_of and on_behalf_of != actor.id:
        authorised = session.execute(select(Proxy.id).where(
            Proxy.vote_session_id == vs.id, Proxy.voter_id == voter, Proxy.proxy_id == actor.id)).first()
        if authorised is None:
            raise Forbidden("你没有这位村民的书面委托")
    elector = session.execute(select(Elector.user_id).where(
        Elector.vote_session_id == vs.id, Elector.user_id == voter)).first()
    if elector is None:
        raise Forbidden("不在本次表决的名单中（名单在表决开始时确定）")
    at_meeting = session.execute(select(PaperAttendance.user_id).where(
        PaperAttendance.vote_session_id == vs.id, PaperAttendance.user_id == voter)).first()
    if at_meeting is not None:
        raise Conflict("已在现场会议签到投票，以现场选票为准")
    receipt = V.new_receipt()
    changed = False
    if vs.secret:
        session.add(BallotRegister(vote_session_id=vs.id, voter_id=voter, cast_by=actor.id))
        session.add(BallotBox(id=V.new_box_id(), vote_session_id=vs.id, choice=choice, receipt=receipt))
        try:
            session.flush()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("已经投过票了，无记名投票不能改票") from exc
    else:
        existing = session.execute(select(Ballot).where(Ballot.vote_session_id == vs.id, Ballot.voter_id == voter)
                                   ).scalar_one_or_none()
        if existing is not None:
            if not vs.allow_change:
                raise Conflict("已经投过票了，这次表决不能改票")
            session.execute(update(Ballot).where(Ballot.id == existing.id).values(
                choice=choice, cast_by=actor.id, changed_at=now))
            receipt, changed = existing.receipt, True
        else:
            session.add(Ballot(vote_session_id=vs.id, voter_id=voter, cast_by=actor.id, choice=choice,
                               receipt=receipt, cast_at=now))
            try:
                session.flush()
            except IntegrityError as exc:
                session.rollback()
                if vs.allow_change:
                    return cast(session, actor, sid, choice, on_behalf_of)
                raise Conflict("已经投过票了，这次表决不能改票") from exc
    # Re-read the state under the row's lock after writing: a close in flight waits for us, or we see it.
    state, closes_at = session.execute(
        select(VoteSession.state, VoteSession.closes_at).where(VoteSession.id == vs.id)
        .with_for_update(key_share=True)
    ).one()
    if state != "open" or utcnow() >= closes_at:
        session.rollback()
        raise Conflict("表决已经结束")
    data = {"on_behalf": on_behalf_of is not None and on_behalf_of != actor.id}
    if not vs.secret:
        data.update(voter_id=voter, choice=choice, changed=changed)
    audit.record(session, village_id=village.id, actor_id=None if vs.secret else actor.id,
                 action="vote.ballot_changed" if changed else "vote.ballot", entity="vote", entity_id=vs.id,
                 data=data)
    session.commit()
    return Cast(receipt, changed)


def my_ballot(session: Session, actor: Actor | None, sid: int) -> dict:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require_login(actor)
    if vs.secret:
        row = session.execute(select(BallotRegister.cast_by).where(
            BallotRegister.vote_session_id == vs.id, BallotRegister.voter_id == actor.id)).first()
        return {"voted": row is not None, "secret": True, "choice": None, "receipt": None,
                "cast_by_proxy": bool(row and row[0] != actor.id)}
    ballot = session.execute(select(Ballot).where(Ballot.vote_session_id == vs.id, Ballot.voter_id == actor.id)
                             ).scalar_one_or_none()
    if ballot is None:
        return {"voted": False, "secret": False, "choice": None, "receipt": None, "cast_by_proxy": False}
    return {"voted": True, "secret": False, "choice": vs.options[ballot.choice], "receipt": ballot.receipt,
            "cast_by_proxy": ballot.cast_by != actor.id}


def ballot_box(session: Session, actor: Actor | None, sid: int) -> list[dict]:
    """After close: every ballot as (receipt, choice) so anyone can recount; roll-call ballots also
    name the voter for the village's members."""
    vs, village, insider = read_session(session, actor, sid)
    if vs.state != "closed":
        raise Conflict("表决结束后才公开票箱")
    if vs.secret:
        rows = session.execute(select(BallotBox.receipt, BallotBox.choice).where(
            BallotBox.vote_session_id == vs.id).order_by(BallotBox.receipt)).all()
        return [{"receipt": r, "choice": vs.options[c]} for r, c in rows]
    names = insider
    rows = session.execute(select(Ballot.receipt, Ballot.choice, User.name).join(User, User.id == Ballot.voter_id)
                           .where(Ballot.vote_session_id == vs.id).order_by(Ballot.receipt)).all()
    return [{"receipt": r, "choice": vs.options[c], **({"voter": n} if names else {})} for r, c, n in rows]


def find_receipt(session: Session, sid: int, receipt: str) -> str | None:
    """The choice recorded under a receipt, once the vote is closed (public)."""
    try:
        vs, _ = get_session_public(session, sid)
    except NotFound:
        return None
    code = (receipt or "").strip().upper().replace("-", "")
    box = BallotBox if vs.secret else Ballot
    choice = session.execute(select(box.choice).where(box.vote_session_id == vs.id, box.receipt == code)
                             ).scalar_one_or_none()
    return vs.options[choice] if choice is not None else None


# --- proxies and paper tallies ----------------------------------------------------------------

def record_proxy(session: Session, actor: Actor | None, sid: int, voter_id: int, proxy_id: int,
                 attachment_id: int | None = None) -> Proxy:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, COMMITTEE)
    if vs.state == "closed":
        raise Conflict("表决已经结束")
    if voter_id == proxy_id:
        raise Invalid("不能委托给自己", field="proxy_id")
    _check_paper_file(session, vs, attachment_id, "attachment_id")
    members = set(session.execute(select(Membership.user_id).where(
        Membership.village_id == village.id, Membership.user_id.in_([voter_id, proxy_id]))).scalars())
    if members != {voter_id, proxy_id}:
        raise Invalid("委托人和受托人都必须是本村村民", field="voter_id")
    cap = village_settings.settings_of(session, village).proxy_cap
    held = session.execute(select(func.count()).select_from(Proxy).where(
        Proxy.vote_session_id == vs.id, Proxy.proxy_id == proxy_id)).scalar_one()
    if held >= cap:
        raise Conflict(f"每人最多接受 {cap} 份委托")
    already = session.execute(_online_voters(vs).where(
        (BallotRegister.voter_id if vs.secret else Ballot.voter_id) == voter_id)).first()
    if already:
        raise Conflict("这位村民已经投过票了")
    proxy = Proxy(vote_session_id=vs.id, voter_id=voter_id, proxy_id=proxy_id, attachment_id=attachment_id,
                  recorded_by=actor.id)
    session.add(proxy)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("这位村民已经委托过了") from exc
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.proxy", entity="vote",
                 entity_id=vs.id, data={"voter_id": voter_id, "proxy_id": proxy_id, "attachment_id": attachment_id})
    session.commit()
    return proxy


def _check_paper_file(session: Session, vs: VoteSession, attachment_id: int | None, field: str) -> None:
    """A scan or photo must be one uploaded to this vote (attachments owner "vote")."""
    if attachment_id is None:
        return
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.owner_type != "vote" or attachment.owner_id != vs.id:
        raise Invalid("请先把扫描件或照片上传到本次表决", field=field)


def proxies(session: Session, vs: VoteSession) -> list[dict]:
    voter, proxy = User.__table__.alias("voter_user"), User.__table__.alias("proxy_user")  # not "proxy": a table
    rows = session.execute(
        select(Proxy.voter_id, voter.c.name, Proxy.proxy_id, proxy.c.name, Proxy.attachment_id)
        .join(voter, voter.c.id == Proxy.voter_id).join(proxy, proxy.c.id == Proxy.proxy_id)
        .where(Proxy.vote_session_id == vs.id).order_by(voter.c.name)
    ).all()
    return [{"voter_id": a, "voter": b, "proxy_id": c, "proxy": d, "attachment_id": e} for a, b, c, d, e in rows]


def record_paper(session: Session, actor: Actor | None, sid: int, *, present_user_ids: list[int],
                 counts: list[int], invalid: int, minutes: str | None = None,
                 photo_id: int | None = None) -> PaperTally:
    """The clerk enters the sign-in sheet and the paper count; it counts once a second member confirms."""
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, COMMITTEE)
    if vs.state != "open":
        raise Conflict("只有进行中的表决才能录入纸质计票")
    _check_paper_file(session, vs, photo_id, "photo_id")
    present = sorted(set(present_user_ids))
    electors = set(session.execute(select(Elector.user_id).where(
        Elector.vote_session_id == vs.id, Elector.user_id.in_(present))).scalars())
    outsiders = [u for u in present if u not in electors]
    if outsiders:
        raise Invalid(f"有 {len(outsiders)} 人不在本次表决的名单中", field="present_user_ids")
    # Someone who already voted online gets no paper ballot: paper ballots come only from the others.
    online = _online_voters(vs).subquery()
    voted_online = set(session.execute(select(online.c.user_id).where(online.c.user_id.in_(present))).scalars())
    problem = V.check_paper(counts, invalid, len(present) - len(voted_online), len(vs.options))
    if problem:
        if voted_online:
            problem += f"（签到 {len(present)} 人中有 {len(voted_online)} 人已在网上投票，不发纸质票）"
        raise Invalid(problem, field="counts")
    existing = session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()
    if existing is not None and existing.confirmed_at is not None:
        raise Conflict("纸质计票已经确认，不能再改")
    if existing is None:
        existing = PaperTally(vote_session_id=vs.id, recorded_by=actor.id)
    existing.counts, existing.invalid, existing.minutes, existing.photo_id = counts, invalid, minutes, photo_id
    existing.recorded_by, existing.recorded_at = actor.id, utcnow()
    session.add(existing)
    session.execute(PaperAttendance.__table__.delete().where(PaperAttendance.vote_session_id == vs.id))
    session.add_all([PaperAttendance(vote_session_id=vs.id, user_id=u) for u in present])
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.paper_tally", entity="vote",
                 entity_id=vs.id, data={"present": len(present), "counts": counts, "invalid": invalid})
    session.commit()
    return existing


def confirm_paper(session: Session, actor: Actor | None, sid: int) -> PaperTally:
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, COMMITTEE)
    tally = session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()
    if tally is None:
        raise Conflict("还没有录入纸质计票")
    if tally.confirmed_at is not None:
        raise Conflict("纸质计票已经确认过了")
    if tally.recorded_by == actor.id:
        raise Conflict("须由另一名村委会成员确认")
    if vs.state != "open":
        raise Conflict("表决已经结束")
    tally.confirmed_by, tally.confirmed_at = actor.id, utcnow()
    session.add(tally)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.paper_confirm", entity="vote",
                 entity_id=vs.id, data={"recorded_by": tally.recorded_by})
    session.commit()
    return tally


def paper_attendance(session: Session, vs: VoteSession) -> list[tuple[int, str]]:
    """The sign-in sheet of the in-person meeting."""
    return [(r[0], r[1]) for r in session.execute(
        select(User.id, User.name).join(PaperAttendance, PaperAttendance.user_id == User.id)
        .where(PaperAttendance.vote_session_id == vs.id).order_by(User.name)).all()]


def paper_tally(session: Session, vs: VoteSession) -> PaperTally | None:
    return session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()


def electorate(session: Session, vs: VoteSession) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in session.execute(
        select(User.id, User.name).join(Elector, Elector.user_id == User.id)
        .where(Elector.vote_session_id == vs.id).order_by(User.name)).all()]


# --- the proposal's vote stage ----------------------------------------------------------------

def stage_outcome(session: Session, proposal: Proposal, stage: str) -> str | None:
    """"passed" / "failed" once the proposal's vote for this stage is closed (closing it if due)."""
    vs = session.execute(select(VoteSession).where(
        VoteSession.proposal_id == proposal.id, VoteSession.stage == stage,
        or_(VoteSession.state == "closed", and_(VoteSession.state == "open", VoteSession.closes_at <= utcnow())))
        .order_by(VoteSession.id.desc()).limit(1)).scalar_one_or_none()
    if vs is None:
        return None
    if vs.state == "open":
        _close(session, vs, None, automatic=True)
    if not vs.result:
        return None
    return "passed" if vs.result.get("passed") else "failed"


# --- attachments: a vote owns its papers ------------------------------------------------------

def _vote_see(session: Session, actor: Actor | None, vote_session_id: int) -> int:
    """A vote's papers (written proxy authorizations, the photo of the paper count) carry personal
    data: the committee, the supervisory committee, the township's monitors and admins see them."""
    vs, proposal, village = get_session(session, actor, vote_session_id)
    require(actor, village, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, monitor=True)
    return village.id


def _vote_attach(session: Session, actor: Actor | None, vote_session_id: int) -> int:
    vs, proposal, village = get_session(session, actor, vote_session_id)
    require(actor, village, COMMITTEE, PARTY_COMMITTEE)
    if vs.state == "closed":
        raise Conflict("表决已经结束，不能再添加材料")
    return village.id


ATTACHMENT_OWNER = OwnerRules("表决", _vote_see, _vote_attach)
