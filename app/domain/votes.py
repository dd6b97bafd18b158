"""Pure rules of a vote: options, the electorate's fingerprint, receipts, paper-tally checks, and
turning counts into a result with the rulebook."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain import rulebook
from app.domain import text as T
from app.domain.people import CODE_ALPHABET

APPROVE_OPTIONS = ["同意", "反对", "弃权"]
QUESTION_MAX = 500
OPTION_MAX = 100
MAX_OPTIONS = 10
RECEIPT_LENGTH = 10
# When a vote may run: planned at most a year ahead, open at most 90 days, and not planned to start
# more than a day ago (a draft left lying must get new times before it is edited or opened).
OPENS_AHEAD_MAX = timedelta(days=365)
OPENS_BEHIND_MAX = timedelta(days=1)
DURATION_MAX = timedelta(days=90)


def fingerprint(voter_ids: list[int], question: str, options: list[str]) -> str:
    """SHA-256 over the sorted voter ids, the question and the options, fixed at opening."""
    body = "\n".join(str(v) for v in sorted(voter_ids)) + "\n--\n" + question + "\n--\n"
    body += json.dumps(options, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def new_receipt() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(RECEIPT_LENGTH))


def new_box_id() -> str:
    return secrets.token_hex(16)


def is_approval(options: list[str]) -> bool:
    return options == APPROVE_OPTIONS


def check_definition(question: str, options: list[str], opens_at: datetime, closes_at: datetime,
                     secret: bool, allow_change: bool, now: datetime) -> dict[str, str]:
    """Every problem with a vote's definition, by field, in Chinese; `now` bounds its times."""
    errors: dict[str, str] = {}
    if not question.strip():
        errors["question"] = "请填写表决事项"
    elif len(question) > QUESTION_MAX:
        errors["question"] = f"表决事项最多 {QUESTION_MAX} 个字"
    elif reason := T.problem(question, multiline=True, required=True):
        errors["question"] = "表决事项" + reason
    cleaned = [o.strip() for o in options]
    if len(cleaned) < 2:
        errors["options"] = "至少要有两个选项"
    elif len(cleaned) > MAX_OPTIONS:
        errors["options"] = f"最多 {MAX_OPTIONS} 个选项"
    elif any(T.is_blank(o) or len(o) > OPTION_MAX for o in cleaned):
        errors["options"] = f"选项不能为空，每项最多 {OPTION_MAX} 个字"
    elif reasons := [r for o in cleaned if (r := T.problem(o, multiline=False))]:
        errors["options"] = "选项" + reasons[0]
    elif len(set(cleaned)) != len(cleaned):
        errors["options"] = "选项不能重复"
    if opens_at < now - OPENS_BEHIND_MAX:
        errors["opens_at"] = "开始时间不能早于 24 小时以前"
    elif opens_at > now + OPENS_AHEAD_MAX:
        errors["opens_at"] = "开始时间最多定在一年以内"
    if closes_at <= opens_at:
        errors["closes_at"] = "结束时间要晚于开始时间"
    elif closes_at - opens_at > DURATION_MAX:
        errors["closes_at"] = f"投票时间最长 {DURATION_MAX.days} 天"
    if secret and allow_change:
        errors["allow_change"] = "无记名投票不能改票"
    return errors


def check_paper(counts: list[int], invalid: int, present: int, options: int) -> str | None:
    """Paper ballots must add up: options + invalid = ballots ≤ those signed in."""
    if len(counts) != options:
        return f"请填写每个选项的票数（共 {options} 项）"
    if any(c < 0 for c in counts) or invalid < 0:
        return "票数不能是负数"
    if sum(counts) + invalid > present:
        return f"票数合计 {sum(counts) + invalid} 张，超过签到人数 {present} 人"
    return None


@dataclass(frozen=True)
class Tally:
    options: list[str]
    counts: list[int]  # online + paper, per option
    invalid: int
    members: int
    households: int
    present: int
    households_present: int


def result(rule: rulebook.CouncilRule, tally: Tally) -> dict:
    """The published result: quorum, counts, passed, the rule and its citation."""
    if is_approval(tally.options):
        yes = tally.counts[0]
        winner = 0
    else:
        top = max(tally.counts) if tally.counts else 0
        leaders = [i for i, c in enumerate(tally.counts) if c == top]
        winner = leaders[0] if len(leaders) == 1 and top > 0 else None
        yes = top if winner is not None else 0
    outcome = rulebook.decide(rule, rulebook.Turnout(tally.members, tally.households, tally.present,
                                                      tally.households_present), yes)
    passed = outcome.passed and winner is not None
    by_households = next((m for m in rule.quorum if m.basis == rulebook.HOUSEHOLDS), None)
    return {
        "quorum": {
            "required": outcome.quorum.required,
            "present": outcome.quorum.present,
            "met": outcome.quorum.met,
            "rule": outcome.quorum.text,
            # the alternative measure (户数), where the rule has one
            "households_required": by_households.threshold.needed(tally.households) if by_households else None,
            "households_present": tally.households_present,
        },
        "counts": [{"option": o, "count": c} for o, c in zip(tally.options, tally.counts, strict=True)],
        "invalid": tally.invalid,
        "electorate": tally.members,
        "households": tally.households,
        "households_present": tally.households_present,
        "winner": tally.options[winner] if winner is not None else None,
        "yes": yes,
        "yes_needed": outcome.yes_needed,
        "passed": passed,
        "rule": outcome.rule,
        "citation": outcome.citation,
        "summary": f"{outcome.citation}：{outcome.rule}",
    }
