"""Ballots: casting one (in person or for a principal whose written proxy the caller holds), the
voter's own ballot, turnout while open, and after close the public ballot box and receipt lookup.

How one ballot per voter, ballots racing the close and a secret ballot's secrecy are kept: see the
docstring of services/votes.py.

Receipt-freeness: after close the receipts (sorted) and the choices (in the box's random order) are
published as two separate lists, and a receipt look-up answers only whether the receipt is in the box.
Nothing here pairs a receipt with a choice, so a receipt proves that one's ballot was counted, never
what it said (a voter cannot sell or be forced to show their vote). Only the answer to the cast itself
names the choice just made.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.batches import batches, insert_rows, read_soon
from app.clock import utcnow
from app.db import OneRow, open_session, short_read
from app.domain import votes as V
from app.models import (
    Ballot,
    BallotBox,
    BallotRegister,
    Elector,
    PaperAttendance,
    Proposal,
    Proxy,
    User,
    VoteSession,
)
from app.services import audit
from app.services.access import Actor, require_login
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from app.services.pagination import Page, paginate
from app.services.votes import box_counts, get_session, get_session_public, online_voters, read_session


@dataclass
class Cast:
    receipt: str
    changed: bool = False
    principal: str | None = None  # the name of the villager voted for, when cast for someone else
    choice: int = 0  # the option just chosen: shown once, on the confirmation, never again
    choice_label: str = ""


def choice_index(options: list[str], choice: int | str) -> int:
    """An option named by its index (0 = the first) or by its label ("反对"); 422 otherwise."""
    if isinstance(choice, bool):
        raise Invalid("请选择一个选项", field="choice")
    if isinstance(choice, int):
        if 0 <= choice < len(options):
            return choice
        raise Invalid("请选择一个选项", field="choice")
    label = choice.strip()
    if label in options:
        return options.index(label)
    raise Invalid("没有这个选项，请按选项的序号或原文选择", field="choice")


# The facts a cast is decided on, in one statement: the vote, its matter's visibility, and whether the
# voter is on the frozen list, signed in at the meeting, or has given the caller a written proxy (and
# then the voter's name, for the answer).
_FACTS = OneRow(
    select(VoteSession.village_id, VoteSession.state, VoteSession.opens_at, VoteSession.closes_at,
           VoteSession.options, VoteSession.secret, VoteSession.allow_change, Proposal.submitted_at,
           Proposal.author_id,
           select(Elector.user_id).where(Elector.vote_session_id == bindparam("sid"),
                                         Elector.user_id == bindparam("voter")).exists().label("elector"),
           select(PaperAttendance.user_id).where(PaperAttendance.vote_session_id == bindparam("sid"),
                                                 PaperAttendance.user_id == bindparam("voter"))
           .exists().label("at_meeting"),
           select(Proxy.id).where(Proxy.vote_session_id == bindparam("sid"), Proxy.voter_id == bindparam("voter"),
                                  Proxy.proxy_id == bindparam("actor")).exists().label("authorised"),
           select(User.name).where(User.id == bindparam("voter")).scalar_subquery().label("voter_name"))
    .join(Proposal, Proposal.id == VoteSession.proposal_id)
    .where(VoteSession.id == bindparam("sid"))
)
# After writing: the state again, under the row's lock (see the docstring of services/votes.py).
_STATE_LOCKED = (select(VoteSession.state, VoteSession.closes_at).where(VoteSession.id == bindparam("sid"))
                 .with_for_update(key_share=True))
_ROLL_CALL = select(Ballot.id, Ballot.receipt).where(Ballot.vote_session_id == bindparam("sid"),
                                                     Ballot.voter_id == bindparam("voter"))
_BALLOT = insert(Ballot.__table__)


def cast(session: Session, actor: Actor | None, sid: int, choice: int | str,
         on_behalf_of: int | None = None) -> Cast:
    """One ballot, in one transaction with its audit event. The hot path of a vote: one read of the
    facts, the ballot's rows, the state under lock, the audit event, the commit — SQL written directly,
    no objects loaded. A caller who is not a member of the vote's village, or a vote that is not there,
    answers through `get_session` as every other use of a vote does (404, 401), then 403. (`cast_soon`
    is the same for a request on the event loop, its secret ballot written together with others.)"""
    ready = _checked(session.get_bind(), actor, sid, choice, on_behalf_of, session.connection())
    if isinstance(ready, _Secret):
        refused = _write_batch(session, [ready])[0]
        if refused is not None:
            raise refused
        return _answer(ready.receipt, False, ready)
    return _cast_roll_call(session, ready)


async def cast_soon(engine: Engine, actor: Actor | None, sid: int, choice: int | str,
                    on_behalf_of: int | None = None) -> Cast:
    """`cast`, for a request on the event loop. The checks are one read (on the loop, or by the reader
    thread: batches.read_soon); a refusal that needs the vote's own answer reads it where db.short_read
    decides. A secret ballot is then queued for the database's ballot writer
    (app/batches.py), which writes the ballots queued since its last commit in one transaction
    (`_write_batch`), and this answers once it has committed. A roll-call ballot, which may change an
    earlier one, is written alone in the thread pool. It takes the engine, not a request's session: a
    ballot that passes its checks needs none until a roll-call ballot's write, and a refusal opens its
    own (a request's session cost a tenth of a secret ballot in FastAPI's handling of it)."""
    facts = await read_soon(engine, _FACTS, _facts_params(actor, sid, on_behalf_of))
    if _not_for(actor, facts):  # the refusal reads the vote itself, for its own answer
        ready = await short_read(engine, _ready, engine, actor, sid, choice, on_behalf_of, facts)
    else:
        ready = _ready(engine, actor, sid, choice, on_behalf_of, facts)
    if not isinstance(ready, _Secret):
        return await anyio.to_thread.run_sync(_cast_roll_call_alone, engine, ready)
    await batches(engine, "secret ballot", _write_queued).submit(ready)
    return _answer(ready.receipt, False, ready)


@dataclass
class _Ready:
    """A ballot checked and ready to write."""

    sid: int
    village_id: int
    voter: int
    cast_by: int
    choice: int
    options: list[str]
    receipt: str
    principal: str | None  # the voter's name when cast for them by their written proxy
    allow_change: bool = False

    @property
    def on_behalf(self) -> bool:
        return self.principal is not None


@dataclass
class _Secret(_Ready):
    """A secret ballot: who (the register) and what (the box), sharing nothing but the transaction."""


def _checked(engine: Engine, actor: Actor | None, sid: int, choice: int | str,
             on_behalf_of: int | None, conn: Connection | None = None) -> _Ready:
    """Every check of a ballot, in one read of the facts (on `conn`, else on a connection of its own);
    raises the refusal."""
    facts = _FACTS.first(conn or engine, _facts_params(actor, sid, on_behalf_of))
    return _ready(engine, actor, sid, choice, on_behalf_of, facts)


def _facts_params(actor: Actor | None, sid: int, on_behalf_of: int | None) -> dict[str, int]:
    voter = on_behalf_of or (actor.id if actor is not None else 0)
    return {"sid": sid, "voter": voter, "actor": actor.id if actor else 0}


def _not_for(actor: Actor | None, facts) -> bool:
    """Whether the vote is not there for this caller: the refusal is then the vote's own answer."""
    return (facts is None or actor is None or not actor.is_member(facts.village_id)
            or (facts.submitted_at is None and facts.author_id != actor.id))


def _ready(engine: Engine, actor: Actor | None, sid: int, choice: int | str, on_behalf_of: int | None,
           facts) -> _Ready:
    """The ballot checked against the facts read (`_FACTS`), or the refusal raised. Only a vote not there
    for this caller reads again (`_not_for`)."""
    if _not_for(actor, facts):
        with open_session(engine) as session:
            get_session(session, actor, sid)  # the vote's own answers: 404 (not there, or not for you), 401
        actor = require_login(actor)
        if not actor.is_member(facts.village_id):
            raise Forbidden("只有本村村民可以投票")
    now = utcnow()
    if facts.state == "draft" or now < facts.opens_at:
        raise Conflict("表决还没有开始")
    if facts.state != "open" or now >= facts.closes_at:
        raise Conflict("表决已经结束")
    options = list(facts.options)
    choice = choice_index(options, choice)
    by_proxy = bool(on_behalf_of) and on_behalf_of != actor.id
    if by_proxy and not facts.authorised:
        raise Forbidden("你没有这位村民的书面委托")
    if not facts.elector:
        raise Forbidden("不在本次表决的名单中（名单在表决开始时确定）")
    if facts.at_meeting:
        raise Conflict("已在现场会议签到投票，以现场选票为准")
    kind = _Secret if facts.secret else _Ready
    voter = on_behalf_of or actor.id
    return kind(sid, facts.village_id, voter, actor.id, choice, options, V.new_receipt(),
                (facts.voter_name or "") if by_proxy else None, facts.allow_change)


def _cast_roll_call_alone(engine: Engine, ready: _Ready) -> Cast:
    """`_cast_roll_call` in a session of its own (`cast_soon`'s, which has none)."""
    with open_session(engine) as session:
        return _cast_roll_call(session, ready)


def _cast_roll_call(session: Session, ready: _Ready) -> Cast:
    """A roll-call ballot: written, or the voter's earlier one changed when the vote allows it."""
    conn = session.connection()
    existing = conn.execute(_ROLL_CALL, {"sid": ready.sid, "voter": ready.voter}).first()
    receipt, changed = ready.receipt, False
    if existing is not None:
        if not ready.allow_change:
            raise Conflict("已经投过票了，这次表决不能改票")
        conn.execute(update(Ballot).where(Ballot.id == existing.id).values(
            choice=ready.choice, cast_by=ready.cast_by, changed_at=utcnow()))
        receipt, changed = existing.receipt, True
    else:
        try:
            conn.execute(_BALLOT, {"vote_session_id": ready.sid, "voter_id": ready.voter, "cast_by": ready.cast_by,
                                   "choice": ready.choice, "receipt": receipt, "cast_at": utcnow(),
                                   "changed_at": None})
        except IntegrityError as exc:
            session.rollback()
            if ready.allow_change:  # a ballot of the same voter came first: change it
                return _cast_roll_call(session, ready)
            raise Conflict("已经投过票了，这次表决不能改票") from exc
    if not _still_open(conn, ready.sid):
        session.rollback()
        raise Conflict("表决已经结束")
    audit.record(session, village_id=ready.village_id, actor_id=ready.cast_by,
                 action="vote.ballot_changed" if changed else "vote.ballot", entity="vote", entity_id=ready.sid,
                 data={"on_behalf": ready.on_behalf, "voter_id": ready.voter, "choice": ready.choice,
                       "changed": changed})
    session.commit()
    return _answer(receipt, changed, ready)


def _still_open(conn: Connection, sid: int) -> bool:
    """The vote's state re-read under its row's lock after writing: a close in flight waits for us, or we
    see it (see services/votes.py)."""
    state, closes_at = conn.execute(_STATE_LOCKED, {"sid": sid}).one()
    return state == "open" and utcnow() < closes_at


def _answer(receipt: str, changed: bool, ready: _Ready) -> Cast:
    return Cast(receipt, changed, ready.principal, ready.choice, ready.options[ready.choice])


class _Closed(Exception):
    """A vote of the batch closed before its ballots were written."""


def _write_secret(session: Session, batch: list[_Secret]) -> None:
    """Secret ballots in one transaction: the register's rows, the box's rows in an order of their own
    (shuffled), each vote's state re-read under its lock (in id order, as every writer takes them), one
    audit event per ballot (the village's head bumped once), the commit. Raises IntegrityError (a voter
    who has voted already) or _Closed (a vote closed meanwhile), with nothing written."""
    conn = session.connection()
    boxes = [{"id": V.new_box_id(), "vote_session_id": b.sid, "choice": b.choice, "receipt": b.receipt}
             for b in batch]
    secrets.SystemRandom().shuffle(boxes)  # no order shared with the register's rows
    try:
        insert_rows(conn, BallotRegister.__table__,
                    [{"vote_session_id": b.sid, "voter_id": b.voter, "cast_by": b.cast_by} for b in batch])
        insert_rows(conn, BallotBox.__table__, boxes)
        if not all(_still_open(conn, sid) for sid in sorted({b.sid for b in batch})):
            raise _Closed
        for village_id in sorted({b.village_id for b in batch}):
            audit.record_many(session, village_id, [
                audit.Entry(None, "vote.ballot", "vote", b.sid, {"on_behalf": b.on_behalf})
                for b in batch if b.village_id == village_id])
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _write_batch(session: Session, batch: list[_Secret]) -> list[Conflict | None]:
    """Secret ballots, as the ballot writer takes them (app/batches.py) or one alone: all in one
    transaction; when one of them cannot be written with the rest, each alone, for its own answer. One
    outcome per ballot: None when written, else its refusal (409)."""
    try:
        _write_secret(session, batch)
        return [None] * len(batch)
    except (IntegrityError, _Closed) as exc:
        if len(batch) == 1:
            return [_refusal(exc)]
    return [_write_batch(session, [ballot])[0] for ballot in batch]


def _write_queued(engine: Engine, batch: list[_Secret]) -> list[Conflict | None]:
    """`_write_batch` in a session of its own, as the ballot writer (app/batches.py) takes a batch."""
    with open_session(engine) as session:
        return _write_batch(session, batch)


def _refusal(exc: Exception) -> Conflict:
    """Why a secret ballot written alone could not be: 409, as the voter has voted already or the vote
    has closed."""
    return Conflict("表决已经结束" if isinstance(exc, _Closed) else "已经投过票了，无记名投票不能改票")


# --- at close: the choices dealt again -----------------------------------------------------------

def deal_box(session: Session, vs: VoteSession, counts: list[int]) -> None:
    """At close (votes._close), deal a secret vote's choices out again among its box rows at random.

    Each row keeps its random id and its receipt and gets a choice drawn without replacement from the
    box's own choices, so the count of each choice is unchanged and a row's choice no longer says
    anything of what its voter cast: a receipt proves inclusion only (receipt-freeness, above). On
    PostgreSQL every row is rewritten by the closing transaction, so none still carries the id of the
    transaction that also wrote its voter's register row (after the next vacuum the old row versions
    are gone). A row's place on disk may still follow the order ballots came in, which could tie a
    voter to a receipt for whoever holds the database files — never to a choice.

    The deal is SQL: every row gets a secret random key; the keys at the ranks where one choice's
    share ends and the next begins are the cuts; a row's new choice is the bucket its key falls in.
    PostgreSQL keys a row by SHA-256 of a fresh 32-byte secret and its id, so one UPDATE (no join)
    rewrites the box, each row on its own page and no index touched (models/votes.py: no index holds
    `choice` there and pages are half empty; a million rows in about 2 s instead of 16). SQLite keeps a
    key from randomblob() (its ChaCha20 generator, seeded by the system) per row in a temporary table,
    ordered by key through an index so a cut is a walk, not a sort, and writes only the rows whose
    choice changes (it has no transaction ids to wash out).
    """
    total = sum(counts)
    if total == 0:
        return
    ends = list(itertools.accumulate(counts))[:-1]  # how many rows the first 1, 2, … choices take
    beyond = b"\xff" * 33  # above every key: where the choices after the last one cast begin
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        params = {"sid": vs.id, "salt": secrets.token_bytes(32)}
        key = "sha256(:salt || convert_to(id, 'UTF8'))"
        wanted = ", ".join(str(end + 1) for end in ends if end < total) or "0"
        cuts = dict(conn.execute(text(
            f"SELECT n, k FROM (SELECT k, row_number() OVER (ORDER BY k) AS n FROM (SELECT {key} AS k "
            f"FROM ballot_box WHERE vote_session_id = :sid) r) s WHERE n IN ({wanted})"), params).all())
        edges = [bytes(cuts.get(end + 1, beyond)) for end in ends]
        conn.execute(text(f"UPDATE ballot_box SET choice = width_bucket({key}, CAST(:cuts AS bytea[])) "
                          "WHERE vote_session_id = :sid"), {**params, "cuts": edges})
        return
    conn.execute(text("DROP TABLE IF EXISTS temp.box_deal"))
    conn.execute(text("CREATE TEMP TABLE box_deal (id TEXT PRIMARY KEY, k BLOB NOT NULL) WITHOUT ROWID"))
    conn.execute(text("INSERT INTO box_deal SELECT id, randomblob(16) FROM ballot_box WHERE vote_session_id = :sid"),
                 {"sid": vs.id})
    conn.execute(text("CREATE INDEX temp.box_deal_k ON box_deal (k)"))
    cut = text("SELECT k FROM box_deal ORDER BY k LIMIT 1 OFFSET :n")
    edges = {f"cut{i}": bytes(conn.execute(cut, {"n": end}).scalar() or beyond) for i, end in enumerate(ends)}
    buckets = " ".join(f"WHEN k < :cut{i} THEN {i}" for i in range(len(ends)))
    conn.execute(text(f"UPDATE ballot_box SET choice = d.choice FROM (SELECT id, CASE {buckets} ELSE {len(ends)} END "
                      "AS choice FROM box_deal) AS d WHERE ballot_box.id = d.id AND ballot_box.vote_session_id = :sid "
                      "AND ballot_box.choice <> d.choice"), {"sid": vs.id, **edges})
    conn.execute(text("DROP TABLE temp.box_deal"))


def my_ballot(session: Session, actor: Actor | None, sid: int) -> dict:
    """Whether the caller has voted (and, roll-call, their receipt): never what they chose."""
    vs, proposal, village = get_session(session, actor, sid)
    actor = require_login(actor)
    if vs.secret:
        row = session.execute(select(BallotRegister.cast_by).where(
            BallotRegister.vote_session_id == vs.id, BallotRegister.voter_id == actor.id)).first()
        return {"voted": row is not None, "secret": True, "receipt": None,
                "cast_by_proxy": bool(row and row[0] != actor.id)}
    ballot = session.execute(select(Ballot.receipt, Ballot.cast_by).where(
        Ballot.vote_session_id == vs.id, Ballot.voter_id == actor.id)).first()
    if ballot is None:
        return {"voted": False, "secret": False, "receipt": None, "cast_by_proxy": False}
    return {"voted": True, "secret": False, "receipt": ballot.receipt, "cast_by_proxy": ballot.cast_by != actor.id}


def _closed(session: Session, actor: Actor | None, sid: int) -> tuple[VoteSession, bool]:
    vs, village, insider = read_session(session, actor, sid)
    if vs.state != "closed":
        raise Conflict("表决结束后才公开票箱")
    return vs, insider


def ballot_box(session: Session, actor: Actor | None, sid: int, page: int = 1, per_page: int = 100) -> Page:
    """After close, the choices of the online ballots, without receipts, so anyone can recount: a
    secret vote's in the box's random order (rewritten at close); a roll-call vote's by choice, naming
    each voter for the village's members (roll-call ballots are public to them by nature). Items are
    dicts {choice, choice_label[, voter]}."""
    vs, insider = _closed(session, actor, sid)
    if vs.secret:
        stmt = select(BallotBox.choice).where(BallotBox.vote_session_id == vs.id).order_by(BallotBox.id)
        result = paginate(session, stmt, page, per_page)
        result.items = [{"choice": c, "choice_label": vs.options[c]} for c in result.items]
        return result
    stmt = (select(Ballot.choice, User.name).join(User, User.id == Ballot.voter_id)
            .where(Ballot.vote_session_id == vs.id).order_by(Ballot.choice, User.name, Ballot.id))
    result = paginate(session, stmt, page, per_page, scalars=False)
    result.items = [{"choice": c, "choice_label": vs.options[c], **({"voter": n} if insider else {})}
                    for c, n in result.items]
    return result


def receipts(session: Session, actor: Actor | None, sid: int, page: int = 1, per_page: int = 100) -> Page:
    """After close, every online ballot's receipt, sorted, with nothing else: each voter finds theirs."""
    vs, _ = _closed(session, actor, sid)
    box = BallotBox if vs.secret else Ballot
    stmt = select(box.receipt).where(box.vote_session_id == vs.id).order_by(box.receipt)
    return paginate(session, stmt, page, per_page)


def online_counts(session: Session, vs: VoteSession) -> list[tuple[str, int]]:
    """The online ballots counted per option (for the page's recount beside the receipts)."""
    return list(zip(vs.options, box_counts(session, vs), strict=True))


def find_receipt(session: Session, sid: int, receipt: str, actor: Actor | None = None) -> bool:
    """Whether a receipt is in the box of a closed vote (public). Inclusion only: never the choice.
    To the public a vote not yet closed is not there (False); to those who see it (its village's
    members, the township's monitors) it is one whose box is not open yet (409), as for the box."""
    try:
        vs, _ = get_session_public(session, sid)
    except NotFound:
        if actor is not None:
            try:
                _, _, insider = read_session(session, actor, sid)
            except ServiceError:
                insider = False
            if insider:
                raise Conflict("表决结束后才能查回执") from None
        return False
    code = (receipt or "").strip().upper().replace("-", "")
    box = BallotBox if vs.secret else Ballot
    return session.execute(select(box.receipt).where(box.vote_session_id == vs.id, box.receipt == code)
                           ).first() is not None


def turnout(session: Session, vs: VoteSession) -> int:
    return session.execute(select(func.count()).select_from(online_voters(vs).subquery())).scalar_one()


def voted_among(session: Session, vs: VoteSession, user_ids: list[int]) -> set[int]:
    """Which of these people have a ballot (who, never what)."""
    if not user_ids:
        return set()
    table = BallotRegister if vs.secret else Ballot
    return set(session.execute(select(table.voter_id).where(table.vote_session_id == vs.id,
                                                            table.voter_id.in_(user_ids))).scalars())
