"""The audit chain's arithmetic: canonical payload bytes, the link hash, and verification.

hash(n) = SHA-256( bytes.fromhex(hash(n-1)) || payload(n) ), with hash(0) = 64 zeros.
The payload is the exact bytes stored; it names the village, sequence, actor, action, entity and
time, so any edit to a column or to the payload shows up in `verify`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(payload: dict[str, Any]) -> bytes:
    """Stable JSON bytes: sorted keys, no spaces, UTF-8 (Chinese kept readable)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def link_hash(prev_hash: str, payload: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + payload).hexdigest()


@dataclass(frozen=True)
class ChainRow:
    seq: int
    village_id: int
    actor_id: int | None
    action: str
    entity: str
    entity_id: str | None
    payload: bytes
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None


def _problem(row: ChainRow, expected_seq: int, prev: str) -> str | None:
    """Why this event does not continue the chain at (expected_seq, prev); None when it does."""
    if row.seq != expected_seq:
        return f"序号不连续：应为 {expected_seq}，实为 {row.seq}"
    if row.prev_hash != prev:
        return "前一哈希与上一条事件不符"
    if link_hash(prev, row.payload) != row.hash:
        return "哈希与内容不符（内容被改动）"
    try:
        body = json.loads(row.payload)
    except ValueError:
        return "内容不是有效的 JSON"
    fields = {
        "village_id": row.village_id,
        "seq": row.seq,
        "actor_id": row.actor_id,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
    }
    for name, value in fields.items():
        if body.get(name) != value:
            return f"字段 {name} 与记录内容不符"
    return None


def verify(rows: Iterable[ChainRow], start_seq: int = 0, start_hash: str = GENESIS) -> VerifyResult:
    """Walk events in sequence order; name the first one that does not fit."""
    seq, prev, checked = start_seq, start_hash, 0
    for row in rows:
        reason = _problem(row, seq + 1, prev)
        if reason:
            return VerifyResult(False, checked, seq, prev, seq + 1 if row.seq > seq + 1 else row.seq, reason)
        seq, prev, checked = row.seq, row.hash, checked + 1
    return VerifyResult(True, checked, seq, prev)


# What each recorded action means, for people reading the chain.
ACTION_LABELS: dict[str, str] = {
    "county.create": "登记县",
    "township.create": "登记乡镇",
    "village.create": "登记村",
    "admin.grant": "设为系统管理员",
    "monitor.grant": "设为乡镇监督员",
    "monitor.revoke": "撤销乡镇监督员",
    "member.create": "登记村民",
    "member.update": "修改村民信息",
    "member.activate": "村民激活账号",
    "member.code_issued": "发放激活码",
    "roster.import": "导入名册",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
