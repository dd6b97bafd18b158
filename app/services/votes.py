"""Vote sessions (民主决事): a vote on a proposal's stage, from its draft through opening (the frozen
electorate and fingerprint) to closing (the tally and the published result) — and the hook that lets a
closed vote complete its proposal's vote stage. Councils, ballots, proxies and paper tallies have
modules of their own (councils, ballots, paper_tallies); the pages' views are in vote_views.

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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, distinct, func, insert, literal, select, text, union, update
from sqlmodel import Session

from app import clock
from app.clock import utcnow
from app.db import short_read
from app.domain import procedures as P
from app.domain import rulebook as R
from app.domain import votes as V
from app.domain.calendar import local_date_of
from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR
from app.models import (
    Ballot,
    BallotBox,
    BallotRegister,
    Council,
    Elector,
    PaperAttendance,
    PaperTally,
    Proposal,
    User,
    Village,
    VoteSession,
)
from app.services import access, audit, councils, places, proposals
from app.services.access import Actor, require
from app.services.attachments import OwnerRules
from app.services.errors import Conflict, Invalid, NotFound, invalid_fields

# Called in the closing transaction with the closed session (services/flows.py fills it).
AFTER_CLOSE: list[Callable[[Session, VoteSession], None]] = []

# Which councils may decide which vote stage.
STAGE_COUNCILS: dict[tuple[str, str], tuple[str, ...]] = {
    ("yishiyiyi", "vote"): (R.ASSEMBLY, R.REPRESENTATIVES),
    ("sizheng", "party_review"): (R.PARTY,),
    ("sizheng", "resolution"): (R.ASSEMBLY, R.REPRESENTATIVES),
}

# Who does what with a vote: the services require these, and `capabilities` shows the buttons by them.
RUNNERS = (COMMITTEE, PARTY_COMMITTEE)  # create, edit, open and close votes
CLERKS = (COMMITTEE,)  # record proxies and the paper tally, and confirm it
OVERSEERS = (COMMITTEE, PARTY_COMMITTEE, SUPERVISOR)  # and monitors: a vote's papers, people counted once


@dataclass(frozen=True)
class VoteCaps:
    """What a viewer may do with a vote (the services check again when they act)."""

    member: bool  # a member of the village: the ballot section (whether on the list, opening decides)
    run: bool  # create, edit, open and close votes
    clerk: bool  # record proxies and the paper tally, and confirm it
    oversee: bool  # see the proxies' papers and who was counted once though they voted twice
    see_proxies: bool  # who authorized whom: members, monitors and admins
    open: bool = False  # this vote, now: edit it and open it
    close: bool = False  # this vote, now: close it
    record: bool = False  # this vote, now: record proxies and the paper tally


def capabilities(actor: Actor, village: Village, vs: VoteSession | None = None) -> VoteCaps:
    run, clerk = actor.has(village.id, *RUNNERS), actor.has(village.id, *CLERKS)
    state = vs.state if vs is not None else None
    return VoteCaps(
        member=actor.is_member(village.id),
        run=run,
        clerk=clerk,
        oversee=actor.has(village.id, *OVERSEERS) or actor.monitors(village),
        see_proxies=actor.is_member(village.id) or actor.is_admin or actor.monitors(village),
        open=run and state == "draft",
        close=run and state == "open",
        record=clerk and state == "open",
    )


# --- finding a vote --------------------------------------------------------------------------

def get_session(session: Session, actor: Actor | None, sid: int) -> tuple[VoteSession, Proposal, Village]:
    """A vote as whoever may see its matter sees it. Reading never writes: a vote past its closing time
    stays open (refusing ballots) until the `close_votes` job closes it, within a minute."""
    vs = session.get(VoteSession, sid)
    if vs is None:
        raise NotFound("找不到这次表决")
    proposal, village = proposals.get(session, actor, vs.proposal_id)
    return vs, proposal, village


def get_session_public(session: Session, sid: int) -> tuple[VoteSession, Village]:
    """A closed vote for anyone, no login (result, ballot box, receipts). Votes not yet closed, a vote
    past its closing time included until the job closes it, do not exist on this path."""
    vs = session.get(VoteSession, sid)
    if vs is None:
        raise NotFound("找不到这次表决")
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
    if not access.insider(actor, village):
        try:
            vs, village = get_session_public(session, sid)
            return vs, village, False
        except NotFound:
            pass  # not closed: the member path answers (401 to the anonymous, 404 to other villages)
    vs, _, village = get_session(session, actor, sid)
    return vs, village, True


def decision_day(vs: VoteSession) -> date:
    """The day a vote is decided under: the day it opened (or is to open), by the Beijing calendar."""
    return local_date_of(vs.opened_at or vs.opens_at)


def rule_of(session: Session, vs: VoteSession) -> tuple[Council, R.CouncilRule]:
    """The council of a vote and the rule that decides it (the council's, or a stricter special rule),
    under the law in force on the vote's opening day."""
    council = session.get(Council, vs.council_id)
    day = decision_day(vs)
    return council, R.with_special(councils.council_rule(council, day), vs.special_rule, day)


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


def find(session: Session, actor: Actor | None, slug: str, sid: int) -> tuple[VoteSession, Proposal, Village]:
    """A vote found under its own village only (404 under any other)."""
    vs, proposal, village = get_session(session, actor, sid)
    if village.slug != slug:
        raise NotFound("找不到这次表决")
    return vs, proposal, village


async def find_soon(session: Session, actor: Actor | None, slug: str, sid: int
                    ) -> tuple[VoteSession, Proposal, Village]:
    """`find`, for a request on the event loop: read where it costs least (db.short_read)."""
    return await short_read(session.get_bind(), find, session, actor, slug, sid)


def sessions_for(session: Session, proposal: Proposal) -> list[VoteSession]:
    return list(session.execute(
        select(VoteSession).where(VoteSession.proposal_id == proposal.id).order_by(VoteSession.id)
    ).scalars())


# --- vote sessions ---------------------------------------------------------------------------

def create_session(
    session: Session, actor: Actor | None, proposal_id: int, *, council_id: int, question: str,
    options: list[str] | None, secret: bool, allow_change: bool, opens_at: datetime, closes_at: datetime,
    special_rule: str | None = None,
) -> VoteSession:
    proposal, village = proposals.get(session, actor, proposal_id)
    actor = require(actor, village, *RUNNERS)
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
    errors = V.check_definition(question, options, opens_at, closes_at, secret, allow_change, utcnow())
    if errors:
        raise invalid_fields(errors)
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
    actor = require(actor, village, *RUNNERS)
    if vs.state != "draft":
        audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.edit_refused", entity="vote",
                     entity_id=vs.id, data={"fields": sorted(changes)})
        session.commit()
        raise Conflict("表决已经开始，名单和表决事项已锁定，不能修改")
    question = changes.get("question", vs.question)
    options = [o.strip() for o in changes.get("options") or vs.options]
    opens_at, closes_at = changes.get("opens_at") or vs.opens_at, changes.get("closes_at") or vs.closes_at
    errors = V.check_definition(question, options, opens_at, closes_at, vs.secret, vs.allow_change, utcnow())
    if errors:
        raise invalid_fields(errors)
    vs.question, vs.options, vs.opens_at, vs.closes_at = question.strip(), options, opens_at, closes_at
    session.add(vs)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="vote.edit", entity="vote",
                 entity_id=vs.id, data={"question": vs.question, "options": options})
    session.commit()
    return vs


def open_session(session: Session, actor: Actor | None, sid: int) -> VoteSession:
    """Freeze the electorate (eligible on the opening day) and the question; publish the fingerprint."""
    vs, proposal, village = get_session(session, actor, sid)
    actor = require(actor, village, *RUNNERS)
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
    eligible = councils.eligible(council, clock.local_today()).subquery()
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
    actor = require(actor, village, *RUNNERS)
    if vs.state != "open":
        raise Conflict("只有进行中的表决才能结束")
    tally = session.execute(select(PaperTally).where(PaperTally.vote_session_id == vs.id)).scalar_one_or_none()
    if tally is not None and tally.confirmed_at is None:
        raise Conflict("纸质计票还没有经第二名村委会成员确认")
    _close(session, vs, actor.id)
    session.commit()
    session.refresh(vs)
    return vs


def close_due(session: Session) -> int:
    """Close every open vote past its closing time (the scheduled job; each in its own transaction).
    A paper tally not yet confirmed holds its vote open, as it holds a manual close."""
    due = session.execute(select(VoteSession.id).where(VoteSession.state == "open",
                                                       VoteSession.closes_at <= utcnow())
                          .order_by(VoteSession.closes_at)).scalars().all()
    closed = 0
    for sid in due:
        vs = session.get(VoteSession, sid)
        if vs is not None and _close_when_counted(session, vs):
            session.commit()
            closed += 1
    return closed


def _close_when_counted(session: Session, vs: VoteSession) -> bool:
    """Close an open vote past its time, unless a paper tally not yet confirmed holds it open (as it holds
    a manual close); whether it closed. No commit."""
    pending = session.execute(select(PaperTally.id).where(PaperTally.vote_session_id == vs.id,
                                                          PaperTally.confirmed_at.is_(None))).first()
    if vs.state != "open" or pending is not None:
        return False
    _close(session, vs, None, automatic=True)
    return True


def _close(session: Session, vs: VoteSession, actor_id: int | None, automatic: bool = False) -> None:
    now = utcnow()
    # Taking the row's exclusive lock first: casts in flight finish before the tally is read.
    moved = session.execute(update(VoteSession).where(VoteSession.id == vs.id, VoteSession.state == "open")
                            .values(state="closed", closed_at=min(now, vs.closes_at) if automatic else now))
    if moved.rowcount != 1:
        session.rollback()
        session.refresh(vs)
        return
    online = box_counts(session, vs)
    if vs.secret:
        from app.services.ballots import deal_box  # ballots reads votes through this module

        deal_box(session, vs, online)
    _, rule = rule_of(session, vs)  # the law in force on the opening day, not the closing day
    result = V.result(rule, _tally(session, vs, online))
    result["duplicates"] = [name for _, name in duplicates(session, vs)]
    session.execute(update(VoteSession).where(VoteSession.id == vs.id).values(result=result))
    audit.record(session, village_id=vs.village_id, actor_id=actor_id, action="vote.close", entity="vote",
                 entity_id=vs.id, data={"automatic": automatic, "passed": result["passed"],
                                        "counts": [c["count"] for c in result["counts"]],
                                        "present": result["quorum"]["present"]})
    session.refresh(vs)
    for hook in AFTER_CLOSE:  # the 决议公开 is drafted with the result (services/flows.py)
        hook(session, vs)


def _confirmed_paper(session: Session, vs: VoteSession) -> PaperTally | None:
    return session.execute(select(PaperTally).where(
        PaperTally.vote_session_id == vs.id, PaperTally.confirmed_at.is_not(None))).scalar_one_or_none()


def online_voters(vs: VoteSession):
    """SELECT user_id of those who voted online (who, never what)."""
    table = BallotRegister if vs.secret else Ballot
    return select(table.voter_id.label("user_id")).where(table.vote_session_id == vs.id)


def box_counts(session: Session, vs: VoteSession) -> list[int]:
    """The online ballots per option, counted in SQL (an index holds them in order)."""
    box = BallotBox if vs.secret else Ballot
    counts = [0] * len(vs.options)
    for choice, n in session.execute(select(box.choice, func.count()).where(box.vote_session_id == vs.id)
                                     .group_by(box.choice)).all():
        counts[choice] += n
    return counts


# PostgreSQL, for the presence count of a large vote only (the settings end with the statement): the
# merge join (no hash table of a million voters spilled to disk), the distinct households sorted in
# memory (a million ids), and no JIT compilation (50–150 ms for a query that runs once).
_PRESENCE_SETTINGS = ("enable_hashjoin = off", "work_mem = '64MB'", "jit = off")


def _tally(session: Session, vs: VoteSession, online: list[int] | None = None) -> V.Tally:
    """Counts, presence and households present, all in SQL: who voted online, joined on the frozen
    electorate by its primary key (on PostgreSQL as a merge join: both sides come in key order from
    their primary keys, no hash table of a million rows), with the confirmed paper count and its
    sign-in sheet when there is one."""
    counts = online if online is not None else box_counts(session, vs)
    paper = _confirmed_paper(session, vs)
    invalid = 0
    voters = BallotRegister if vs.secret else Ballot
    if paper is None:
        present_q = (select(func.count(), func.count(distinct(Elector.household_id)))
                     .select_from(voters).join(Elector, and_(Elector.vote_session_id == voters.vote_session_id,
                                                             Elector.user_id == voters.voter_id))
                     .where(voters.vote_session_id == vs.id))
    else:
        counts = [a + b for a, b in zip(counts, paper.counts, strict=True)]
        invalid = paper.invalid
        people = union(online_voters(vs), select(PaperAttendance.user_id.label("user_id"))
                       .where(PaperAttendance.vote_session_id == vs.id)).subquery()
        present_q = (select(func.count(), func.count(distinct(Elector.household_id)))
                     .where(Elector.vote_session_id == vs.id, Elector.user_id.in_(select(people.c.user_id))))
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        for setting in _PRESENCE_SETTINGS:
            session.execute(text(f"SET LOCAL {setting}"))
    present, households_present = session.execute(present_q).one()
    if postgres:
        for setting in _PRESENCE_SETTINGS:
            session.execute(text(f"SET LOCAL {setting.split()[0]} TO DEFAULT"))
    return V.Tally(options=list(vs.options), counts=counts, invalid=invalid, members=vs.electorate_size,
                   households=vs.households_total, present=present, households_present=households_present)


def duplicates(session: Session, vs: VoteSession) -> list[tuple[int, str]]:
    """People who signed in at the meeting and also voted online: counted once, listed for the monitor.
    Read from the sign-in sheet (a few rows), each looked up among the online voters by key."""
    voters = BallotRegister if vs.secret else Ballot
    return [(r[0], r[1]) for r in session.execute(
        select(User.id, User.name).join(PaperAttendance, PaperAttendance.user_id == User.id)
        .join(voters, and_(voters.vote_session_id == PaperAttendance.vote_session_id,
                           voters.voter_id == PaperAttendance.user_id))
        .where(PaperAttendance.vote_session_id == vs.id)
        .order_by(User.name)
    ).all()]


# --- the frozen electorate ---------------------------------------------------------------------

def electorate(session: Session, vs: VoteSession) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in session.execute(
        select(User.id, User.name).join(Elector, Elector.user_id == User.id)
        .where(Elector.vote_session_id == vs.id).order_by(User.name)).all()]


def electorate_of(session: Session, actor: Actor | None, sid: int) -> list[tuple[int, str]]:
    """The electorate frozen at opening (its ids and the question make the fingerprint)."""
    vs, _, _ = get_session(session, actor, sid)
    return electorate(session, vs)


# --- the proposal's vote stage ----------------------------------------------------------------

# The result of a matter's latest closed vote of a stage: built once (every matter's page asks it).
_STAGE_RESULT = (select(VoteSession.result).where(
    VoteSession.proposal_id == bindparam("pid"), VoteSession.stage == bindparam("stage"),
    VoteSession.state == "closed").order_by(VoteSession.id.desc()).limit(1))


def stage_outcome(session: Session, proposal: Proposal, stage: str) -> str | None:
    """"passed" / "failed" once the proposal's vote for this stage is closed (reads only: a vote past
    its closing time counts once it is closed, by the job or by `settle_stage` before a move)."""
    result = session.execute(_STAGE_RESULT, {"pid": proposal.id, "stage": stage}).scalar()
    if not result:
        return None
    return "passed" if result.get("passed") else "failed"


def settle_stage(session: Session, proposal: Proposal, stage: str) -> None:
    """Before a matter moves (a POST): close its vote of this stage if it is past its closing time, as
    the `close_votes` job would a minute later (a paper count not yet confirmed holds it open)."""
    for vs in session.execute(select(VoteSession).where(
            VoteSession.proposal_id == proposal.id, VoteSession.stage == stage, VoteSession.state == "open",
            VoteSession.closes_at <= utcnow())).scalars().all():
        _close_when_counted(session, vs)


# --- attachments: a vote owns its papers ------------------------------------------------------

def _vote_see(session: Session, actor: Actor | None, vote_session_id: int) -> int:
    """A vote's papers (written proxy authorizations, the photo of the paper count) carry personal
    data: the committee, the supervisory committee, the township's monitors and admins see them."""
    vs, proposal, village = get_session(session, actor, vote_session_id)
    require(actor, village, *OVERSEERS, monitor=True)
    return village.id


def _vote_attach(session: Session, actor: Actor | None, vote_session_id: int) -> int:
    vs, proposal, village = get_session(session, actor, vote_session_id)
    require(actor, village, *RUNNERS)
    if vs.state == "closed":
        raise Conflict("表决已经结束，不能再添加材料")
    return village.id


ATTACHMENT_OWNER = OwnerRules("表决", _vote_see, _vote_attach)
