"""A village's own rules (村规民约, 村民自治章程) as pure rules: the two kinds, what a draft must be,
when a vote can adopt a version, and the content hash that fixes an adopted text.

The law (《村民委员会组织法》 2018 第二十七条, 2025 第三十一条; `law.PROVISIONS["cwh.charter"]`): the
villagers' assembly (村民会议) makes and amends them, and they are filed with the township
(备案), which orders a correction of one that breaks the law or public order (责令改正, 2025).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.domain import rulebook as R
from app.domain import text as T

CHARTER, CODE = "charter", "code"
KINDS: dict[str, str] = {CHARTER: "村民自治章程", CODE: "村规民约"}
DRAFT, ADOPTED, FILED, RETURNED = "draft", "adopted", "filed", "returned"
STATES: dict[str, str] = {DRAFT: "草稿", ADOPTED: "已通过，待乡镇备案", FILED: "已备案", RETURNED: "乡镇责令改正"}
TITLE_MAX, BODY_MAX, NOTE_MAX = 60, 50_000, 500


def check_draft(kind: str | None, title: str | None, body: str, note: str) -> dict[str, str]:
    """What is wrong with a draft, field by field (empty: nothing). `kind`/`title` None: not asked."""
    errors: dict[str, str] = {}
    if kind is not None and kind not in KINDS:
        errors["kind"] = "请选择村民自治章程或村规民约"
    if title is not None and (reason := T.field_problem(title, "名称", "请填写名称", TITLE_MAX, multiline=False)):
        errors["title"] = reason
    if reason := T.field_problem(body, "条文", "请填写条文", BODY_MAX):
        errors["body"] = reason
    if len(note) > NOTE_MAX:
        errors["note"] = f"修订说明最多 {NOTE_MAX} 个字"
    elif note and (reason := T.problem(note)):
        errors["note"] = "修订说明" + reason
    return errors


@dataclass(frozen=True)
class VoteFacts:
    """What adopting needs to know of a vote."""

    village_matches: bool
    state: str  # draft / open / closed
    passed: bool | None  # the stored result's verdict; None while not closed
    council_kind: str


def adoption_problem(v: VoteFacts) -> str | None:
    """Why this vote cannot adopt a version (None: it can). Only a passing vote of the villagers'
    assembly makes or amends the village's rules."""
    if not v.village_matches:
        return "只能用本村的表决"
    if v.state != "closed":
        return "表决结束后才能据此通过"
    if v.council_kind != R.ASSEMBLY:
        return "村民自治章程、村规民约须由村民会议表决通过"
    if not v.passed:
        return "这次表决没有通过"
    return None


def content_hash(title: str, number: int, body: str) -> str:
    """SHA-256 over the rule's title, the version's number and its text (UTF-8, joined by newlines)."""
    return hashlib.sha256(f"{title}\n{number}\n{body}".encode()).hexdigest()
