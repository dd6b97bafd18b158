"""Procedures as data: 一事一议, 四议两公开 and the simple procedure.

A procedure is an ordered list of stages. Each stage names its kind, who may move it on, how
long it must at least last, and what must be true to leave it. `decide` is the one function that
says whether an action on a proposal is allowed now, and where it leads; services feed it the
facts (roles, times, co-signatures, vote and notice outcomes) and record what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.roles import COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, VILLAGE_ROLES

MONITOR = "monitor"  # a township monitor of the proposal's township (not a village role)
AUTHOR = "author"

DRAFT = "draft"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
CLOSED = "closed"


class Kind(StrEnum):
    COSIGN = "cosign"
    DELIBERATION = "deliberation"
    VOTE = "vote"
    NOTICE = "notice"
    REVIEW = "review"
    IMPLEMENTATION = "implementation"
    ACCEPTANCE = "acceptance"
    CLOSED = "closed"


class Action(StrEnum):
    SUBMIT = "submit"
    ADVANCE = "advance"
    RETURN = "return"
    WITHDRAW = "withdraw"
    REJECT = "reject"


ACTION_NAMES = {
    Action.SUBMIT: "提交",
    Action.ADVANCE: "进入下一步",
    Action.RETURN: "退回修改",
    Action.WITHDRAW: "撤回",
    Action.REJECT: "不予通过",
}


@dataclass(frozen=True)
class Stage:
    key: str
    kind: Kind
    name: str
    help: str
    movers: tuple[str, ...] = ()  # roles that may advance it; empty: it moves by itself
    default_days: int = 0  # minimum days in the stage; a village may change it


@dataclass(frozen=True)
class Procedure:
    key: str
    name: str
    help: str
    stages: tuple[Stage, ...]

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def index(self, key: str) -> int:
        return [s.key for s in self.stages].index(key)

    def after(self, key: str) -> Stage:
        return self.stages[self.index(key) + 1]

    @property
    def first(self) -> Stage:
        return self.stages[0]


_CLOSED = Stage(CLOSED, Kind.CLOSED, "已办结", "事项已办结，全过程留档备查。")

YISHIYIYI = Procedure(
    "yishiyiyi",
    "一事一议",
    "村民筹资筹劳兴办公益事业：民主提事、民主商事、民主决事、公示、乡镇审核、民主理事、民主监事。",
    (
        Stage("cosign", Kind.COSIGN, "提事（联署）",
              "村民提出的事项，须十分之一以上的村民或五分之一以上的村民代表联署，才能进入商议。"),
        Stage("deliberation", Kind.DELIBERATION, "商事（公开商议）",
              "方案（项目、预算、人均筹资额、减免对象）公开，村民发表意见；商议期满后由村委会提交表决。",
              (COMMITTEE,), 7),
        Stage("vote", Kind.VOTE, "决事（表决）", "由村民会议或村民代表会议表决，按法定人数和多数计票。",
              (COMMITTEE,)),
        Stage("notice", Kind.NOTICE, "公示", "表决结果公示不少于 7 天，村民可以提出质询。", (COMMITTEE,), 7),
        Stage("review", Kind.REVIEW, "乡镇审核备案", "乡镇审核筹资筹劳方案并备案；审核通过后方可筹资。", (MONITOR,)),
        Stage("implementation", Kind.IMPLEMENTATION, "理事（组织实施）", "村委会组织实施，定期公开进度和收支。",
              (COMMITTEE,)),
        Stage("acceptance", Kind.ACCEPTANCE, "监事（验收）", "村务监督委员会验收，结果向村民公开。", (SUPERVISOR,)),
        _CLOSED,
    ),
)

SIZHENG = Procedure(
    "sizheng",
    "四议两公开",
    "村党组织提议、村“两委”会议商议、党员大会审议、村民会议或村民代表会议决议；决议公开、实施结果公开。",
    (
        Stage("party_proposal", Kind.DELIBERATION, "党组织提议", "村党组织就重大事项提出初步意见。",
              (PARTY_COMMITTEE,)),
        Stage("joint_meeting", Kind.DELIBERATION, "两委商议", "村“两委”联席会议商议，形成方案。",
              (COMMITTEE, PARTY_COMMITTEE), 3),
        Stage("party_review", Kind.VOTE, "党员大会审议", "党员大会审议方案。", (PARTY_COMMITTEE,)),
        Stage("resolution", Kind.VOTE, "村民（代表）会议决议", "村民会议或村民代表会议表决。", (COMMITTEE,)),
        Stage("resolution_notice", Kind.NOTICE, "决议公开", "决议内容公开不少于 7 天。", (COMMITTEE,), 7),
        Stage("implementation", Kind.IMPLEMENTATION, "组织实施", "村委会组织实施。", (COMMITTEE,)),
        Stage("result_notice", Kind.NOTICE, "实施结果公开", "实施结果向村民公开。", (COMMITTEE,), 7),
        _CLOSED,
    ),
)

SIMPLE = Procedure(
    "simple",
    "简易程序",
    "村里自定的小事：商议、表决、公开。",
    (
        Stage("deliberation", Kind.DELIBERATION, "商议", "公开商议，村民发表意见。", (COMMITTEE,), 0),
        Stage("vote", Kind.VOTE, "表决", "按本村规定表决。", (COMMITTEE,)),
        Stage("notice", Kind.NOTICE, "公开", "表决结果公开。", (COMMITTEE,), 0),
        _CLOSED,
    ),
)

PROCEDURES: dict[str, Procedure] = {p.key: p for p in (YISHIYIYI, SIZHENG, SIMPLE)}


def states_moved_by(roles: set[str] | frozenset[str]) -> dict[str, list[str]]:
    """Per procedure, the states of the stages that one of `roles` moves a matter on from (its
    queue); procedures where they move none are left out."""
    moved = {key: [s.key for s in proc.stages if roles.intersection(s.movers)] for key, proc in PROCEDURES.items()}
    return {key: states for key, states in moved.items() if states}


def states_of_kinds(*kinds: Kind) -> dict[str, list[str]]:
    """Per procedure, the states of its stages of these kinds (co-signing, deliberation …);
    procedures with none are left out."""
    found = {key: [s.key for s in proc.stages if s.kind in kinds] for key, proc in PROCEDURES.items()}
    return {key: states for key, states in found.items() if states}


# Who may start a proposal under each procedure directly (skipping co-signing).
DIRECT_SUBMITTERS: dict[str, tuple[str, ...]] = {
    "yishiyiyi": (COMMITTEE,),
    "sizheng": (PARTY_COMMITTEE,),
    "simple": (COMMITTEE,),
}
# Who may draft a proposal under each procedure at all.
AUTHORS: dict[str, tuple[str, ...]] = {
    "yishiyiyi": tuple(VILLAGE_ROLES),
    "sizheng": (PARTY_COMMITTEE,),
    "simple": (COMMITTEE,),
}


@dataclass(frozen=True)
class Facts:
    """What a service knows about the proposal and the actor when an action is asked for."""

    procedure: str
    state: str  # DRAFT, a stage key, REJECTED, WITHDRAWN or CLOSED
    entered_at: datetime | None
    now: datetime
    roles: frozenset[str]  # the actor's roles here, plus MONITOR / AUTHOR where they apply
    min_days: int = 0  # the village's minimum for the current stage
    cosign_met: bool = False
    vote_outcome: str | None = None  # None (no result yet), "passed", "failed"
    notice_done: bool = False
    has_reason: bool = False
    is_admin: bool = False


@dataclass(frozen=True)
class Decision:
    ok: bool
    to_state: str | None = None
    status: int = 200  # 403 wrong role, 409 wrong moment
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    field: str | None = None  # the input at fault, for a 422: "action" or "note"


def _refuse(status: int, reason: str, at: str | None = None) -> Decision:
    return Decision(False, None, status, reason, field=at)


def _may(facts: Facts, roles: tuple[str, ...]) -> bool:
    return facts.is_admin or bool(facts.roles.intersection(roles))


def _role_names(roles: tuple[str, ...]) -> str:
    names = {MONITOR: "乡镇监督员", AUTHOR: "提议人", **VILLAGE_ROLES}
    return "或".join(names[r] for r in roles)


def entry_state(procedure: str, roles: frozenset[str], is_admin: bool = False) -> str:
    """Where a submitted proposal starts: co-signing, unless its author may submit directly."""
    proc = PROCEDURES[procedure]
    if proc.first.kind is Kind.COSIGN and (is_admin or roles.intersection(DIRECT_SUBMITTERS[procedure])):
        return proc.after(proc.first.key).key
    return proc.first.key


def decide(action: str, facts: Facts) -> Decision:
    """May this actor take this action now? If so, to which state does it lead."""
    proc = PROCEDURES[facts.procedure]
    try:
        act = Action(action)
    except ValueError:
        return _refuse(422, "不认识的操作", "action")
    terminal = {REJECTED: "事项已不予通过", WITHDRAWN: "事项已撤回", CLOSED: "事项已办结"}
    if facts.state in terminal:
        return _refuse(409, f"{terminal[facts.state]}，不能再操作")

    if facts.state == DRAFT:
        if act is Action.SUBMIT:
            if AUTHOR not in facts.roles and not facts.is_admin:
                return _refuse(403, "只有提议人可以提交")
            return Decision(True, entry_state(facts.procedure, facts.roles, facts.is_admin))
        if act is Action.WITHDRAW:
            if AUTHOR not in facts.roles and not facts.is_admin:
                return _refuse(403, "只有提议人可以撤回")
            return Decision(True, WITHDRAWN)
        return _refuse(409, "草稿还没有提交")

    stage = proc.stage(facts.state)
    if act is Action.SUBMIT:
        return _refuse(409, "事项已经提交过了")

    if act is Action.WITHDRAW:
        if AUTHOR not in facts.roles and not facts.is_admin:
            return _refuse(403, "只有提议人可以撤回")
        if proc.index(stage.key) >= _first_vote_index(proc):
            return _refuse(409, "已进入表决，不能撤回")
        return Decision(True, WITHDRAWN)

    if act is Action.RETURN and stage.kind is Kind.REVIEW:  # the township sends the plan back
        if not _may(facts, stage.movers):
            return _refuse(403, f"这项操作需要{_role_names(stage.movers)}身份")
        if not facts.has_reason:
            return _refuse(422, "请写明退回的理由", "note")
        return Decision(True, next((s.key for s in proc.stages if s.kind is Kind.DELIBERATION), DRAFT))

    if act in (Action.RETURN, Action.REJECT):
        movers = (COMMITTEE,) if facts.procedure != "sizheng" else (COMMITTEE, PARTY_COMMITTEE)
        if not _may(facts, movers):
            return _refuse(403, f"这项操作需要{_role_names(movers)}身份")
        if stage.kind not in (Kind.COSIGN, Kind.DELIBERATION):
            return _refuse(409, "只有在联署或商议阶段才能退回或不予通过")
        if not facts.has_reason:
            return _refuse(422, "请写明理由", "note")
        return Decision(True, DRAFT if act is Action.RETURN else REJECTED)

    # advance
    if stage.kind is Kind.COSIGN:
        if facts.cosign_met:
            return Decision(True, proc.after(stage.key).key)
        return _refuse(409, "联署人数还不够")
    if not _may(facts, stage.movers):
        return _refuse(403, f"这一步需要{_role_names(stage.movers)}来推进")
    if facts.entered_at is not None and facts.min_days > 0:
        ready_at = facts.entered_at + timedelta(days=facts.min_days)
        if facts.now < ready_at:
            left = ready_at - facts.now
            days = left.days + (1 if left.seconds or left.microseconds else 0)
            return _refuse(409, f"{stage.name}至少要 {facts.min_days} 天，还差约 {days} 天")
    if stage.kind is Kind.VOTE:
        if facts.vote_outcome == "failed":
            return Decision(True, REJECTED, notes=["表决未通过"])
        if facts.vote_outcome != "passed":  # no result yet, or one we do not understand: fail closed
            return _refuse(409, "还没有表决结果")
    if stage.kind is Kind.NOTICE and not facts.notice_done:
        return _refuse(409, "公示还没有发布、公示期还没结束，或还有质询没有答复")
    return Decision(True, proc.after(stage.key).key)


def _first_vote_index(proc: Procedure) -> int:
    for i, stage in enumerate(proc.stages):
        if stage.kind is Kind.VOTE:
            return i
    return len(proc.stages)


# The states outside every procedure's stages: before the first, and the two ends short of the last.
_OUTSIDE_STAGES = {DRAFT: "草稿", REJECTED: "不予通过", WITHDRAWN: "已撤回"}


def all_states() -> dict[str, str]:
    """Every state a matter can be in, under any procedure, with a name (a stage named differently
    by two procedures gets the first one's): a list's filter takes these."""
    states = {DRAFT: _OUTSIDE_STAGES[DRAFT]}
    for proc in PROCEDURES.values():
        for stage in proc.stages:
            states.setdefault(stage.key, stage.name)
    return {**states, **_OUTSIDE_STAGES}


STATES = all_states()


def state_name(procedure: str, state: str) -> str:
    if state in _OUTSIDE_STAGES:
        return _OUTSIDE_STAGES[state]
    return PROCEDURES[procedure].stage(state).name
