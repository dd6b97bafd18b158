"""Seals of the audit chains (封存): a chain's head (seq, hash) at a moment, signed with Ed25519.

A village's chain proves that its events follow one another; it cannot prove that nobody with the
database file rewrote its last events and recomputed everything after them. A seal can: the service
signs each chain's head with a private key kept outside the database, publishes the public key, and
prints the latest seal on the public board and on every A4 notice. From then on any rewrite of an
event at or before a sealed sequence number, any cut below it, and any forged seal are found.

The signed message is the canonical JSON of {"v", "chain", "seq", "hash", "sealed_at"} (sorted keys,
no spaces, UTF-8), so anyone can recompute it from a downloaded seal; docs/hashes.md gives the bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

VERSION = "cunyi.seal.v1"
ALGORITHM = "Ed25519"


def message(chain: int, seq: int, head_hash: str, sealed_at: datetime) -> bytes:
    """The bytes a seal signs."""
    body = {"v": VERSION, "chain": chain, "seq": seq, "hash": head_hash,
            "sealed_at": sealed_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode()


def signature_ok(public: bytes, data: bytes, signature: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class SealFacts:
    chain: int
    seq: int
    hash: str
    sealed_at: datetime
    key_id: str
    signature: str


@dataclass(frozen=True)
class Finding:
    ok: bool
    checked: int  # seals checked
    reason: str = ""
    broken_at: int | None = None  # the sequence number from which the chain can no longer be trusted


def check(seals: list[SealFacts], hashes: dict[int, str], last_seq: int, public: bytes) -> Finding:
    """The chain against its seals (oldest first).

    `hashes` holds the chain's hash at each sealed sequence number (absent: no such event);
    `last_seq` is the last event of the chain as it stands. Every seal must carry a valid signature
    under the service's key, the chain must reach every sealed sequence number, and its event there
    must have the sealed hash."""
    own = key_id(public)
    for n, seal in enumerate(seals, start=1):
        if seal.key_id != own or not signature_ok(
                public, message(seal.chain, seal.seq, seal.hash, seal.sealed_at), seal.signature):
            return Finding(False, n - 1, f"第 {seal.seq} 条的封存签名无法用本系统公钥核验（封存记录被改动或伪造）",
                           seal.seq)
        if seal.seq > last_seq:
            return Finding(False, n - 1, f"链比封存时短：{seal.sealed_at:%Y-%m-%d} 封存到第 {seal.seq} 条，"
                                         f"现在只到第 {last_seq} 条", last_seq + 1)
        if seal.seq and hashes.get(seal.seq) != seal.hash:
            return Finding(False, n - 1, f"第 {seal.seq} 条事件与 {seal.sealed_at:%Y-%m-%d} 的封存不符"
                                         "（封存之前的记录被改写过）", seal.seq)
    return Finding(True, len(seals))
