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


def commitment(salt: str, value: Any) -> str:
    """A salted commitment to a personal field (a name, a household): SHA-256 of the 16 random salt
    bytes followed by the value's canonical JSON. The chain carries only this; the value and its salt
    are kept beside the chain for those who may see the member list, who can recompute it."""
    body = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(bytes.fromhex(salt) + body).hexdigest()


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
    resumed_from: int = 0  # events up to this seq were held by the last full check, not recomputed


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
    "member.supervision_overlap": "提示：监督委员与村委会同户或兼任",
    "village.settings": "修改村里的设置",
    "township.settings": "修改乡镇规定",
    "seal.create": "封存审计链",
    "export.vote": "导出表决结果",
    "export.members": "导出村民名册",
    "export.notices": "导出公开记录",
    # the village's own rules (村规民约、村民自治章程)
    "village_rule.create": "起草村规民约",
    "village_rule.version": "修订村规民约（新版本草稿）",
    "village_rule.edit": "修改村规民约草稿",
    "village_rule.adopt": "村民会议通过村规民约",
    "village_rule.file": "乡镇备案村规民约",
    "village_rule.return": "乡镇责令改正村规民约",
    "meeting.create": "起草会议",
    "meeting.item": "增加会议议程",
    "meeting.announce": "发出会议通知",
    "meeting.cancel": "取消会议",
    "meeting.checkin_open": "开启会议手机签到",
    "meeting.checkin": "手机签到参会",
    "meeting.signin_paper": "登记纸质签到",
    "meeting.minutes": "记录会议纪要",
    "meeting.vote": "关联会上表决",
    "petition.create": "提议召开会议",
    "petition.sign": "在召开会议的提议上签名",
    "petition.met": "提议召开会议达到法定人数",
    "petition.convene": "村委会召集提议的会议",
    "petition.close": "关闭召开会议的提议",
    # proposals and comments
    "proposal.create": "起草事项",
    "proposal.edit": "修改事项",
    "proposal.submit": "提交事项",
    "proposal.advance": "事项进入下一步",
    "proposal.return": "事项退回修改",
    "proposal.withdraw": "撤回事项",
    "proposal.delete": "删除未提交的草稿",
    "proposal.reject": "事项不予通过",
    "proposal.cosigned": "联署人数够了，事项进入下一步",
    "proposal.cosign": "联署",
    "proposal.uncosign": "撤回联署",
    "comment.create": "发表意见",
    "comment.edit": "修改意见",
    "comment.hide": "隐藏意见",
    "comment.report": "举报意见",
    "attachment.add": "上传附件",
    # assisted participation (代办) for villagers without a phone
    "assisted.record": "为村民代录（待确认）",
    "assisted.confirm": "确认代录，计入",
    "assisted.reject": "退回代录",
    # councils and votes
    "council.create": "设立表决机构",
    "council.archive": "撤销表决机构",
    "vote.create": "安排表决",
    "vote.edit": "修改表决安排",
    "vote.edit_refused": "拒绝修改已开始的表决",
    "vote.open": "开始表决",
    "vote.close": "结束表决并计票",
    "vote.ballot": "投票",
    "vote.ballot_changed": "改票",
    "vote.proxy": "登记委托投票",
    "vote.paper_tally": "录入纸质计票",
    "vote.paper_confirm": "确认纸质计票",
    # notices and objections
    "notice.create": "起草公开",
    "notice.auto_draft": "自动起草公开",
    "notice.edit": "修改公开",
    "notice.submit": "提交公开审核",
    "notice.approve": "公开审核通过",
    "notice.return": "公开被退回",
    "notice.publish": "发布公开",
    "notice.close": "结束公示",
    "objection.create": "提出质询",
    "objection.reply": "答复质询",
    "objection.escalate": "质询逾期未答复，转乡镇处理",
    "case.answer": "乡镇答复转来的质询",
    "case.direct": "乡镇督促村委会答复质询",
    "report.create": "村民向乡镇反映（举报）",
    "report.reply": "乡镇答复举报",
    # the books
    "ledger.open": "建账",
    "ledger.chart": "更换会计制度",
    "ledger.openings": "录入期初余额",
    "ledger.receipts": "设置原始凭证是否公开",
    "account.create": "增设明细科目",
    "account.rename": "修改明细科目名称",
    "voucher.create": "填制凭证",
    "voucher.update": "修改凭证",
    "voucher.delete": "删除未记账凭证",
    "voucher.review": "审核凭证",
    "voucher.return": "退回凭证",
    "voucher.post": "凭证记账",
    "period.close": "结账",
    "period.reopen": "反结账",
    "fund.obligations": "一事一议筹资筹劳落实到户",
    "fund.exempt": "减免筹资筹劳",
    "fund.payment": "收一事一议筹资款",
    "fund.labour": "登记投劳",
    "contract.create": "登记合同",
    "contract.receivable": "确认合同应收",
    "contract.payment": "收合同款",
    "asset.create": "登记固定资产",
    "asset.dispose": "处置固定资产",
}


# The kinds of object an event names, with their names (the audit page's and the API's filter).
ENTITY_LABELS: dict[str, str] = {
    "proposal": "事项", "comment": "意见", "vote": "表决", "council": "表决机构", "notice": "公开", "objection": "质询",
    "user": "村民", "voucher": "凭证", "period": "会计期间", "ledger": "账簿", "account": "科目", "contract": "合同",
    "asset": "固定资产", "attachment": "附件", "village": "村", "village_rule": "村规民约"}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
