"""Assisted participation (代办) for villagers without a phone: the rules of recording and deciding.

A committee member records, on behalf of a villager of the village, a co-signature from a signed
paper sheet (its scan attached), an objection, or a comment the villager dictated. It counts only
once a second committee member confirms it; any committee member may send it back with a reason.
Confirmed, it is an ordinary co-signature, objection or comment, made by the same rules as online,
and shown with "由某某代录、某某确认". Pure rules: no database, no clock.
"""

from __future__ import annotations

COSIGN, OBJECTION, COMMENT = "cosign", "objection", "comment"
KINDS: dict[str, str] = {COSIGN: "纸质联署", OBJECTION: "质询", COMMENT: "意见"}
# what each kind is about: a matter (proposal) or a notice
TARGETS: dict[str, str] = {COSIGN: "proposal", OBJECTION: "notice", COMMENT: "proposal"}

PENDING, CONFIRMED, REJECTED = "pending", "confirmed", "rejected"
STATES: dict[str, str] = {PENDING: "待确认", CONFIRMED: "已确认", REJECTED: "已退回"}

BODY_MAX: dict[str, int] = {OBJECTION: 2000, COMMENT: 5000}  # the online limits of each
REASON_MAX = 500

CONFIRM, REJECT = "confirm", "reject"


def mark(recorded_by: str, confirmed_by: str) -> str:
    """What a confirmed record shows beside it."""
    return f"由{recorded_by}代录、{confirmed_by}确认"


def record_problems(kind: str, *, recorder_id: int, person_id: int | None, target_id: int | None,
                    body: str, has_scan: bool) -> dict[str, str]:
    """What is missing or wrong in a new record, by field (empty: nothing). `body` is trimmed."""
    if kind not in KINDS:
        return {"kind": "请选择代录的内容：纸质联署、质询或意见"}
    errors: dict[str, str] = {}
    if person_id is None:
        errors["user_id"] = "请选择替哪位村民代录"
    elif person_id == recorder_id:
        errors["user_id"] = "不能替自己代录；请自己在网上操作"
    if target_id is None:
        errors["target_id"] = "请选择要联署的事项" if kind == COSIGN else (
            "请选择要质询的公开" if kind == OBJECTION else "请选择要发表意见的事项")
    if kind == COSIGN:
        if not has_scan:
            errors["scan"] = "纸质联署须上传村民签字的联署单扫描件或照片"
    elif not body:
        errors["body"] = "请写明村民口述的质询内容" if kind == OBJECTION else "请写明村民口述的意见"
    elif len(body) > BODY_MAX[kind]:
        errors["body"] = f"{KINDS[kind]}最多 {BODY_MAX[kind]} 个字"
    return errors


def decide_problem(action: str, *, state: str, recorder_id: int, decider_id: int) -> tuple[int, str] | None:
    """Whether this committee member may confirm or reject this record now: None, or (status, why).

    Only a record waiting for confirmation is decided, once. Confirming takes a second member: the one
    who recorded it cannot confirm it (but may send it back, to correct a mistake)."""
    if state == CONFIRMED:
        return 409, "这条代录已经确认过了"
    if state == REJECTED:
        return 409, "这条代录已经退回了"
    if action == CONFIRM and decider_id == recorder_id:
        return 403, "须由另一名村委会成员确认；录入人不能确认自己录入的代录"
    return None


def reason_problem(reason: str) -> str | None:
    """Why a rejection's reason (trimmed) is not acceptable, or None."""
    if not reason:
        return "请写明退回的理由"
    if len(reason) > REASON_MAX:
        return f"退回理由最多 {REASON_MAX} 个字"
    return None
