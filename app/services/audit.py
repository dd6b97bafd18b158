"""Writing and verifying the audit chain (DESIGN §2 "Audit").

`record` runs inside the caller's transaction: the event commits or rolls back with the change it
describes. The first statement bumps the chain's head row, which takes the lock: on PostgreSQL a
row lock on that village's head only (other villages write on), on SQLite the database write lock.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy import insert as insert_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.batches import insert_rows
from app.clock import utcnow
from app.domain.audit_chain import (
    ACTION_LABELS,
    ENTITY_LABELS,
    GENESIS,
    ChainRow,
    VerifyResult,
    action_label,
    canonical,
    commitment,
    link_hash,
    verify,
)
from app.domain.calendar import format_local
from app.domain.people import mask_name
from app.domain.roles import (
    ADMIN_LABEL,
    COMMITTEE,
    MONITOR_LABEL,
    SUPERVISOR,
    VILLAGE_ROLES,
    VILLAGER,
    role_labels,
)
from app.models import AuditEvent, AuditHead, AuditPrivate, MemberRole, Membership, TownshipMonitor, User, Village
from app.services.access import Actor, require
from app.services.errors import Invalid
from app.services.pagination import Page, clamp, paginate


def record(
    session: Session,
    *,
    village_id: int,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: Any = None,
    data: dict[str, Any] | None = None,
    private: dict[str, Any] | None = None,
) -> int:
    """Append one event to the village's chain (no commit) and return its id. `private` holds personal fields (a name,
    a household): the chain carries their salted commitments under data["private"], the values and
    salts go beside it (audit_private) for those who may see the member list."""
    session.flush()  # give new rows their ids before they are named in the payload
    conn = session.connection()
    seq, prev = _bump(conn, village_id, 1)
    salts = {key: secrets.token_hex(16) for key in (private or {})}
    if private:
        data = {**(data or {}), "private": {key: commitment(salts[key], value) for key, value in private.items()}}
    row = _link(village_id, seq, prev, utcnow(), Entry(actor_id, action, entity, entity_id, data))
    if conn.dialect.name == "postgresql":  # the head's new hash and the event in one round trip, under the lock
        event_id = conn.execute(_HEAD_AND_EVENT, row).scalar_one()
    else:
        conn.execute(_HEAD_HASH, {"village": village_id, "hash": row["hash"]})
        event_id = conn.execute(_EVENT, row).scalar_one()
    if private:
        conn.execute(insert_(AuditPrivate.__table__), [
            {"village_id": village_id, "seq": seq, "field": key, "salt": salts[key],
             "value": json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)}
            for key, value in private.items()])
    return event_id


@dataclass(frozen=True)
class Entry:
    """One event for `record_many`: what `record` takes, without personal fields."""

    actor_id: int | None
    action: str
    entity: str
    entity_id: Any = None
    data: dict[str, Any] | None = None


def record_many(session: Session, village_id: int, entries: list[Entry]) -> None:
    """Append several events to the village's chain (no commit), in the order given, each linked and
    hashed as `record` would one after another: the head bumped once for all of them, one statement for
    its new hash and one for the events."""
    conn = session.connection()
    last, prev = _bump(conn, village_id, len(entries))
    now = utcnow()
    rows = []
    for seq, entry in enumerate(entries, start=last - len(entries) + 1):
        rows.append(_link(village_id, seq, prev, now, entry))
        prev = rows[-1]["hash"]
    conn.execute(_HEAD_HASH, {"village": village_id, "hash": prev})
    insert_rows(conn, AuditEvent.__table__, rows)


def _bump(conn: Connection, village_id: int, n: int) -> tuple[int, str]:
    """Move the village's head n events on, which takes its lock (see the module's docstring): the last
    sequence number now taken, and the hash the first new event links to."""
    bumped = conn.execute(_BUMP, {"village": village_id, "n": n}).first()
    if bumped is None:  # the chain's first event: its head row first
        upsert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(upsert(AuditHead).values(village_id=village_id, seq=0, hash=GENESIS).on_conflict_do_nothing())
        bumped = conn.execute(_BUMP, {"village": village_id, "n": n}).one()
    return bumped[0], bumped[1]


def _link(village_id: int, seq: int, prev: str, now: datetime, entry: Entry) -> dict[str, Any]:
    """The event's row: its canonical payload, and its hash linked to `prev`."""
    entity_key = None if entry.entity_id is None else str(entry.entity_id)
    payload = canonical(
        {
            "village_id": village_id,
            "seq": seq,
            "actor_id": entry.actor_id,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entity_key,
            "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": entry.data or {},
        }
    )
    return {"village_id": village_id, "seq": seq, "actor_id": entry.actor_id, "action": entry.action,
            "entity": entry.entity, "entity_id": entity_key, "payload": payload, "prev_hash": prev,
            "hash": link_hash(prev, payload), "created_at": now}


# The head row: bumped (and so locked) first, its new sequence number and the previous hash returned in
# the same statement; then the new hash; then the event.
_BUMP = (update(AuditHead).where(AuditHead.village_id == bindparam("village"))
         .values(seq=AuditHead.seq + bindparam("n")).returning(AuditHead.seq, AuditHead.hash))
_HEAD_HASH = update(AuditHead).where(AuditHead.village_id == bindparam("village")).values(hash=bindparam("hash"))
_EVENT = insert_(AuditEvent.__table__).returning(AuditEvent.id)
_HEAD_AND_EVENT = text(
    "WITH new_head AS (UPDATE audit_head SET hash = :hash WHERE village_id = :village_id) "
    "INSERT INTO audit_event (village_id, seq, actor_id, action, entity, entity_id, payload, prev_hash, hash, "
    "created_at) VALUES (:village_id, :seq, :actor_id, :action, :entity, :entity_id, :payload, :prev_hash, :hash, "
    ":created_at) RETURNING id")


def head(session: Session, village_id: int) -> tuple[int, str]:
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.village_id == village_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def _rows(session: Session, village_id: int, after: int = 0) -> Iterator[ChainRow]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.village_id == village_id, AuditEvent.seq > after)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=1000)
    )
    for event in session.execute(stmt).scalars():
        yield ChainRow(
            seq=event.seq,
            village_id=event.village_id,
            actor_id=event.actor_id,
            action=event.action,
            entity=event.entity,
            entity_id=event.entity_id,
            payload=bytes(event.payload),
            prev_hash=event.prev_hash,
            hash=event.hash,
        )


def verify_chain(session: Session, village_id: int, resume: tuple[int, str] | None = None) -> VerifyResult:
    """Recompute every link; then the head row must name exactly the last event.

    A chain with events and no head row is broken (the head is what shows the tail was not cut:
    deleting the last events and the head together would otherwise pass), and so is a head ahead
    of the chain (events cut off the end) or behind it.

    `resume` (seq, hash) — where a passing full check reached — recomputes only the events after
    it; the event at seq must still carry that hash.
    """
    if resume is not None and resume[0] > 0:
        seq, digest = resume
        now = session.execute(select(AuditEvent.hash).where(AuditEvent.village_id == village_id,
                                                             AuditEvent.seq == seq)).scalar_one_or_none()
        if now != digest:
            return VerifyResult(False, 0, seq, digest, seq, f"第 {seq} 条事件在上次完整校验后被改动或删除",
                                resumed_from=seq)
        result = replace(verify(_rows(session, village_id, seq), seq, digest), resumed_from=seq)
    else:
        result = verify(_rows(session, village_id))
    if not result.ok:
        return result
    stored = session.get(AuditHead, village_id)
    last = result.head_seq
    if stored is None:
        if result.checked == 0:
            return result  # a chain never written to
        broken, reason = last + 1, f"链头记录缺失：无法确认第 {last} 条之后的事件没有被删除"
    elif (stored.seq, stored.hash) == (last, result.head_hash):
        return result
    elif stored.seq > last:
        broken, reason = last + 1, f"链尾缺失：记录的链头为第 {stored.seq} 条，实际只到第 {last} 条"
    elif stored.seq < last:
        broken, reason = stored.seq + 1, f"链头落后：记录的链头为第 {stored.seq} 条，实际已到第 {last} 条"
    else:
        broken, reason = last, f"链头的哈希与第 {last} 条事件不符"
    return VerifyResult(False, result.checked, last, result.head_hash, broken, reason, result.resumed_from)


def events(session: Session, village_id: int, *, after: int = 0, page: int = 1, per_page: int = 50,
           action: str | None = None, entity: str | None = None, entity_id: str | None = None) -> Page:
    """The chain's events after a sequence number, in order; of one action, one kind of object or one
    object (each filter has its index, with the sequence)."""
    page, per_page = clamp(page, per_page)
    where = [AuditEvent.village_id == village_id, AuditEvent.seq > after]
    if action:
        where.append(AuditEvent.action == action)
    if entity:
        where.append(AuditEvent.entity == entity)
    if entity_id:
        where.append(AuditEvent.entity_id == entity_id)
    total = session.execute(select(func.count()).select_from(AuditEvent).where(*where)).scalar_one()
    items = list(
        session.execute(
            select(AuditEvent)
            .where(*where)
            .order_by(AuditEvent.seq)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).scalars()
    )
    return Page(items, total, page, per_page)


# --- reading the chain, as its pages and the API show it ---------------------------------------

# Who reads the personal fields of events, as the member list (services/members.list_members).
PERSONAL_READERS = (COMMITTEE, SUPERVISOR)
# Events recorded before personal fields were kept beside the chain carry them in the payload itself.
PERSONAL_ACTIONS = ("member.create", "member.update")


@dataclass(frozen=True)
class EventView:
    """An event as one reader may see it: `private` holds the personal fields (value and salt) for
    readers of the member list, None for others; `withheld` is an older event whose payload itself
    names a person, not shown to others (its hash still links the chain)."""

    event: AuditEvent
    private: dict[str, dict[str, Any]] | None
    withheld: bool


def reads_personal(actor: Actor | None, village: Village) -> bool:
    return actor is not None and (actor.is_admin or actor.monitors(village) or actor.has(village.id, *PERSONAL_READERS))


def events_for(session: Session, actor: Actor | None, village: Village, *, after: int = 0, page: int = 1,
               per_page: int = 50, action: str | None = None, entity: str | None = None,
               entity_id: str | None = None) -> Page:
    """The village's events after a sequence number, for its members and the township's monitors,
    optionally of one action or one object (`entity` with `entity_id`: a matter's whole record);
    personal fields only for those who read the member list (two queries)."""
    require(actor, village, monitor=True)
    if action and action not in ACTION_LABELS:
        raise Invalid("没有这种操作", field="action")
    if entity and entity not in ENTITY_LABELS:
        raise Invalid("没有这类对象", field="entity")
    if entity_id and not entity:
        raise Invalid("按对象编号查，要同时说是哪类对象", field="entity")
    found = events(session, village.id, after=after, page=page, per_page=per_page, action=action, entity=entity,
                   entity_id=entity_id)
    personal = reads_personal(actor, village)
    kept: dict[int, dict[str, dict[str, Any]]] = {}
    if personal and found.items:
        for seq, name, value, salt in session.execute(
                select(AuditPrivate.seq, AuditPrivate.field, AuditPrivate.value, AuditPrivate.salt).where(
                    AuditPrivate.village_id == village.id, AuditPrivate.seq.in_([e.seq for e in found.items]))):
            kept.setdefault(seq, {})[name] = {"value": json.loads(value), "salt": salt}
    views = []
    for e in found.items:
        legacy = e.action in PERSONAL_ACTIONS and b'"private"' not in bytes(e.payload)
        views.append(EventView(e, kept.get(e.seq, {}) if personal else None, legacy and not personal))
    return Page(views, found.total, found.page, found.per_page)


@dataclass(frozen=True)
class EventRow:
    """One event as the audit page shows it: who (role and masked name), what, on which object."""

    event: AuditEvent
    who: str


@dataclass
class ChainPage:
    """The audit page: the verification result and one page of events, newest first."""

    result: VerifyResult
    events: list[EventRow]
    page: int
    pages: int


def _who(session: Session, village_id: int, events: list[AuditEvent]) -> dict[int, str]:
    """Each actor as "role name" with the name masked (two queries for the page)."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    if not ids:
        return {}
    users = {u.id: u for u in session.execute(select(User).where(User.id.in_(ids))).scalars()}
    roles: dict[int, list[str]] = {}
    for user_id, role in session.execute(
            select(Membership.user_id, MemberRole.role).join(MemberRole, MemberRole.membership_id == Membership.id)
            .where(Membership.user_id.in_(ids), Membership.village_id == village_id)).all():
        roles.setdefault(user_id, []).append(role)
    monitors = set(session.execute(select(TownshipMonitor.user_id).where(TownshipMonitor.user_id.in_(ids)))
                   .scalars())
    out = {}
    for uid in ids:
        user = users.get(uid)
        held = roles.get(uid, [])
        if user is not None and user.is_admin:
            label = ADMIN_LABEL
        elif uid in monitors and not held:
            label = MONITOR_LABEL
        else:
            label = role_labels([r for r in held if r != VILLAGER]) or VILLAGE_ROLES[VILLAGER]
        out[uid] = f"{label} {mask_name(user.name) if user else ''}".strip()
    return out


def chain_page(session: Session, actor: Actor | None, village: Village, page: int = 1, per_page: int = 50,
               verifier: Callable[[int], VerifyResult] | None = None, *, action: str | None = None,
               entity: str | None = None) -> ChainPage:
    """The latest events first, optionally of one action or one kind of object. `verifier` checks
    the chain by its id (services/seals.verify, with the seals); by default the chain alone."""
    require(actor, village, monitor=True)
    result = (verifier or (lambda chain: verify_chain(session, chain)))(village.id)
    stmt = select(AuditEvent).where(AuditEvent.village_id == village.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    found = paginate(session, stmt.order_by(AuditEvent.seq.desc()), page, per_page)
    return ChainPage(result=result, events=_event_rows(session, village, found.items), page=found.page,
                     pages=max(1, found.pages))


def _event_rows(session: Session, village: Village, rows: list[AuditEvent]) -> list[EventRow]:
    who = _who(session, village.id, rows)
    return [EventRow(e, who.get(e.actor_id, "系统") if e.actor_id is not None else "系统（自动）") for e in rows]


def export_rows(session: Session, actor: Actor | None, village: Village, *, action: str | None = None,
                entity: str | None = None, limit: int = 100_000) -> list[list[str]]:
    """The chain as CSV rows (oldest first): sequence, Beijing time, action and its name, who (role and
    masked name), object, hash. No payload: personal fields stay out of the file."""
    require(actor, village, monitor=True)
    stmt = select(AuditEvent).where(AuditEvent.village_id == village.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    events_ = list(session.execute(stmt.order_by(AuditEvent.seq).limit(limit)).scalars())
    out = [["序号", "时间（北京）", "操作代码", "操作", "操作人", "对象", "对象编号", "哈希"]]
    for row in _event_rows(session, village, events_):
        e = row.event
        out.append([str(e.seq), format_local(e.created_at, "%Y-%m-%d %H:%M:%S"), e.action, action_label(e.action),
                    row.who, e.entity, e.entity_id or "", e.hash])
    return out
