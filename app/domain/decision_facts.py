"""The plain facts of one matter's decision file (一事一档), how a vote's record adds up (the ballot
box's hash, the result recounted from the box), and the facts' JSON both ways.

The service reads these from the database; `cunyi verify-bundle` reads them from a bundle's
manifest (docs/decision-bundle.md); `app.domain.decision.evaluate` turns them into the steps and the
checks. Names (`who`, `by`) are as the viewer of the file may see them: office holders in full, other
people masked (李**). Times are aware UTC; in JSON, ISO 8601 with "Z".
"""

from __future__ import annotations

import hashlib
import types
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any, Union, get_args, get_origin, get_type_hints

from app.domain import rulebook as R
from app.domain import votes as V
from app.domain.audit_chain import canonical
from app.domain.calendar import local_date_of

FORMAT = "cunyi.decision-bundle.v1"  # the manifest's format (docs/decision-bundle.md)


# --- the facts -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    """One transition of the matter; `who` is "role name" as the viewer may see it ("" for the system)."""

    action: str
    from_state: str
    to_state: str
    at: datetime
    who: str = ""
    note: str | None = None


@dataclass(frozen=True)
class Cosign:
    """Co-signatures counted when support crossed the threshold (or today, while still co-signing)."""

    cosigners: int
    representatives: int
    adults: int
    all_representatives: int
    day: date


@dataclass(frozen=True)
class Council:
    kind: str
    name: str
    quorum: list[int] | None = None  # a custom body's [numerator, denominator]
    quorum_inclusive: bool = True
    passing: list[int] | None = None
    pass_inclusive: bool = False


@dataclass(frozen=True)
class Paper:
    counts: list[int]
    invalid: int
    signed_in: int
    confirmed: bool


@dataclass(frozen=True)
class Vote:
    id: int
    stage: str
    council: Council
    question: str
    options: list[str]
    secret: bool
    special_rule: str | None
    state: str
    opens_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    electorate: list[int]  # the frozen voter ids (the fingerprint's first part)
    electorate_size: int
    households: int
    fingerprint: str | None
    box_counts: list[int]  # online ballots per option, from the box
    receipts: list[str]  # the box's receipts, sorted
    box_hash: str | None
    paper: Paper | None
    result: dict | None  # the result stored at close


@dataclass(frozen=True)
class Objection:
    id: int
    by: str
    body: str
    raised_at: datetime
    due_at: datetime
    reply: str | None = None
    replied_by: str | None = None
    replied_at: datetime | None = None


@dataclass(frozen=True)
class Notice:
    id: int
    stage: str | None
    category: str
    kind: str
    title: str
    body: str
    attachments: list[str]  # SHA-256 of its files
    content_hash: str | None
    days: int
    published_at: datetime | None
    window_from: datetime | None
    window_until: datetime | None
    published_by: str
    reviewed_by: str | None
    supersedes_id: int | None
    objections: list[Objection]


@dataclass(frozen=True)
class Fund:
    per_capita: int
    labour_days: int
    per_capita_cap: int
    labour_cap: int
    households: int
    due: int
    paid: int
    raised: int
    spent: int
    labour_due: int
    labour_done: int
    first_payment_on: date | None


@dataclass(frozen=True)
class Filing:
    by: str
    at: datetime
    number: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Matter:
    id: int
    title: str
    procedure: str
    state: str
    author: str
    created_at: datetime
    submitted_at: datetime | None
    budget_fen: int | None
    per_capita_fen: int | None
    labour_days: int | None
    exemptions: str | None
    comments: int
    min_days: dict[str, int]  # each stage's minimum days as the village has it
    as_of: datetime  # the moment the file was drawn up: "now" for every check
    moves: list[Move]
    cosign: Cosign | None
    votes: list[Vote]
    notices: list[Notice]
    filing: Filing | None
    fund: Fund | None



# --- the ballot box and the result arithmetic --------------------------------------------------------

def box_hash(vote_id: int, options: list[str], counts: list[int], receipts: list[str]) -> str:
    """SHA-256 of the closed box as it is published: the options, the online count of each, and the
    receipts sorted (compact JSON, sorted keys, Chinese kept as is). No receipt is paired with a choice."""
    return hashlib.sha256(canonical({"counts": counts, "options": options, "receipts": sorted(receipts),
                                     "vote": vote_id})).hexdigest()


def decision_day(v: Vote) -> date:
    return local_date_of(v.opened_at or v.opens_at)


def rule_of(v: Vote) -> R.CouncilRule:
    """The council's rule under the law in force on the vote's opening day (with a special matter's)."""
    day, c = decision_day(v), v.council
    if c.kind == R.CUSTOM:
        q, p = c.quorum or [1, 2], c.passing or [1, 2]
        rule = R.custom_rule(c.name, Fraction(q[0], q[1]), c.quorum_inclusive, Fraction(p[0], p[1]), c.pass_inclusive)
    else:
        rule = R.rule_for(c.kind, day)
    return R.with_special(rule, v.special_rule, day)


def recount(v: Vote) -> dict:
    """The result again, from the box's counts, the confirmed paper count and the turnout stored at close."""
    paper = v.paper if v.paper is not None and v.paper.confirmed else None
    counts = [b + (paper.counts[i] if paper else 0) for i, b in enumerate(v.box_counts)]
    quorum = (v.result or {}).get("quorum") or {}
    return V.result(rule_of(v), V.Tally(list(v.options), counts, paper.invalid if paper else 0, v.electorate_size,
                                        v.households, int(quorum.get("present", 0)),
                                        int(quorum.get("households_present", 0))))


def vote_problems(v: Vote) -> list[str]:
    """Where a vote's record does not add up: fingerprint, box, counts and the stored result."""
    out = []
    if v.fingerprint and V.fingerprint(v.electorate, v.question, v.options) != v.fingerprint:
        out.append("表决指纹与名单、表决事项不符")
    if v.fingerprint and len(v.electorate) != v.electorate_size:
        out.append(f"名单 {len(v.electorate)} 人，与记录的应到 {v.electorate_size} 人不符")
    if v.state != "closed" or not v.result:
        return out
    if len(v.box_counts) != len(v.options) or (v.paper and len(v.paper.counts) != len(v.options)):
        return [*out, "计票的选项数与表决选项不符"]
    if v.box_hash != box_hash(v.id, v.options, v.box_counts, v.receipts):
        out.append("票箱哈希与票箱内容不符")
    if len(v.receipts) != sum(v.box_counts):
        out.append(f"回执 {len(v.receipts)} 张，与票箱 {sum(v.box_counts)} 张不符")
    again, stored = recount(v), v.result
    if [c["count"] for c in again["counts"]] != [c.get("count") for c in stored.get("counts", [])]:
        out.append("公布的票数与票箱和纸质计票之和不符")
    if again["invalid"] != stored.get("invalid"):
        out.append("无效票数与纸质计票不符")
    q, sq = again["quorum"], stored.get("quorum") or {}
    if (q["required"], q["met"]) != (sq.get("required"), sq.get("met")):
        out.append("法定人数的计算与公布的结果不符")
    if (again["yes"], again["yes_needed"], again["passed"]) != (stored.get("yes"), stored.get("yes_needed"),
                                                                 stored.get("passed")):
        out.append("通过与否的计算与公布的结果不符")
    if not sum(v.box_counts) <= q["present"] <= v.electorate_size:
        out.append("实到人数与票数、应到人数不符")
    return out


# --- JSON, both ways ---------------------------------------------------------------------------------

def dump(value: Any) -> Any:
    """Facts (and file parts) as JSON values: times as UTC ISO 8601 with "Z", dates as YYYY-MM-DD."""
    if is_dataclass(value):
        return {f.name: dump(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    return value


def load(kind: Any, value: Any) -> Any:
    """The typed facts back from JSON; a wrong shape raises ValueError (a tampered or foreign file)."""
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        return load(next(a for a in get_args(kind) if a is not type(None)), value)
    if origin is list:
        _expect(value, list)
        return [load(get_args(kind)[0], v) for v in value]
    if origin is dict:
        _expect(value, dict)
        return {_expect(k, str): load(get_args(kind)[1], v) for k, v in value.items()}
    if is_dataclass(kind):
        _expect(value, dict)
        hints = get_type_hints(kind)
        missing = [f.name for f in fields(kind) if f.name not in value]
        if missing:
            raise ValueError(f"缺少字段 {', '.join(missing)}")
        return kind(**{f.name: load(hints[f.name], value[f.name]) for f in fields(kind)})
    if kind is datetime:
        return datetime.fromisoformat(_expect(value, str).replace("Z", "+00:00"))
    if kind is date:
        return date.fromisoformat(_expect(value, str))
    if kind is int and isinstance(value, bool):
        raise ValueError("应为整数")
    return _expect(value, kind)


def _expect(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise ValueError(f"应为 {kind.__name__}，实为 {type(value).__name__}")
    return value
