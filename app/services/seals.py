"""Seals of the audit chains: each chain's head signed with the service's Ed25519 key, and every
verification checked against them (rules and message: app/domain/seals.py).

The private key lives in a file outside the database (`CUNYI_SEAL_KEY_FILE`, generated on first use
like the secret key, mode 600); the public key is published at /.well-known/cunyi-seal-key.pem and
/api/v1/seal-key. Seals are made every day by `cunyi audit seal` (cron) and on demand by a township's
monitor for its villages; each is also recorded as an event of the platform's chain. A chain whose
head has not moved since its last seal is not sealed again.

Every night each chain is also verified in full and the outcome kept (`AuditCheck`); later
verifications resume from a passing check, and the public verify answer is cached per head.
"""

from __future__ import annotations

import base64
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from sqlalchemy import bindparam, func, select
from sqlmodel import Session

from app.clock import utcnow
from app.config import Settings
from app.domain import seals as S
from app.domain.audit_chain import VerifyResult
from app.models import PLATFORM_CHAIN, AuditCheck, AuditEvent, AuditHead, Seal, Village
from app.services import audit
from app.services.access import Actor, require_login
from app.services.errors import NotFound

_KEYS: dict[Path, Ed25519PrivateKey] = {}


def private_key(settings: Settings) -> Ed25519PrivateKey:
    """The sealing key from its file, generated there on first use (PEM, PKCS#8, mode 600)."""
    path = Path(settings.seal_key_file)
    key = _KEYS.get(path)
    if key is not None:
        return key
    if path.exists() and path.read_bytes().strip():
        loaded = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise RuntimeError(f"{path} 不是 Ed25519 私钥")
        key = loaded
    else:
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        path.chmod(0o600)
    _KEYS[path] = key
    return key


def public_raw(settings: Settings) -> bytes:
    return S.public_bytes(private_key(settings).public_key())


def public_pem(settings: Settings) -> str:
    return private_key(settings).public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass(frozen=True)
class PublicKey:
    algorithm: str
    key_id: str
    public_key: str  # raw 32 bytes, base64
    pem: str


def published_key(settings: Settings) -> PublicKey:
    raw = public_raw(settings)
    return PublicKey(S.ALGORITHM, S.key_id(raw), base64.b64encode(raw).decode(), public_pem(settings))


# --- sealing -----------------------------------------------------------------------------------

_LATEST = (select(Seal).where(Seal.chain == bindparam("chain")).order_by(Seal.seq.desc(), Seal.id.desc())
           .limit(1))  # built once: the public board shows the village's latest seal


def latest(session: Session, chain: int) -> Seal | None:
    return session.execute(_LATEST, {"chain": chain}).scalar_one_or_none()


def seal_chain(session: Session, settings: Settings, chain: int, actor_id: int | None = None) -> Seal | None:
    """Sign the chain's head now (no commit); None when it has no events or is sealed at its head."""
    head = session.get(AuditHead, chain)
    if head is None or head.seq == 0:
        return None
    last = latest(session, chain)
    if last is not None and last.seq == head.seq:
        return None
    now = utcnow().replace(microsecond=0)
    raw = public_raw(settings)
    signature = S.sign(private_key(settings), S.message(chain, head.seq, head.hash, now))
    seal = Seal(chain=chain, seq=head.seq, hash=head.hash, sealed_at=now, key_id=S.key_id(raw), signature=signature,
                sealed_by=actor_id, created_at=now)
    session.add(seal)
    session.flush()
    if chain != PLATFORM_CHAIN:
        audit.record(session, village_id=PLATFORM_CHAIN, actor_id=actor_id, action="seal.create", entity="chain",
                     entity_id=chain, data={"seq": seal.seq, "hash": seal.hash, "key_id": seal.key_id,
                                            "signature": signature})
    return seal


def seal_all(session: Session, settings: Settings) -> int:
    """The daily seal of every chain (the platform's last); returns how many were sealed."""
    chains = [vid for vid in session.execute(select(Village.id).order_by(Village.id)).scalars()]
    count = sum(1 for chain in chains if seal_chain(session, settings, chain) is not None)
    session.commit()
    if seal_chain(session, settings, PLATFORM_CHAIN) is not None:
        count += 1
    session.commit()
    return count


def seal_township(session: Session, settings: Settings, actor: Actor | None, township_id: int) -> int:
    """A township's monitor seals its villages now."""
    actor = require_login(actor)
    if not actor.is_admin and township_id not in actor.monitor_of:
        raise NotFound("找不到这个乡镇")
    chains = session.execute(select(Village.id).where(Village.township_id == township_id)
                             .order_by(Village.id)).scalars().all()
    count = sum(1 for chain in chains if seal_chain(session, settings, chain, actor.id) is not None)
    session.commit()
    return count


# --- verifying against the seals -----------------------------------------------------------------

def verify(session: Session, settings: Settings, chain: int, *, full: bool = False) -> VerifyResult:
    """The chain recomputed (services/audit.verify_chain), then held against every seal of it.

    Unless `full`, the recomputation resumes where the chain's last passing full check reached
    (`AuditCheck`): the events after it are recomputed and the event it ended on must still carry its
    hash; every seal is checked either way. The nightly `verify` job and `cunyi audit verify`
    recompute everything and record the check."""
    check = None if full else session.get(AuditCheck, chain)
    result = audit.verify_chain(session, chain, (check.seq, check.hash) if check is not None and check.ok else None)
    rows = list(session.execute(select(Seal).where(Seal.chain == chain).order_by(Seal.seq, Seal.id)).scalars())
    if not rows:
        return result
    sealed = {r.seq for r in rows}
    hashes = dict(session.execute(select(AuditEvent.seq, AuditEvent.hash).where(
        AuditEvent.village_id == chain, AuditEvent.seq.in_(sealed))).all())
    last_seq = session.execute(select(func.coalesce(func.max(AuditEvent.seq), 0)).where(
        AuditEvent.village_id == chain)).scalar_one()
    finding = S.check([S.SealFacts(r.chain, r.seq, r.hash, r.sealed_at, r.key_id, r.signature) for r in rows],
                      hashes, last_seq, public_raw(settings))
    if finding.ok or not result.ok and (result.broken_seq or 0) <= (finding.broken_at or 0):
        return result
    return VerifyResult(False, result.checked, result.head_seq, result.head_hash, finding.broken_at, finding.reason,
                        result.resumed_from)


def check(session: Session, settings: Settings, chain: int) -> VerifyResult:
    """Verify a chain in full and record the outcome as its last check (no commit)."""
    r = verify(session, settings, chain, full=True)
    row = session.get(AuditCheck, chain) or AuditCheck(chain=chain, ok=r.ok, seq=0, hash="", checked_at=utcnow())
    row.ok, row.seq, row.hash, row.broken_seq = r.ok, r.head_seq, r.head_hash, r.broken_seq
    row.reason, row.checked_at = (r.reason or "")[:200], utcnow()
    session.add(row)
    _CACHE.clear()
    return r


def check_all(session: Session, settings: Settings) -> tuple[int, int]:
    """The nightly full verification of every chain, the platform's included: (chains, broken)."""
    chains = [PLATFORM_CHAIN, *session.execute(select(Village.id).order_by(Village.id)).scalars()]
    broken = 0
    for chain in chains:
        broken += not check(session, settings, chain).ok
        session.commit()
    return len(chains), broken


def last_checks(session: Session, chains: list[int]) -> dict[int, AuditCheck]:
    """Each chain's last full check, for the township's dashboard (one query)."""
    if not chains:
        return {}
    return {c.chain: c for c in session.execute(select(AuditCheck).where(AuditCheck.chain.in_(chains))).scalars()}


_CACHE: OrderedDict[tuple, tuple[float, VerifyResult]] = OrderedDict()
_CACHE_SIZE = 2048


def verify_public(session: Session, settings: Settings, chain: int) -> VerifyResult:
    """`verify` for anyone, answered from memory while the chain's head, its latest seal and its last
    check are unchanged (three primary-key or index reads) and for at most `verify_cache_seconds`,
    so a storm of requests recomputes once. Rows edited behind the application's back without moving
    the head are found when the answer expires, by the nightly full check, or by `cunyi audit verify`."""
    if settings.verify_cache_seconds <= 0:
        return verify(session, settings, chain)
    head = session.get(AuditHead, chain)
    seal = latest(session, chain)
    last = session.get(AuditCheck, chain)
    key = (str(session.get_bind().url), chain, head and (head.seq, head.hash), seal and seal.id,
           last and (last.ok, last.seq, last.checked_at))
    now = time.monotonic()
    hit = _CACHE.get(key)
    if hit is not None and now - hit[0] < settings.verify_cache_seconds:
        _CACHE.move_to_end(key)
        return hit[1]
    result = verify(session, settings, chain)
    _CACHE[key] = (now, result)
    _CACHE.move_to_end(key)
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


@dataclass(frozen=True)
class SealOut:
    """A seal as anyone may download and keep it, with what is needed to check it offline."""

    v: str
    chain: int
    seq: int
    hash: str
    sealed_at: str
    algorithm: str
    key_id: str
    public_key: str
    signature: str


def seal_out(settings: Settings, seal: Seal) -> SealOut:
    return SealOut(S.VERSION, seal.chain, seal.seq, seal.hash, seal.sealed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   S.ALGORITHM, seal.key_id, published_key(settings).public_key, seal.signature)


def latest_for(session: Session, village: Village) -> Seal | None:
    """The village's latest seal, for its public board and printed notices."""
    return latest(session, village.id)
