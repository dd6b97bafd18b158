"""The decision file (一事一档): from the plain facts of one matter, every step of its procedure in
order and every check of the rules, each with its verdict, its citation and its evidence.

Pure: the facts come in as `app.domain.decision_facts` (the service reads them from the database,
`cunyi verify-bundle` from a bundle's manifest); the rules come from the rulebook, the procedures,
the vote, notice and fund rules. `evaluate` gives the steps, their checks and the summary; the same
call on the same facts gives the same file, which is how a bundle is re-checked offline.

Verdicts: met (符合), not_met (不符合), not_yet (尚未进行 — the step has not happened or is under
way), waived (免于适用 — a rule that did not apply, with who waived it and why). A matter is 合规
when it is finished and no check is unmet, 不合规 when any check is unmet, 未完成 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.domain import funds as F
from app.domain import notices as N
from app.domain import procedures as P
from app.domain import rulebook as R
from app.domain.calendar import format_local, local_date_of
from app.domain.decision_facts import Matter, Move, Notice, Objection, Vote, rule_of, vote_problems
from app.domain.money import yuan

MET, NOT_MET, NOT_YET, WAIVED = "met", "not_met", "not_yet", "waived"
VERDICTS = {MET: "符合", NOT_MET: "不符合", NOT_YET: "尚未进行", WAIVED: "免于适用"}
COMPLIANT, NON_COMPLIANT, INCOMPLETE = "compliant", "non_compliant", "incomplete"
SUMMARIES = {COMPLIANT: "合规", NON_COMPLIANT: "不合规", INCOMPLETE: "未完成"}
FINAL = (P.CLOSED, P.REJECTED, P.WITHDRAWN)

LOCAL_RULES = R.Source("本村议事规则")
FUND_RULES = R.Source("村民一事一议筹资筹劳管理办法")


# --- what the file says ----------------------------------------------------------------------------

class _Verdict:
    verdict: str

    @property
    def verdict_name(self) -> str:
        return VERDICTS[self.verdict]


@dataclass(frozen=True)
class Check(_Verdict):
    key: str
    stage: str
    label: str
    verdict: str
    detail: str
    cite: str
    law: str
    edition: str
    waived_by: str | None = None
    waived_reason: str | None = None


@dataclass(frozen=True)
class Step(_Verdict):
    stage: str
    name: str
    kind: str
    status: str  # done / current / todo / skipped / stopped
    verdict: str
    entered_at: datetime | None
    entered_by: str | None
    left_at: datetime | None
    left_by: str | None
    cite: str
    law: str
    edition: str
    evidence: list[str]
    checks: list[Check]


@dataclass(frozen=True)
class File:
    steps: list[Step]
    summary: str

    @property
    def checks(self) -> list[Check]:
        return [c for s in self.steps for c in s.checks]

    @property
    def summary_name(self) -> str:
        return SUMMARIES[self.summary]

    @property
    def counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.checks if c.verdict == v) for v in VERDICTS}

    @property
    def not_met(self) -> list[str]:
        """The labels of the checks not met, in the file's order."""
        return [c.label for c in self.checks if c.verdict == NOT_MET]


def _check(key: str, stage: str, label: str, verdict: str, detail: str, source: R.Source,
           waived_by: str | None = None, waived_reason: str | None = None) -> Check:
    return Check(key, stage, label, verdict, detail, source.cite, source.law, source.edition, waived_by, waived_reason)


def _t(value: datetime | None) -> str:
    return format_local(value) if value else "—"


def _days(delta: timedelta) -> str:
    return f"{delta.days} 天" + ("多" if delta > timedelta(days=delta.days) else "")


# --- where the matter has been ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Visit:
    entered: Move | None = None
    left: Move | None = None


def _visits(m: Matter) -> dict[str, _Visit]:
    """Each stage's last visit: the move that entered it and the move that left it (None while in it).
    Moves come in the order they happened (two may share a moment: a submission and the co-signing
    it completes)."""
    visits: dict[str, _Visit] = {}
    for move in m.moves:
        if move.from_state in visits and visits[move.from_state].left is None:
            visits[move.from_state] = _Visit(visits[move.from_state].entered, move)
        visits[move.to_state] = _Visit(move, None)
    return visits


def _terminal(m: Matter) -> Move | None:
    return next((x for x in reversed(m.moves) if x.to_state == m.state), None)


def _status(m: Matter, proc: P.Procedure, stage: P.Stage, visits: dict[str, _Visit]) -> str:
    keys = [s.key for s in proc.stages]
    if m.state in keys:
        at = keys.index(m.state)
    elif m.state in (P.REJECTED, P.WITHDRAWN) and (end := _terminal(m)) and end.from_state in keys:
        at = keys.index(end.from_state) + 0.5
    else:
        at = -1
    i = keys.index(stage.key)
    if i == at:
        return "done" if stage.kind is P.Kind.CLOSED else "current"
    if i < at:
        return "done" if stage.key in visits else "skipped"
    return "stopped" if m.state in (P.REJECTED, P.WITHDRAWN) else "todo"


def _day(visit: _Visit | None, m: Matter) -> date:
    return local_date_of(visit.entered.at if visit and visit.entered else m.as_of)


# --- the checks of each kind of stage ----------------------------------------------------------------

def _cosign(m: Matter, stage: P.Stage, status: str, visit: _Visit | None) -> list[Check]:
    source = R.COSIGN_VILLAGERS.on(_day(visit, m)).source
    if status == "skipped":
        return [_check("cosign", stage.key, "联署人数达到要求", WAIVED, "事项由村委会直接提出，进入商议", source,
                       waived_by=m.author, waived_reason="村委会提出的事项不需要村民联署")]
    c = m.cosign
    if c is None:
        return [_check("cosign", stage.key, "联署人数达到要求", NOT_YET, "还没有联署记录", source)]
    progress = R.cosign_progress(c.cosigners, c.representatives, c.adults, c.all_representatives, c.day)
    detail = (f"联署 {c.cosigners} 人（本村 18 周岁以上村民 {c.adults} 人，需 {progress.villagers_needed} 人）；"
              f"其中村民代表 {c.representatives} 人（代表共 {c.all_representatives} 人，需 "
              f"{progress.representatives_needed} 人）")
    source = R.COSIGN_VILLAGERS.on(c.day).source
    if status == "current":
        return [_check("cosign", stage.key, "联署人数达到要求", NOT_YET, detail, source)]
    return [_check("cosign", stage.key, "联署人数达到要求", MET if progress.met else NOT_MET, detail, source)]


def _min_days(m: Matter, stage: P.Stage, visit: _Visit | None) -> list[Check]:
    need = m.min_days.get(stage.key, stage.default_days)
    label = f"{stage.name}不少于规定天数"
    if need <= 0:
        if stage.default_days <= 0:
            return []
        return [_check("min_days", stage.key, label, WAIVED, f"本村把{stage.name}的最少天数设为 0 天（原定 "
                       f"{stage.default_days} 天）", LOCAL_RULES, waived_by="村委会（本村设置）",
                       waived_reason="本村设置不要求最少天数")]
    start = visit.entered.at if visit and visit.entered else None
    end = visit.left.at if visit and visit.left else None
    if start is None:
        return [_check("min_days", stage.key, label, NOT_YET, f"至少 {need} 天", LOCAL_RULES)]
    lasted = (end or m.as_of) - start
    detail = f"{_t(start)} 至 {_t(end) if end else '今天'}，共 {_days(lasted)}；本村规定至少 {need} 天"
    verdict = NOT_YET if end is None else (MET if lasted >= timedelta(days=need) else NOT_MET)
    return [_check("min_days", stage.key, label, verdict, detail, LOCAL_RULES)]


def _plan(m: Matter, stage: P.Stage) -> list[Check]:
    """一事一议: the plan is announced (item, budget, money or labour per person) within the caps."""
    if m.procedure != "yishiyiyi":
        return []
    missing = [name for name, value in (("预算", m.budget_fen), ("人均筹资额或筹劳天数",
                                                                m.per_capita_fen if m.per_capita_fen is not None
                                                                else m.labour_days)) if value is None]
    out = [_check("plan", stage.key, "方案列明项目、预算和人均筹资筹劳", NOT_MET if missing else MET,
                  ("方案缺少：" + "、".join(missing)) if missing else
                  f"预算 {yuan(m.budget_fen)} 元；人均筹资 {yuan(m.per_capita_fen) or '0.00'} 元；人均筹劳 "
                  f"{m.labour_days or 0} 天；减免：{m.exemptions or '无'}", FUND_RULES)]
    if m.fund is not None:
        f = m.fund
        problems = F.cap_problems(F.Plan(f.per_capita, f.labour_days), f.per_capita_cap, f.labour_cap)
        within = (f"人均筹资 {yuan(f.per_capita)} 元（上限 {yuan(f.per_capita_cap)} 元），"
                  f"人均筹劳 {f.labour_days} 天（上限 {f.labour_cap} 天）")
        out.append(_check("cap", stage.key, "人均筹资筹劳不超过上限", NOT_MET if problems else MET,
                          "；".join(problems) or within, FUND_RULES))
    return out


def _vote_of(m: Matter, stage: str) -> Vote | None:
    votes = [v for v in m.votes if v.stage == stage]
    closed = [v for v in votes if v.state == "closed" and v.result]
    return (closed or votes or [None])[-1]


VOTE_LABEL = "表决结果按票箱和法定人数计算"


def _vote(m: Matter, stage: P.Stage, status: str, visit: _Visit | None) -> tuple[list[Check], list[str], R.Source]:
    v = _vote_of(m, stage.key)
    if v is None:
        source = R.rule_for(R.ASSEMBLY, _day(visit, m)).passing.threshold.source
        verdict = NOT_MET if status == "done" else NOT_YET
        return [_check("vote_result", stage.key, VOTE_LABEL, verdict, "没有表决记录", source)], [], source
    rule = rule_of(v)
    source = rule.passing.threshold.source
    kind = R.COUNCIL_KINDS.get(v.council.kind, v.council.kind)
    evidence = [f"{v.council.name}{'' if kind == v.council.name else f'（{kind}）'}："
                f"{'无记名' if v.secret else '记名'}投票，{v.question}",
                f"应到 {v.electorate_size} 人{f'（{v.households} 户）' if v.households else ''}；"
                f"表决指纹 {v.fingerprint or '（未开始）'}"]
    if v.state != "closed" or not v.result:
        return [_check("vote_result", stage.key, VOTE_LABEL, NOT_YET,
                       "表决还没有结束" if v.state == "open" else "表决还没有开始", source)], evidence, source
    r = v.result
    q = r.get("quorum") or {}
    counts = "、".join(f"{c.get('option')} {c.get('count')} 票" for c in r.get("counts", []))
    evidence += [f"实到 {q.get('present')} 人，法定人数 {q.get('required')} 人：{'达到' if q.get('met') else '未达到'}",
                 f"{counts}；无效 {r.get('invalid', 0)} 票；需同意 {r.get('yes_needed')} 票，"
                 f"结果：{'通过' if r.get('passed') else '未通过'}",
                 f"票箱 {len(v.receipts)} 张，票箱哈希 {v.box_hash}", f"公布的依据：{r.get('summary', '')}"]
    problems = vote_problems(v)
    checks = [_check("vote_result", stage.key, VOTE_LABEL, NOT_MET if problems else MET,
                     "；".join(problems) or f"票箱和纸质计票相加 {counts}，与公布的结果一致", source)]
    if visit is None or visit.left is None:
        followed, detail = NOT_YET, "等待村委会按表决结果推进"
    else:
        to = visit.left.to_state
        followed = MET if (to == P.REJECTED) != bool(r.get("passed")) else NOT_MET
        detail = (f"表决{'通过' if r.get('passed') else '未通过'}，"
                  f"事项{'不予通过' if to == P.REJECTED else '进入下一步'}")
    checks.append(_check("vote_followed", stage.key, "事项去向与表决结果一致", followed, detail, source))
    return checks, evidence, source


def _versions(m: Matter) -> dict[int, str | None]:
    """Each published notice's stage: its own, or the one of the version it corrects."""
    by_id = {n.id: n for n in m.notices}

    def stage_of(n: Notice, depth: int = 0) -> str | None:
        if n.stage or n.supersedes_id not in by_id or depth > 50:
            return n.stage
        return stage_of(by_id[n.supersedes_id], depth + 1)
    return {n.id: stage_of(n) for n in m.notices}


def _notice(m: Matter, stage: P.Stage, status: str, visit: _Visit | None) -> tuple[list[Check], list[str]]:
    stages = _versions(m)
    mine = [n for n in m.notices if stages[n.id] == stage.key and n.window_from and n.window_until]
    source = R.publication_source(_day(visit, m))
    if not mine:
        verdict = NOT_MET if status == "done" else NOT_YET
        return [_check("notice_published", stage.key, "公示已发布", verdict, "没有已发布的公示", source)], []
    superseded = {n.supersedes_id for n in mine}
    latest = [n for n in mine if n.id not in superseded]
    need, days_source = m.min_days.get(stage.key, stage.default_days), source
    for n in latest:  # the law's least posting days on the day it was published, where more (2025 第三十五条)
        floor = R.posting_floor(n.category, local_date_of(n.window_from))
        if floor.days > need:
            need, days_source = floor.days, floor.source
    evidence, checks, bad_hash, short = [], [], [], []
    for n in mine:
        evidence.append(f"《{n.title}》{N.KINDS.get(n.kind, '')}：{_t(n.window_from)} 至 {_t(n.window_until)}；"
                        f"内容指纹 {n.content_hash}")
        if N.content_hash(n.title, n.body, n.attachments) != n.content_hash:
            bad_hash.append(n.title)
        if n.id not in superseded and n.window_until - n.window_from < timedelta(days=need):
            short.append(f"《{n.title}》只公示 {_days(n.window_until - n.window_from)}")
    checks.append(_check("notice_hash", stage.key, "公示内容与内容指纹一致", NOT_MET if bad_hash else MET,
                         ("内容被改动：" + "、".join(bad_hash)) if bad_hash else f"{len(mine)} 份公示的指纹均可复算",
                         source))
    checks.append(_check("notice_days", stage.key, f"公示不少于 {need} 天", NOT_MET if short else MET,
                         "；".join(short) or f"公示期均不少于 {need} 天", days_source))
    unreviewed = [n.title for n in mine if n.category in N.NEEDS_REVIEW and not n.reviewed_by]
    reviewers = "、".join(sorted({n.reviewed_by for n in mine if n.reviewed_by}))
    checks.append(_check("notice_review", stage.key, "发布前经村务监督委员会审核", NOT_MET if unreviewed else MET,
                         ("未经审核：" + "、".join(unreviewed)) if unreviewed
                         else f"审核人：{reviewers or '（党务公开无需审核）'}", source))
    end = max(n.window_until for n in latest)
    left = visit.left.at if visit and visit.left else None
    ended = NOT_YET if left is None else MET if left >= end else NOT_MET
    checks.append(_check("notice_window", stage.key, "公示期满后才进入下一步", ended,
                         f"公示期至 {_t(end)}；{'进入下一步于 ' + _t(left) if left else '尚未进入下一步'}", source))
    checks.append(_objections(m, stage, [o for n in mine for o in n.objections]))
    return checks, evidence


def _objections(m: Matter, stage: P.Stage, objections: list[Objection]) -> Check:
    source = R.source_of("cwh.report", local_date_of(m.as_of))
    late = [o for o in objections if o.replied_at is not None and o.replied_at > o.due_at]
    overdue = [o for o in objections if o.replied_at is None and m.as_of > o.due_at]
    waiting = [o for o in objections if o.replied_at is None and m.as_of <= o.due_at]
    detail = f"质询 {len(objections)} 条，已答复 {sum(1 for o in objections if o.replied_at)} 条"
    if late or overdue:
        detail += f"；逾期答复 {len(late)} 条，逾期未答复 {len(overdue)} 条"
    verdict = NOT_MET if late or overdue else NOT_YET if waiting else MET
    return _check("objections", stage.key, "质询按期答复", verdict, detail, source)


def _review(m: Matter, stage: P.Stage, status: str) -> list[Check]:
    f = m.filing
    if f is None:
        verdict, detail = (NOT_MET, "没有乡镇审核记录") if status == "done" else (NOT_YET, "等待乡镇审核备案")
    else:
        verdict = MET
        detail = f"{f.by} 于 {_t(f.at)} 审核备案" + (f"，备案号 {f.number}" if f.number else "") + \
            (f"：{f.note}" if f.note else "")
    out = [_check("filing", stage.key, "乡镇审核备案", verdict, detail, FUND_RULES)]
    fund = m.fund
    if fund is not None:
        first = fund.first_payment_on
        if first is None:
            paid = MET if f is not None else NOT_YET
            text = "还没有收筹资款"
        elif f is None or first < local_date_of(f.at):
            paid, text = NOT_MET, f"{first:%Y-%m-%d} 开始收款，早于乡镇审核"
        else:
            paid, text = MET, f"{first:%Y-%m-%d} 开始收款，在乡镇审核之后"
        out.append(_check("fund_after_filing", stage.key, "乡镇审核后才筹资", paid, text, FUND_RULES))
    return out


def _fund_evidence(m: Matter) -> list[str]:
    f = m.fund
    if f is None:
        return []
    return [f"应筹 {yuan(f.due)} 元（{f.households} 户），已收 {yuan(f.paid)} 元",
            f"一事一议资金：收入 {yuan(f.raised)} 元，支出 {yuan(f.spent)} 元，结余 {yuan(f.raised - f.spent)} 元",
            f"投劳：应投 {f.labour_due} 个工日，已投 {f.labour_done} 个工日"]


def _result_published(m: Matter, stage: P.Stage) -> list[Check]:
    """一事一议: after acceptance the result is published (实施结果公开)."""
    if m.procedure != "yishiyiyi":
        return []
    done = [n for n in m.notices if n.kind == "implementation" and n.published_at is not None]
    source = R.publication_source(local_date_of(m.as_of))
    detail = f"《{done[-1].title}》{_t(done[-1].published_at)} 发布" if done else "实施结果公开还没有发布"
    return [_check("result_published", stage.key, "实施结果已公开", MET if done else NOT_YET, detail, source)]


# --- the file --------------------------------------------------------------------------------------

def _verdict(status: str, checks: list[Check]) -> str:
    verdicts = {c.verdict for c in checks}
    if NOT_MET in verdicts:
        return NOT_MET
    if NOT_YET in verdicts or status in ("current", "todo", "stopped"):
        return NOT_YET
    if verdicts == {WAIVED}:
        return WAIVED
    return MET


def _step(m: Matter, proc: P.Procedure, stage: P.Stage, visits: dict[str, _Visit]) -> Step:
    status = _status(m, proc, stage, visits)
    visit = visits.get(stage.key)
    checks: list[Check] = []
    evidence: list[str] = []
    source = LOCAL_RULES
    reached = status in ("done", "current")
    if stage.kind is P.Kind.COSIGN and status != "todo" and status != "stopped":
        checks = _cosign(m, stage, status, visit)
        source = R.COSIGN_VILLAGERS.on(_day(visit, m)).source
    elif stage.kind is P.Kind.DELIBERATION and reached:
        checks = _min_days(m, stage, visit) + _plan(m, stage)
        evidence = [f"意见 {m.comments} 条"]
        source = FUND_RULES if m.procedure == "yishiyiyi" else LOCAL_RULES
    elif stage.kind is P.Kind.VOTE and reached:
        checks, evidence, source = _vote(m, stage, status, visit)
    elif stage.kind is P.Kind.NOTICE and reached:
        checks, evidence = _notice(m, stage, status, visit)
        source = R.publication_source(_day(visit, m))
    elif stage.kind is P.Kind.REVIEW and reached:
        checks, source = _review(m, stage, status), FUND_RULES
    elif stage.kind in (P.Kind.IMPLEMENTATION, P.Kind.ACCEPTANCE) and reached:
        evidence = _fund_evidence(m)
        source = FUND_RULES if stage.kind is P.Kind.IMPLEMENTATION else R.source_of("cwh.supervision", _day(visit, m))
    elif stage.kind is P.Kind.CLOSED and reached:
        checks = _result_published(m, stage)
    entered = visit.entered if visit else None
    left = visit.left if visit and status == "done" else None
    return Step(stage.key, stage.name, stage.kind.value, status, _verdict(status, checks),
                entered.at if entered else None, entered.who if entered else None,
                left.at if left else None, left.who if left else None,
                source.cite, source.law, source.edition, evidence, checks)


def _outcome(m: Matter) -> Step | None:
    """A matter not passed (不予通过) or withdrawn (撤回): the move that ended it."""
    end = _terminal(m) if m.state in (P.REJECTED, P.WITHDRAWN) else None
    if end is None:
        return None
    name = P.state_name(m.procedure, m.state)
    checks = []
    if m.state == P.REJECTED and end.action == P.Action.REJECT:
        checks.append(_check("reason", m.state, "不予通过写明理由", MET if (end.note or "").strip() else NOT_MET,
                             end.note or "没有写明理由", LOCAL_RULES))
    evidence = [f"理由：{end.note}"] if end.note else []
    return Step(m.state, name, "outcome", "done", _verdict("done", checks), end.at, end.who, end.at, end.who,
                LOCAL_RULES.cite, LOCAL_RULES.law, LOCAL_RULES.edition, evidence, checks)


def evaluate(m: Matter) -> File:
    """The matter's steps in the procedure's order, each with its checks, and the summary."""
    proc = P.PROCEDURES[m.procedure]
    visits = _visits(m)
    steps = [_step(m, proc, stage, visits) for stage in proc.stages]
    if (end := _outcome(m)) is not None:
        steps.append(end)
    verdicts = {c.verdict for s in steps for c in s.checks}
    if NOT_MET in verdicts:
        summary = NON_COMPLIANT
    elif m.state not in FINAL or NOT_YET in verdicts:
        summary = INCOMPLETE
    else:
        summary = COMPLIANT
    return File(steps, summary)


# --- a verdict kept on the matter: whether it still holds ---------------------------------------------

VERDICT_EVERY = timedelta(hours=1)  # a live matter's kept verdict is worked out again at most this often
VERDICT_SETTLE = timedelta(days=30)  # a finished matter keeps being looked at this long (late replies)


def verdict_current(verdict_at: datetime | None, updated_at: datetime, state: str,
                    stage_entered_at: datetime | None, now: datetime) -> bool:
    """Whether the verdict kept on a matter (the `verdicts` job's) may be shown as it is: worked out
    after the matter's last change, and either within VERDICT_EVERY (a file's checks also move with
    time: a notice's days, a vote's close) or the matter finished more than VERDICT_SETTLE ago (a
    finished matter whose stage time is unknown counts as settled). The job's query
    (services/decision_files.py, `stale_verdict`) is this rule's negation in SQL."""
    if verdict_at is None or updated_at > verdict_at:
        return False
    if verdict_at >= now - VERDICT_EVERY:
        return True
    return state in FINAL and (stage_entered_at is None or stage_entered_at <= now - VERDICT_SETTLE)
