"""Seals of the audit chains, pure: the signed message, signatures, and a chain held against its seals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.domain import seals as S

KEY = Ed25519PrivateKey.generate()
PUBLIC = S.public_bytes(KEY.public_key())
OTHER = Ed25519PrivateKey.generate()
AT = datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC)


def seal(seq: int, digest: str, key=KEY, chain: int = 7) -> S.SealFacts:
    public = S.public_bytes(key.public_key())
    return S.SealFacts(chain, seq, digest, AT, S.key_id(public), S.sign(key, S.message(chain, seq, digest, AT)))


def test_the_signed_message_is_canonical_json():
    assert S.message(7, 12, "ab" * 32, AT) == (
        b'{"chain":7,"hash":"' + b"ab" * 32 + b'","sealed_at":"2026-12-05T01:02:03Z","seq":12,"v":"cunyi.seal.v1"}')


def test_a_signature_verifies_only_its_own_message_under_its_own_key():
    data = S.message(7, 12, "ab" * 32, AT)
    signature = S.sign(KEY, data)
    assert S.signature_ok(PUBLIC, data, signature)
    assert not S.signature_ok(PUBLIC, S.message(7, 13, "ab" * 32, AT), signature)
    assert not S.signature_ok(S.public_bytes(OTHER.public_key()), data, signature)
    assert not S.signature_ok(PUBLIC, data, "not base64!")


H = {3: "a" * 64, 5: "b" * 64}


@pytest.mark.parametrize(("seals", "hashes", "last", "ok", "broken", "words"), [
    ([], {}, 0, True, None, ""),
    ([seal(3, H[3]), seal(5, H[5])], H, 5, True, None, ""),
    ([seal(3, H[3]), seal(5, H[5])], H, 9, True, None, ""),  # events after the last seal are fine
    ([seal(3, H[3]), seal(5, H[5])], {3: H[3], 5: "c" * 64}, 5, False, 5, "封存之前的记录被改写"),
    ([seal(3, H[3]), seal(5, H[5])], {3: H[3]}, 4, False, 5, "链比封存时短"),  # the tail cut below a seal
    ([seal(3, H[3])], {}, 0, False, 1, "链比封存时短"),  # the whole chain deleted with its head
    ([seal(3, H[3], key=OTHER)], H, 5, False, 3, "签名无法用本系统公钥核验"),  # a seal forged with another key
    ([S.SealFacts(7, 3, "f" * 64, AT, S.key_id(PUBLIC), seal(3, H[3]).signature)], H, 5, False, 3, "签名"),
])
def test_a_chain_is_held_against_its_seals(seals, hashes, last, ok, broken, words):
    finding = S.check(seals, hashes, last, PUBLIC)
    assert (finding.ok, finding.broken_at) == (ok, broken)
    assert words in finding.reason
