"""The decision file's rules (app/domain/decision.py, decision_facts.py), table by table, each at its
boundary: co-signing, days of deliberation, the plan and its caps, the vote (its arithmetic from the
box, the law's edition by its day, the outcome followed), the notice (hash, days, review, window,
objections), the township's filing and money raised after it, the result published, the summary;
the ballot box's hash (a fixed vector, as in docs/decision-bundle.md) and the facts' JSON both ways."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain import decision as D
from app.domain import decision_facts as DF
from app.domain import notices as N
from app.domain import procedures as P
from app.domain import rulebook as R
from app.domain import votes as V
from app.domain.calendar import local_date_of

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
CHAIR, MONITOR, SUPERVISOR = "村委会 主任", "乡镇监督员 郑监督", "村务监督委员会 监委会主任"
OPTIONS = ["同意", "反对", "弃权"]
QUESTION = "是否同意硬化村口道路？"


def move(action: str, frm: str, to: str, at: datetime, who: str = CHAIR, note: str | None = None) -> DF.Move:
    return DF.Move(action, frm, to, at, who, note)


MOVES = [
    move("submit", "draft", "deliberation", T0),
    move("advance", "deliberation", "vote", T0 + 8 * DAY),
    move("advance", "vote", "notice", T0 + 9 * DAY),
    move("advance", "notice", "review", T0 + 25 * DAY),  # the resolution posted 15 days (2025 第三十五条)
    move("advance", "review", "implementation", T0 + 26 * DAY, MONITOR, "同意备案"),
    move("advance", "implementation", "acceptance", T0 + 38 * DAY),
    move("advance", "acceptance", "closed", T0 + 39 * DAY, SUPERVISOR),
]


def vote(counts=(6, 2, 0), present: int = 8, members: int = 10, households: int = 4, households_present: int = 3,
         council: DF.Council | None = None, opened: datetime = T0 + 8 * DAY + 3600 * SECOND, vid: int = 9,
         **changes) -> DF.Vote:
    """A closed vote whose record adds up: the stored result is what the rule makes of the box."""
    council = council or DF.Council(R.ASSEMBLY, "村民会议")
    electorate = list(range(1, members + 1))
    receipts = [f"R{i:09d}" for i in range(sum(counts))]
    base = DF.Vote(id=vid, stage="vote", council=council, question=QUESTION, options=list(OPTIONS), secret=True,
                   special_rule=None, state="closed", opens_at=opened, opened_at=opened, closed_at=T0 + 9 * DAY,
                   electorate=electorate, electorate_size=members, households=households,
                   fingerprint=V.fingerprint(electorate, QUESTION, OPTIONS), box_counts=list(counts),
                   receipts=receipts, box_hash=DF.box_hash(vid, OPTIONS, list(counts), receipts), paper=None,
                   result=None)
    base = replace(base, **changes)
    tally = V.Tally(list(OPTIONS), list(base.box_counts), 0, members, households, present, households_present)
    return replace(base, result=V.result(DF.rule_of(base), tally)) if base.result is None else base


def objection(raised: datetime = T0 + 10 * DAY, replied: datetime | None = T0 + 11 * DAY,
              due: datetime = T0 + 20 * DAY) -> DF.Objection:
    return DF.Objection(1, "村民 村**", "水泥标号？", raised, due, "C30" if replied else None,
                        CHAIR if replied else None, replied)


def notice(days: int = 15, published: datetime = T0 + 9 * DAY + 3600 * SECOND, category: str = "village",
           reviewed: str | None = SUPERVISOR, body: str = "表决通过。", objections=None, **changes) -> DF.Notice:
    title = "关于《硬化村口道路》的表决结果公示"
    base = DF.Notice(id=5, stage="notice", category=category, kind="resolution", title=title, body=body,
                     attachments=[], content_hash=N.content_hash(title, body, []), days=days, published_at=published,
                     window_from=published, window_until=published + days * DAY, published_by=CHAIR,
                     reviewed_by=reviewed, supersedes_id=None,
                     objections=[objection()] if objections is None else objections)
    return replace(base, **changes)


RESULT_NOTICE = DF.Notice(id=6, stage=None, category="village", kind="implementation", title="实施结果公开",
                          body="已验收。", attachments=[], content_hash=N.content_hash("实施结果公开", "已验收。", []),
                          days=7, published_at=T0 + 32 * DAY, window_from=T0 + 32 * DAY, window_until=T0 + 39 * DAY,
                          published_by=CHAIR, reviewed_by=SUPERVISOR, supersedes_id=None, objections=[])
FUND = DF.Fund(per_capita=1000, labour_days=2, per_capita_cap=1500, labour_cap=10, households=3, due=6000, paid=6000,
               raised=6000, spent=5000, labour_due=12, labour_done=12,
               first_payment_on=local_date_of(T0 + 27 * DAY))


def matter(**changes) -> DF.Matter:
    """A 一事一议 matter taken by the rules from start to close: everything is met."""
    base = DF.Matter(
        id=1, title="硬化村口道路", procedure="yishiyiyi", state="closed", author=CHAIR, created_at=T0 - DAY,
        submitted_at=T0, budget_fen=30_000_000, per_capita_fen=1000, labour_days=2, exemptions="五保户", comments=3,
        min_days={s.key: s.default_days for s in P.YISHIYIYI.stages}, as_of=T0 + 40 * DAY, moves=list(MOVES),
        cosign=None, votes=[vote()], notices=[notice(), RESULT_NOTICE],
        filing=DF.Filing(MONITOR, T0 + 26 * DAY, None, "同意备案"), fund=FUND)
    return replace(base, **changes)


def check(m: DF.Matter, key: str, stage: str | None = None) -> D.Check:
    return next(c for c in D.evaluate(m).checks if c.key == key and (stage is None or c.stage == stage))


def with_move(moves: list[DF.Move], index: int, **changes) -> list[DF.Move]:
    out = list(moves)
    out[index] = replace(out[index], **changes)
    return out


# --- the whole file ---------------------------------------------------------------------------------

def test_a_matter_taken_by_the_rules_is_compliant():
    f = D.evaluate(matter())
    assert f.summary == D.COMPLIANT and f.summary_name == "合规"
    assert [s.stage for s in f.steps] == [s.key for s in P.YISHIYIYI.stages]
    assert {c.key: c.verdict for c in f.checks} == {
        "cosign": D.WAIVED, "min_days": D.MET, "plan": D.MET, "cap": D.MET, "vote_result": D.MET,
        "vote_followed": D.MET, "notice_hash": D.MET, "notice_days": D.MET, "notice_review": D.MET,
        "notice_window": D.MET, "objections": D.MET, "filing": D.MET, "fund_after_filing": D.MET,
        "result_published": D.MET}
    assert f.counts == {D.MET: 13, D.NOT_MET: 0, D.NOT_YET: 0, D.WAIVED: 1}
    steps = {s.stage: s for s in f.steps}
    assert steps["cosign"].status == "skipped" and steps["cosign"].verdict == D.WAIVED
    assert (steps["review"].left_by, steps["review"].left_at) == (MONITOR, T0 + 26 * DAY)
    assert steps["deliberation"].evidence == ["意见 3 条"]
    assert any("应筹 60.00 元" in line for line in steps["implementation"].evidence)


@pytest.mark.parametrize("state, moves, summary", [
    ("closed", MOVES, D.COMPLIANT),
    ("acceptance", MOVES[:-1], D.INCOMPLETE),  # under way
    ("draft", [], D.INCOMPLETE),  # never submitted
])
def test_the_summary(state, moves, summary):
    assert D.evaluate(matter(state=state, moves=moves)).summary == summary


def test_one_unmet_check_makes_the_matter_not_compliant():
    f = D.evaluate(matter(budget_fen=None))
    assert f.summary == D.NON_COMPLIANT and f.summary_name == "不合规"
    assert {s.stage: s.verdict for s in f.steps}["deliberation"] == D.NOT_MET


def test_a_closed_matter_waits_for_its_result_notice():
    m = matter(notices=[notice()])
    assert check(m, "result_published").verdict == D.NOT_YET
    assert D.evaluate(m).summary == D.INCOMPLETE


def test_four_deliberations_two_publications():
    """四议两公开: two votes (the party members, then the villagers) and two publications."""
    party = "村党组织委员 支书"
    stages = [s.key for s in P.SIZHENG.stages]
    at = [0, 1, 4, 5, 6, 22, 23, 39]  # each publication posted its 15 days (2025 第三十五条)
    moves = [move("submit", "draft", stages[0], T0, party)] + [
        move("advance", stages[i], stages[i + 1], T0 + at[i + 1] * DAY, party) for i in range(len(stages) - 1)]
    votes = [vote(vid=1, stage="party_review", council=DF.Council(R.PARTY, "党员大会"), opened=T0 + 4 * DAY + SECOND),
             vote(vid=2, stage="resolution", opened=T0 + 5 * DAY + SECOND)]
    notices = [notice(stage="resolution_notice", published=T0 + 6 * DAY + SECOND, objections=[]),
               replace(notice(published=T0 + 23 * DAY + SECOND, objections=[]), id=6, stage="result_notice",
                       kind="implementation")]
    m = matter(procedure="sizheng", moves=moves, votes=votes, notices=notices, filing=None, fund=None,
               min_days={s.key: s.default_days for s in P.SIZHENG.stages}, budget_fen=None)
    f = D.evaluate(m)
    assert f.summary == D.COMPLIANT, [(c.stage, c.key, c.verdict, c.detail) for c in f.checks if c.verdict != D.MET]
    by_stage = {(c.stage, c.key) for c in f.checks}
    assert {("party_review", "vote_result"), ("resolution", "vote_result"), ("joint_meeting", "min_days"),
            ("resolution_notice", "notice_window"), ("result_notice", "notice_window")} <= by_stage
    assert check(m, "vote_result", "party_review").law == "中国共产党支部工作条例（试行）"
    short = replace(m, moves=with_move(moves, 2, at=T0 + 4 * DAY - SECOND))  # 两委商议 under its 3 days
    assert check(short, "min_days", "joint_meeting").verdict == D.NOT_MET


# --- co-signing (联署): ≥ 1/10 of adult villagers, or ≥ 1/5 of representatives -------------------------

COSIGNED = [move("submit", "draft", "cosign", T0, "村民 李**"),
            move("cosigned", "cosign", "deliberation", T0 + DAY, "村民 王**"), *MOVES[1:]]


@pytest.mark.parametrize("cosigners, reps, adults, all_reps, verdict", [
    (10, 0, 100, 25, D.MET),  # one tenth, "以上" includes it
    (9, 0, 100, 25, D.NOT_MET),
    (9, 5, 100, 25, D.MET),  # one fifth of the representatives
    (9, 4, 100, 25, D.NOT_MET),
    (100, 0, 1001, 0, D.NOT_MET),  # 1001 adults: one tenth is 100.1, so 101 are needed
    (101, 0, 1001, 0, D.MET),
    (1, 0, 0, 0, D.NOT_MET),  # a village of nobody can never be satisfied
])
def test_cosigning_at_its_threshold(cosigners, reps, adults, all_reps, verdict):
    day = date(2026, 3, 2)
    progress = R.cosign_progress(cosigners, reps, adults, all_reps, day)
    c = check(matter(moves=COSIGNED, cosign=DF.Cosign(cosigners, reps, adults, all_reps, day)), "cosign")
    assert c.verdict == verdict == (D.MET if progress.met else D.NOT_MET)
    assert f"需 {progress.villagers_needed} 人" in c.detail
    assert c.law == "村民委员会组织法" and c.edition == "2025年修正"


def test_cosigning_under_way_and_waived():
    under_way = matter(state="cosign", moves=COSIGNED[:1], cosign=DF.Cosign(3, 0, 100, 25, date(2026, 3, 2)))
    assert check(under_way, "cosign").verdict == D.NOT_YET
    waived = check(matter(), "cosign")
    assert (waived.verdict, waived.waived_by) == (D.WAIVED, CHAIR) and "不需要村民联署" in waived.waived_reason


def test_cosigning_cites_the_edition_of_its_day():
    old = check(matter(moves=COSIGNED, cosign=DF.Cosign(10, 0, 100, 25, date(2025, 12, 31))), "cosign")
    new = check(matter(moves=COSIGNED, cosign=DF.Cosign(10, 0, 100, 25, date(2026, 1, 1))), "cosign")
    assert (old.edition, new.edition) == ("2018年修正", "2025年修正")
    assert "第二十一条" in old.cite and "第二十一条" not in new.cite


# --- days of deliberation (商议期) ----------------------------------------------------------------------

@pytest.mark.parametrize("lasted, minimum, verdict", [
    (7 * DAY, 7, D.MET),  # exactly the minimum
    (7 * DAY - SECOND, 7, D.NOT_MET),
    (8 * DAY, 7, D.MET),
    (9 * DAY, 10, D.NOT_MET),  # the village asks for more
])
def test_days_of_deliberation_at_the_minimum(lasted, minimum, verdict):
    moves = with_move(MOVES, 1, at=T0 + lasted)
    m = matter(moves=moves, min_days={**matter().min_days, "deliberation": minimum})
    c = check(m, "min_days")
    assert c.verdict == verdict and f"至少 {minimum} 天" in c.detail and c.law == "本村议事规则"


def test_days_of_deliberation_under_way_and_waived():
    under_way = matter(state="deliberation", moves=MOVES[:1], as_of=T0 + 30 * DAY)
    assert check(under_way, "min_days").verdict == D.NOT_YET  # long enough, but not over yet
    waived = check(matter(min_days={**matter().min_days, "deliberation": 0}), "min_days")
    assert (waived.verdict, waived.waived_by) == (D.WAIVED, "村委会（本村设置）")
    simple = matter(procedure="simple", moves=[move("submit", "draft", "deliberation", T0),
                                               move("advance", "deliberation", "vote", T0)],
                    state="vote", min_days={"deliberation": 0, "vote": 0, "notice": 0, "closed": 0})
    assert not [c for c in D.evaluate(simple).checks if c.key == "min_days"]  # no minimum applies at all


# --- the plan and its caps ----------------------------------------------------------------------------

@pytest.mark.parametrize("changes, verdict", [
    ({}, D.MET),
    ({"budget_fen": None}, D.NOT_MET),
    ({"per_capita_fen": None, "labour_days": None}, D.NOT_MET),
    ({"per_capita_fen": None}, D.MET),  # labour alone
])
def test_the_plan_names_budget_and_shares(changes, verdict):
    assert check(matter(**changes), "plan").verdict == verdict


@pytest.mark.parametrize("per_capita, labour, verdict", [
    (1500, 10, D.MET),  # at the caps, included
    (1501, 10, D.NOT_MET),
    (1500, 11, D.NOT_MET),
])
def test_the_caps(per_capita, labour, verdict):
    assert check(matter(fund=replace(FUND, per_capita=per_capita, labour_days=labour)), "cap").verdict == verdict


# --- the vote -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("members, households, present, households_present, yes, quorum, passed", [
    # DESIGN's worked checks: 1,000 adults / 300 households
    (1000, 300, 501, 0, 260, True, True),
    (1000, 300, 500, 199, 260, False, False),
    (1000, 300, 500, 200, 260, True, True),  # two thirds of the households
    (1000, 300, 100, 200, 51, True, True),  # 100 present: 51 passes
    (1000, 300, 100, 200, 50, True, False),
])
def test_the_result_is_recounted_from_the_box(members, households, present, households_present, yes, quorum,
                                               passed):
    v = vote(counts=(yes, present - yes, 0), present=present, members=members, households=households,
             households_present=households_present)
    again = DF.recount(v)
    assert (again["quorum"]["met"], again["passed"]) == (quorum, passed)
    assert DF.vote_problems(v) == []


def test_a_45_member_representatives_meeting():
    council = DF.Council(R.REPRESENTATIVES, "村民代表会议")
    assert DF.recount(vote(counts=(16, 14, 0), present=30, members=45, council=council))["passed"] is True
    assert DF.recount(vote(counts=(16, 13, 0), present=29, members=45, council=council))["quorum"]["met"] is False


@pytest.mark.parametrize("tamper, problem", [
    (lambda v: replace(v, box_counts=[7, 1, 0]), "票箱哈希"),  # a changed ballot count
    (lambda v: replace(v, box_counts=[7, 1, 0], box_hash=DF.box_hash(9, OPTIONS, [7, 1, 0], v.receipts)),
     "公布的票数"),
    (lambda v: replace(v, receipts=v.receipts[:-1]), "回执"),
    (lambda v: replace(v, electorate=v.electorate[:-1]), "表决指纹"),
    (lambda v: replace(v, question="是否同意？"), "表决指纹"),
    (lambda v: replace(v, result={**v.result, "passed": not v.result["passed"]}), "通过与否"),
    (lambda v: replace(v, result={**v.result, "quorum": {**v.result["quorum"], "required": 1}}), "法定人数"),
    (lambda v: replace(v, box_counts=[6, 2]), "选项数"),
])
def test_a_record_that_does_not_add_up(tamper, problem):
    v = tamper(vote())
    assert any(problem in p for p in DF.vote_problems(v)), DF.vote_problems(v)
    assert check(matter(votes=[v]), "vote_result").verdict == D.NOT_MET


def test_paper_ballots_count_once_confirmed():
    paper = DF.Paper([2, 0, 0], 1, 3, True)
    v = vote(counts=(4, 1, 0), present=8)
    stored = V.result(DF.rule_of(v), V.Tally(list(OPTIONS), [6, 1, 0], 1, 10, 4, 8, 3))
    assert DF.vote_problems(replace(v, paper=paper, result=stored)) == []
    assert DF.vote_problems(replace(v, paper=replace(paper, confirmed=False), result=stored))  # not counted


@pytest.mark.parametrize("opened, edition", [
    (datetime(2025, 12, 31, 15, 59, tzinfo=UTC), "2018年修正"),  # 23:59 in Beijing
    (datetime(2025, 12, 31, 16, 0, tzinfo=UTC), "2025年修正"),  # midnight in Beijing: the new law
])
def test_a_vote_cites_the_law_of_its_opening_day(opened, edition):
    c = check(matter(votes=[vote(opened=opened)]), "vote_result")
    assert (c.law, c.edition) == ("村民委员会组织法", edition)


@pytest.mark.parametrize("passed, to, verdict", [
    (True, "notice", D.MET),
    (False, P.REJECTED, D.MET),
    (True, P.REJECTED, D.NOT_MET),
    (False, "notice", D.NOT_MET),
])
def test_the_outcome_is_followed(passed, to, verdict):
    counts = (6, 2, 0) if passed else (3, 5, 0)
    m = matter(votes=[vote(counts=counts)], moves=with_move(MOVES, 2, to_state=to))
    assert check(m, "vote_followed").verdict == verdict


def test_a_vote_not_yet_closed_and_no_vote():
    open_ = replace(vote(), state="open", result=None, box_counts=[], receipts=[], box_hash=None)
    assert check(matter(state="vote", moves=MOVES[:2], votes=[open_]), "vote_result").verdict == D.NOT_YET
    assert check(matter(votes=[]), "vote_result").verdict == D.NOT_MET  # left its vote stage without one
    assert check(matter(state="vote", moves=MOVES[:2], votes=[]), "vote_result").verdict == D.NOT_YET


def test_a_failed_vote_stops_the_file_and_a_rejection_needs_its_reason():
    moves = [*MOVES[:2], move("advance", "vote", P.REJECTED, T0 + 9 * DAY)]
    f = D.evaluate(matter(state=P.REJECTED, moves=moves, votes=[vote(counts=(3, 5, 0))]))
    assert f.summary == D.COMPLIANT
    assert [s.status for s in f.steps][3:] == ["stopped"] * 5 + ["done"] and f.steps[-1].stage == P.REJECTED
    rejected = [*MOVES[:1], move("reject", "deliberation", P.REJECTED, T0 + DAY, note=None)]
    no_reason = matter(state=P.REJECTED, moves=rejected, votes=[])
    assert check(no_reason, "reason").verdict == D.NOT_MET
    assert check(matter(state=P.REJECTED, moves=with_move(rejected, 1, note="重复立项"), votes=[]),
                 "reason").verdict == D.MET


# --- the notice (公示) ----------------------------------------------------------------------------------

BEFORE_2025 = datetime(2025, 12, 30, 1, 0, tzinfo=UTC)  # published under the 2018 text: no least days


@pytest.mark.parametrize("days, minimum, category, published, verdict, need", [
    (15, 7, "village", None, D.MET, 15),  # 2026: the law's 15 days, above the village's 7
    (14, 7, "village", None, D.NOT_MET, 15),
    (14, 7, "finance", None, D.NOT_MET, 15),
    (7, 7, "party", None, D.MET, 7),  # the law sets no least days for 党务
    (6, 7, "party", None, D.NOT_MET, 7),
    (16, 16, "village", None, D.MET, 16),  # the village's own rule above the law's
    (15, 16, "village", None, D.NOT_MET, 16),
    (7, 7, "village", BEFORE_2025, D.MET, 7),  # published 2025-12-30, under the 2018 text
    (6, 7, "village", BEFORE_2025, D.NOT_MET, 7),
])
def test_the_window_is_long_enough(days, minimum, category, published, verdict, need):
    at = published or T0 + 9 * DAY + 3600 * SECOND
    m = matter(notices=[notice(days=days, category=category, published=at), RESULT_NOTICE],
               min_days={**matter().min_days, "notice": minimum}, moves=with_move(MOVES, 3, at=T0 + 30 * DAY))
    found = check(m, "notice_days")
    assert found.verdict == verdict and found.label == f"公示不少于 {need} 天", found


@pytest.mark.parametrize("left, verdict", [
    (T0 + 24 * DAY + 3600 * SECOND, D.MET),  # the moment the window ends
    (T0 + 24 * DAY + 3599 * SECOND, D.NOT_MET),
])
def test_the_matter_moves_on_only_after_the_window(left, verdict):
    assert check(matter(moves=with_move(MOVES, 3, at=left)), "notice_window").verdict == verdict


@pytest.mark.parametrize("category, reviewed, verdict", [
    ("village", SUPERVISOR, D.MET), ("village", None, D.NOT_MET), ("finance", None, D.NOT_MET),
    ("party", None, D.MET),  # party notices are published by the party committee directly
])
def test_the_notice_is_reviewed_before_it_is_published(category, reviewed, verdict):
    m = matter(notices=[notice(category=category, reviewed=reviewed), RESULT_NOTICE])
    assert check(m, "notice_review").verdict == verdict


def test_a_changed_notice_body_breaks_its_hash():
    changed = replace(notice(), body="表决未通过。")
    assert check(matter(notices=[changed, RESULT_NOTICE]), "notice_hash").verdict == D.NOT_MET


@pytest.mark.parametrize("objections, verdict", [
    ([], D.MET),
    ([objection(replied=T0 + 20 * DAY)], D.MET),  # answered at the deadline
    ([objection(replied=T0 + 20 * DAY + SECOND)], D.NOT_MET),  # answered late
    ([objection(replied=None, due=T0 + 40 * DAY)], D.NOT_YET),  # still within the deadline
    ([objection(replied=None, due=T0 + 40 * DAY - SECOND)], D.NOT_MET),  # overdue
])
def test_objections_are_answered_in_time(objections, verdict):
    m = matter(notices=[notice(objections=objections), RESULT_NOTICE])
    assert check(m, "objections").verdict == verdict


def test_a_correction_carries_its_stage_and_its_window():
    first = notice(days=15)
    correction = replace(notice(days=15, published=T0 + 12 * DAY), id=7, stage=None, supersedes_id=5,
                         kind="correction")
    m = matter(notices=[first, correction, RESULT_NOTICE])  # the correction's window ends after the move
    assert check(m, "notice_window").verdict == D.NOT_MET
    assert check(replace(m, moves=with_move(MOVES, 3, at=T0 + 28 * DAY)), "notice_window").verdict == D.MET


def test_no_notice():
    assert check(matter(notices=[RESULT_NOTICE]), "notice_published").verdict == D.NOT_MET
    assert check(matter(state="notice", moves=MOVES[:3], notices=[]), "notice_published").verdict == D.NOT_YET


# --- the township's filing and the money --------------------------------------------------------------

@pytest.mark.parametrize("first_payment, filing, verdict", [
    (local_date_of(T0 + 26 * DAY), True, D.MET),  # on the day of the filing
    (local_date_of(T0 + 25 * DAY), True, D.NOT_MET),  # the day before
    (None, True, D.MET),
    (None, False, D.NOT_YET),
    (local_date_of(T0 + 25 * DAY), False, D.NOT_MET),
])
def test_money_is_raised_after_the_filing(first_payment, filing, verdict):
    moves, state = (MOVES, "closed") if filing else (MOVES[:4], "review")
    m = matter(state=state, moves=moves, filing=matter().filing if filing else None,
               fund=replace(FUND, first_payment_on=first_payment))
    assert check(m, "fund_after_filing").verdict == verdict


def test_the_filing():
    assert check(matter(), "filing").detail.startswith(MONITOR)
    assert check(matter(state="review", moves=MOVES[:4], filing=None), "filing").verdict == D.NOT_YET
    assert check(matter(filing=None), "filing").verdict == D.NOT_MET  # left the review without one


# --- the ballot box's hash and the JSON ------------------------------------------------------------------

BOX_BYTES = ('{"counts":[2,1,0],"options":["同意","反对","弃权"],"receipts":["ABCDEFGHJK","KJH7N2PQRS",'
             '"MNPQRSTUVW"],"vote":9}').encode()
BOX_HEX = "e8019ada371a8c0e91df082d39d7241b3bc3636180be8e7fb32a7a7e9dc9e4bd"


def test_the_ballot_box_hash_vector():
    assert DF.box_hash(9, OPTIONS, [2, 1, 0], ["KJH7N2PQRS", "ABCDEFGHJK", "MNPQRSTUVW"]) == BOX_HEX
    assert hashlib.sha256(BOX_BYTES).hexdigest() == BOX_HEX


def test_the_facts_survive_json():
    m = matter(moves=COSIGNED, cosign=DF.Cosign(10, 1, 100, 25, date(2026, 3, 2)),
               votes=[replace(vote(), paper=DF.Paper([0, 0, 0], 0, 0, True), council=DF.Council(
                   R.CUSTOM, "理事会", [2, 3], True, [1, 2], False))])
    again = DF.load(DF.Matter, DF.dump(m))
    assert again == m
    assert D.evaluate(again) == D.evaluate(m)
    assert DF.dump(T0) == "2026-03-01T01:00:00Z"


@pytest.mark.parametrize("path, value", [
    (("comments",), True),  # a bool is not a count
    (("comments",), "3"),
    (("moves", 0, "at"), 12),
    (("votes", 0, "options"), "同意"),
])
def test_a_wrong_shape_is_refused(path, value):
    data = DF.dump(matter())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError):
        DF.load(DF.Matter, data)


def test_a_missing_field_is_refused():
    data = DF.dump(matter())
    del data["moves"][0]["to_state"]
    with pytest.raises(ValueError, match="to_state"):
        DF.load(DF.Matter, data)


# --- whether a kept verdict still holds ------------------------------------------------------------

NOW = T0 + 100 * DAY
TICK = timedelta(microseconds=1)
LIVE, FINISHED = "deliberation", P.CLOSED


@pytest.mark.parametrize("verdict_at, updated_at, state, stage_entered_at, current", [
    (None, NOW - DAY, LIVE, NOW - DAY, False),  # never worked out
    (NOW - 10 * SECOND, NOW - 10 * SECOND, LIVE, NOW - DAY, True),  # worked out at the last change
    (NOW - 10 * SECOND, NOW - 10 * SECOND + TICK, LIVE, NOW - DAY, False),  # changed after
    (NOW - D.VERDICT_EVERY, NOW - DAY, LIVE, NOW - DAY, True),  # just within the hour
    (NOW - D.VERDICT_EVERY - TICK, NOW - DAY, LIVE, NOW - DAY, False),  # a live matter: an hour is enough
    (NOW - 5 * DAY, NOW - 40 * DAY, FINISHED, NOW - D.VERDICT_SETTLE, True),  # finished 30 days ago: settled
    (NOW - 5 * DAY, NOW - 40 * DAY, FINISHED, NOW - D.VERDICT_SETTLE + TICK, False),  # still settling
    (NOW - 5 * DAY, NOW - 40 * DAY, P.REJECTED, NOW - 31 * DAY, True),
    (NOW - 5 * DAY, NOW - 40 * DAY, P.WITHDRAWN, None, True),  # finished, its stage time unknown
    (NOW - 5 * DAY, NOW - 40 * DAY, LIVE, None, False),
    (NOW - 5 * DAY, NOW - 4 * DAY, FINISHED, NOW - 40 * DAY, False),  # a late reply after the verdict
])
def test_a_kept_verdict_holds_until_the_matter_changes_an_hour_passes_or_forever_once_settled(
        verdict_at, updated_at, state, stage_entered_at, current):
    assert D.verdict_current(verdict_at, updated_at, state, stage_entered_at, NOW) is current
