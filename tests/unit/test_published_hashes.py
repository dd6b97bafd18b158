"""Every hash Cunyi publishes, pinned by a fixed vector: the exact bytes and the hex they give.

docs/hashes.md shows the same vectors, so a villager or the township can recompute each with any
SHA-256 tool (`printf … | sha256sum`). A change to the bytes fails here, not silently in the field.
"""

from __future__ import annotations

import hashlib

from app.domain.audit_chain import GENESIS, canonical, link_hash
from app.domain.notices import content_hash
from app.domain.votes import fingerprint

FINGERPRINT_BYTES = "3\n7\n12\n--\n是否同意硬化村口道路？\n--\n[\"同意\", \"反对\", \"弃权\"]".encode()
FINGERPRINT_HEX = "c64414f2a1440a85688ce6fd1b97a4c05f42493db36995b37de6755cf2d56119"

CONTENT_BYTES = '{"attachments":["aa","bb"],"body":"收入 1,000.00 元","title":"十月财务公开"}'.encode()
CONTENT_HEX = "39ebbf07a7c7e7b23aeaab9bfdab33e91ad6cb572ce47e811df96c3f83c2fbfc"

EVENT_1 = ('{"action":"notice.publish","actor_id":2,"at":"2026-12-01T08:00:00Z","data":{"title":"十月财务公开"},'
           '"entity":"notice","entity_id":"5","seq":1,"village_id":1}').encode()
EVENT_2 = (b'{"action":"vote.close","actor_id":null,"at":"2026-12-01T09:30:00Z","data":{"automatic":true},'
           b'"entity":"vote","entity_id":"9","seq":2,"village_id":1}')
LINK_1 = "f5d8c437ccba7c95320f5b0b40e56a34ec7544b78a08621d0da2c6420fbf44fb"
LINK_2 = "61bf79760b16c6b6fd49abf5951de743f533ad6494507219a958b1e7084d325d"


def test_the_vote_fingerprint_vector():
    # voter ids in any order, sorted in the bytes; then the question; then the options as JSON
    assert fingerprint([12, 3, 7], "是否同意硬化村口道路？", ["同意", "反对", "弃权"]) == FINGERPRINT_HEX
    assert hashlib.sha256(FINGERPRINT_BYTES).hexdigest() == FINGERPRINT_HEX


def test_the_notice_content_hash_vector():
    # attachment hashes in any order, sorted in the bytes
    assert content_hash("十月财务公开", "收入 1,000.00 元", ["bb", "aa"]) == CONTENT_HEX
    assert hashlib.sha256(CONTENT_BYTES).hexdigest() == CONTENT_HEX


def test_the_audit_chain_link_vectors():
    payload_1 = canonical({"village_id": 1, "seq": 1, "actor_id": 2, "action": "notice.publish", "entity": "notice",
                           "entity_id": "5", "at": "2026-12-01T08:00:00Z", "data": {"title": "十月财务公开"}})
    payload_2 = canonical({"village_id": 1, "seq": 2, "actor_id": None, "action": "vote.close", "entity": "vote",
                           "entity_id": "9", "at": "2026-12-01T09:30:00Z", "data": {"automatic": True}})
    assert payload_1 == EVENT_1 and payload_2 == EVENT_2
    assert link_hash(GENESIS, payload_1) == LINK_1
    assert link_hash(LINK_1, payload_2) == LINK_2
    # the link is SHA-256 of the previous hash's 32 raw bytes followed by the payload bytes
    assert hashlib.sha256(bytes.fromhex(GENESIS) + EVENT_1).hexdigest() == LINK_1
    assert hashlib.sha256(bytes.fromhex(LINK_1) + EVENT_2).hexdigest() == LINK_2
