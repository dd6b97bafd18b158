"""Logging in and out, sessions, passwords, activation codes, throttling, the security log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from passlib.context import CryptContext
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.batches import read_soon
from app.clock import utcnow
from app.config import Settings
from app.db import OneRow
from app.domain.people import (
    CODE_ALPHABET,
    CODE_LENGTH,
    normalize_code,
    normalize_phone,
    password_problem,
)
from app.models import ActivationCode, Membership, SecurityEvent, User, UserSession
from app.services import audit
from app.services.access import ME_COLUMNS, Actor, Me, actor_of, with_actor
from app.services.errors import Invalid, TooMany, Unauthorized

# Only refresh last_seen_at this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(seconds=60)


@lru_cache(maxsize=4)
def _context(time_cost: int, memory_kib: int) -> CryptContext:
    return CryptContext(
        schemes=["argon2"],
        deprecated="auto",
        argon2__rounds=time_cost,
        argon2__memory_cost=memory_kib,
    )


def password_context(settings: Settings) -> CryptContext:
    return _context(settings.argon2_time_cost, settings.argon2_memory_kib)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _context(time_cost, memory_kib).hash(secrets.token_urlsafe(16))


def hash_password(settings: Settings, password: str) -> str:
    return password_context(settings).hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def code_hash(settings: Settings, code: str) -> str:
    key = settings.resolved_secret_key().encode()
    return hmac.new(key, normalize_code(code).encode(), hashlib.sha256).hexdigest()


def log_event(
    session: Session,
    kind: str,
    *,
    user_id: int | None = None,
    phone: str | None = None,
    ip: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(SecurityEvent(kind=kind, user_id=user_id, phone=phone, ip=ip, detail=detail))


def _recent_failures(session: Session, settings: Settings, kind: str, **where: str | None) -> int:
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    stmt = select(func.count()).select_from(SecurityEvent).where(
        SecurityEvent.kind == kind, SecurityEvent.created_at >= since
    )
    for column, value in where.items():
        stmt = stmt.where(getattr(SecurityEvent, column) == value)
    return session.execute(stmt).scalar_one()


def _lock_keys(session: Session, *keys: str) -> None:
    """Serialise attempts on the same account or address. PostgreSQL: transaction-scoped advisory
    locks, taken in a fixed order; SQLite: the INSERT that follows takes the database's write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def _reserve(session: Session, settings: Settings, kind: str, phone: str | None, ip: str | None,
             user_id: int | None = None) -> SecurityEvent:
    """Count an attempt before any password hashing, atomically.

    The attempt is written as a failure first (`kind`) and committed before the slow hash, so
    parallel attempts see it; a success turns it into its success kind afterwards (`_settle`).
    Writing and counting happen under one lock per account and per address, so sixty parallel
    guesses cannot all read "nine so far": exactly the limit is checked, the rest are refused.
    """
    minutes = settings.login_window_minutes
    _lock_keys(session, *(f"{kind}:phone:{phone}",) if phone else (), *(f"{kind}:ip:{ip}",) if ip else ())
    row = SecurityEvent(kind=kind, user_id=user_id, phone=phone, ip=ip)
    session.add(row)
    session.flush()
    too_many = bool(phone) and (
        _recent_failures(session, settings, kind, phone=phone) > settings.login_max_failures_account)
    if not too_many and ip:
        too_many = _recent_failures(session, settings, kind, ip=ip) > settings.login_max_failures_address
    if too_many:
        row.kind, row.detail = "throttled", kind
        session.commit()
        raise TooMany(f"失败次数太多，请 {minutes} 分钟后再试", retry_after=minutes * 60)
    session.commit()
    return row


def _settle(row: SecurityEvent, kind: str, *, user_id: int | None = None, detail: str | None = None) -> None:
    """The attempt succeeded: it no longer counts as a failure."""
    row.kind = kind
    row.user_id = user_id if user_id is not None else row.user_id
    row.detail = detail


@dataclass
class NewSession:
    token: str
    row: UserSession
    user: User


def _open_session(session: Session, settings: Settings, user: User, kind: str, ip, user_agent) -> NewSession:
    token = secrets.token_urlsafe(32)  # 256 bits
    now = utcnow()
    row = UserSession(
        token_hash=token_hash(token),
        user_id=user.id,
        kind=kind,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        ip=ip,
        user_agent=(user_agent or "")[:200] or None,
    )
    session.add(row)
    return NewSession(token, row, user)


def login(
    session: Session,
    settings: Settings,
    phone: str,
    password: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    kind: str = "web",
) -> NewSession:
    phone = normalize_phone(phone)
    attempt = _reserve(session, settings, "login_failed", phone, ip)
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    context = password_context(settings)
    if user is None or user.password_hash is None:
        context.verify(password, _dummy_hash(settings.argon2_time_cost, settings.argon2_memory_kib))
        ok, new_hash = False, None
    else:
        ok, new_hash = context.verify_and_update(password, user.password_hash)
    if not ok or user is None or user.status == "disabled":
        attempt.user_id = user.id if user else None
        session.commit()
        if ok and user is not None:
            raise Unauthorized("这个账号已停用，请联系村委会")
        # a pending account answers like a wrong password: the answer never tells which phones exist
        raise Unauthorized("手机号或密码不对")
    if new_hash:
        user.password_hash = new_hash
    opened = _open_session(session, settings, user, kind, ip, user_agent)
    _settle(attempt, "login_ok", user_id=user.id, detail=kind)
    session.commit()
    return opened


def _live(settings: Settings, row: UserSession | MySession) -> bool:
    """Whether a found session still counts: not revoked, idle too long or too old."""
    if row.revoked_at is not None:
        return False
    now = utcnow()
    return now < row.expires_at and now - row.last_seen_at <= timedelta(minutes=settings.session_idle_minutes)


def touch_due(row: UserSession | MySession) -> bool:
    """Whether a live session's last-seen time is due a refresh (at most once a minute)."""
    return utcnow() - row.last_seen_at > TOUCH_EVERY


def touch(engine: Engine, row: UserSession | MySession) -> None:
    """Refresh a live session's last-seen time (its own short write and commit, on a connection of its
    own)."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    row.last_seen_at = now


@dataclass(slots=True)
class MySession:
    """A caller's session as a request sees it (`caller`): not its token's hash, and not an ORM object."""

    id: int
    user_id: int
    kind: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


_SESSION_COLUMNS = (UserSession.id, UserSession.user_id, UserSession.kind, UserSession.csrf_token,
                    UserSession.created_at, UserSession.last_seen_at, UserSession.expires_at,
                    UserSession.revoked_at)
_SESSION_END = len(_SESSION_COLUMNS)
_ME_END = _SESSION_END + len(ME_COLUMNS)

# A session is found by its token's hash and kind, with its user and the user's roles. The statement is
# built once and read on the DBAPI connection (db.OneRow): a request's authentication costs one prepared
# query, not a query built anew, and no ORM objects (loading the session and the user as such cost twice
# the query).
_CALLER = OneRow(with_actor(select(*_SESSION_COLUMNS, *ME_COLUMNS).join(User, User.id == UserSession.user_id),
                            User.id)
                 .where(UserSession.token_hash == bindparam("token_hash"), UserSession.kind == bindparam("kind")))


@dataclass
class Caller:
    """Who a live session belongs to: the user, the session row and the user's roles."""

    user: Me
    row: MySession
    actor: Actor


def caller(engine: Engine, settings: Settings, token: str | None, kind: str) -> Caller | None:
    """The active user behind a session token, with their roles; None for anyone else. One query: the
    session, its user, and the user's village, roles and monitored townships, on a connection of its own
    that goes back to the pool at once (a request's session holds none meanwhile). A read only: the
    session's last-seen time is refreshed by `touch` when `touch_due` says so."""
    params = _caller_params(token, kind)
    return None if params is None else _caller_of(settings, _CALLER.first(engine, params))


async def caller_soon(engine: Engine, settings: Settings, token: str | None, kind: str) -> Caller | None:
    """`caller`, for a request on the event loop (its read as `batches.read_soon` runs it)."""
    params = _caller_params(token, kind)
    return None if params is None else _caller_of(settings, await read_soon(engine, _CALLER, params))


def _caller_params(token: str | None, kind: str) -> dict[str, str] | None:
    if not token or len(token) > 200:
        return None
    return {"token_hash": token_hash(token), "kind": kind}


def _caller_of(settings: Settings, found) -> Caller | None:
    if found is None:
        return None
    row = MySession(*found[:_SESSION_END])
    if not _live(settings, row):
        return None
    user = Me(*found[_SESSION_END:_ME_END])
    if user.status != "active":
        return None
    return Caller(user=user, row=row, actor=actor_of(user, *found[_ME_END:]))


def logout(session: Session, row: UserSession | MySession, *, ip: str | None = None) -> None:
    session.execute(update(UserSession).where(UserSession.id == row.id).values(revoked_at=utcnow()))
    log_event(session, "logout", user_id=row.user_id, ip=ip, detail=row.kind)
    session.commit()


def change_password(
    session: Session,
    settings: Settings,
    person: User | Me,
    current: str,
    new: str,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    kind: str = "web",
) -> NewSession:
    """Check the old password, set the new one, revoke every session, open a fresh one here.
    Wrong current passwords are throttled like logins: each costs a full hash."""
    user = session.get(User, person.id)  # the account itself: a request's caller is only a view of it
    assert user is not None
    attempt = _reserve(session, settings, "password_change_failed", user.phone, ip, user_id=user.id)
    if user.password_hash is None or not password_context(settings).verify(current, user.password_hash):
        session.commit()
        raise Invalid("原密码不对", field="current_password")
    problem = password_problem(new, user.phone)
    if problem:
        _settle(attempt, "password_change_refused", detail="weak password")
        session.commit()
        raise Invalid(problem, field="new_password")
    now = utcnow()
    user.password_hash = hash_password(settings, new)
    user.password_changed_at = now
    session.add(user)
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    opened = _open_session(session, settings, user, kind, ip, user_agent)
    _settle(attempt, "password_changed", user_id=user.id)
    session.commit()
    return opened


LARGE_TYPE_VALUES = {"1": True, "on": True, "true": True, "": False, "0": False, "off": False, "false": False}


def set_large_type(session: Session, user: User | Me, value: str | bool) -> bool:
    """大字显示: the person's own choice of extra-large type on every page, remembered on the account.
    A form sends "1" to turn it on and nothing (or "0") to turn it off; anything else is refused and
    changes nothing. A display preference, like the password change it is not written to a village's
    audit chain. Returns the new setting."""
    if isinstance(value, bool):
        on = value
    else:
        key = value.strip().lower()
        if key not in LARGE_TYPE_VALUES:
            raise Invalid("大字显示只能打开或关闭", field="large_type")
        on = LARGE_TYPE_VALUES[key]
    session.execute(update(User).where(User.id == user.id).values(large_type=on))
    session.commit()
    user.large_type = on  # this request's view of the account agrees with the row
    return on


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def issue_code(
    session: Session, settings: Settings, user: User, village_id: int | None, created_by: int | None
) -> tuple[str, ActivationCode]:
    """A fresh single-use code; earlier unused codes of the user stop working. Caller commits."""
    now = utcnow()
    session.execute(
        update(ActivationCode)
        .where(
            ActivationCode.user_id == user.id,
            ActivationCode.used_at.is_(None),
            ActivationCode.expires_at > now,
        )
        .values(expires_at=now)
    )
    code = new_code()
    row = ActivationCode(
        user_id=user.id,
        village_id=village_id,
        code_hash=code_hash(settings, code),
        created_at=now,
        expires_at=now + timedelta(days=settings.activation_days),
        created_by=created_by,
    )
    session.add(row)
    return code, row


def activate(
    session: Session,
    settings: Settings,
    phone: str,
    code: str,
    password: str,
    *,
    ip: str | None = None,
) -> User:
    """A villager sets their first password with the one-time code from the committee."""
    phone = normalize_phone(phone)
    attempt = _reserve(session, settings, "activation_failed", phone, ip)
    problem = password_problem(password, phone)
    if problem:
        _settle(attempt, "activation_refused", detail="weak password")
        session.commit()
        raise Invalid(problem, field="password")
    user = session.execute(select(User).where(User.phone == phone)).scalar_one_or_none()
    row = None
    if user is not None:
        row = session.execute(
            select(ActivationCode)
            .where(ActivationCode.user_id == user.id, ActivationCode.code_hash == code_hash(settings, code))
            .order_by(ActivationCode.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    now = utcnow()
    reason = None
    if user is None or row is None:
        reason = "手机号或激活码不对"
    elif row.used_at is not None:
        reason = "这个激活码已经用过了；忘记密码请找村委会重新领取激活码"
    elif row.expires_at <= now:
        reason = "激活码已过期，请找村委会重新领取"
    elif user.status == "disabled":
        reason = "这个账号已停用，请联系村委会"
    if reason:
        attempt.user_id = user.id if user else None
        session.commit()
        raise Invalid(reason, field="code")
    assert user is not None and row is not None
    row.used_at = now
    user.password_hash = hash_password(settings, password)
    user.password_changed_at = now
    user.status = "active"
    session.add_all([row, user])
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    village_id = session.execute(
        select(Membership.village_id).where(Membership.user_id == user.id)
    ).scalar_one_or_none()
    if village_id is not None:
        audit.record(
            session,
            village_id=village_id,
            actor_id=user.id,
            action="member.activate",
            entity="user",
            entity_id=user.id,
        )
    _settle(attempt, "activated", user_id=user.id)
    session.commit()
    return user


# --- the person's own sessions: where am I logged in -----------------------------------------------

@dataclass
class SessionView:
    """One live login of the person, as the account page lists it (no token, no hash)."""

    id: int
    kind: str  # "web" (a browser) or "api" (an app with a token)
    created_at: datetime
    last_seen_at: datetime
    ip: str | None
    device: str
    current: bool


_DEVICES = (("micromessenger", "微信里的浏览器"), ("iphone", "苹果手机"), ("ipad", "苹果平板"),
            ("android", "安卓手机"), ("windows", "Windows 电脑"), ("macintosh", "苹果电脑"),
            ("linux", "Linux 电脑"))


def device_of(user_agent: str | None, kind: str) -> str:
    """A plain name for the device a session came from."""
    if kind == "api":
        return "应用程序（接口）"
    text = (user_agent or "").lower()
    return next((name for key, name in _DEVICES if key in text), "浏览器")


def live_sessions(session: Session, settings: Settings, user_id: int, current_id: int | None,
                  limit: int = 20) -> list[SessionView]:
    """The person's sessions that still work (not ended, not idle too long, not too old), newest first."""
    now = utcnow()
    rows = session.execute(
        select(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now,
            UserSession.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes))
        .order_by(UserSession.last_seen_at.desc()).limit(limit)).scalars()
    return [SessionView(id=r.id, kind=r.kind, created_at=r.created_at, last_seen_at=r.last_seen_at, ip=r.ip,
                        device=device_of(r.user_agent, r.kind), current=r.id == current_id) for r in rows]


def end_other_sessions(session: Session, user_id: int, current_id: int, *, ip: str | None = None) -> int:
    """Sign out everywhere else: every other session of the person ends now. Returns how many."""
    ended = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.id != current_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow()))
    log_event(session, "logout_others", user_id=user_id, ip=ip, detail=str(ended.rowcount))
    session.commit()
    return ended.rowcount
