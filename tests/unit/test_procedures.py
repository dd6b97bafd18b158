"""Procedures as data, and `decide`: every stage of every procedure, every guard, every refusal.

The expected tables below are written out by hand from DESIGN.md §2 "Procedures", so a change to
the procedure data shows up here as a difference, not as a test that follows the data blindly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain import procedures as P
from app.domain.roles import (
    ACCOUNTANT,
    COMMITTEE,
    PARTY_COMMITTEE,
    PARTY_MEMBER,
    REPRESENTATIVE,
    SUPERVISOR,
    VILLAGE_ROLES,
    VILLAGER,
)

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
EVERYONE = frozenset({*VILLAGE_ROLES, P.MONITOR, P.AUTHOR})
ROLE_NAMES = {**VILLAGE_ROLES, P.MONITOR: "乡镇监督员", P.AUTHOR: "提议人"}

# (procedure, stage, kind, movers, default minimum days, next state) — by hand, from the design.
STAGES = [
    ("yishiyiyi", "cosign", P.Kind.COSIGN, (), 0, "deliberation"),
    ("yishiyiyi", "deliberation", P.Kind.DELIBERATION, (COMMITTEE,), 7, "vote"),
    ("yishiyiyi", "vote", P.Kind.VOTE, (COMMITTEE,), 0, "notice"),
    ("yishiyiyi", "notice", P.Kind.NOTICE, (COMMITTEE,), 7, "review"),
    ("yishiyiyi", "review", P.Kind.REVIEW, (P.MONITOR,), 0, "implementation"),
    ("yishiyiyi", "implementation", P.Kind.IMPLEMENTATION, (COMMITTEE,), 0, "acceptance"),
    ("yishiyiyi", "acceptance", P.Kind.ACCEPTANCE, (SUPERVISOR,), 0, "closed"),
    ("sizheng", "party_proposal", P.Kind.DELIBERATION, (PARTY_COMMITTEE,), 0, "joint_meeting"),
    ("sizheng", "joint_meeting", P.Kind.DELIBERATION, (COMMITTEE, PARTY_COMMITTEE), 3, "party_review"),
    ("sizheng", "party_review", P.Kind.VOTE, (PARTY_COMMITTEE,), 0, "resolution"),
    ("sizheng", "resolution", P.Kind.VOTE, (COMMITTEE,), 0, "resolution_notice"),
    ("sizheng", "resolution_notice", P.Kind.NOTICE, (COMMITTEE,), 7, "implementation"),
    ("sizheng", "implementation", P.Kind.IMPLEMENTATION, (COMMITTEE,), 0, "result_notice"),
    ("sizheng", "result_notice", P.Kind.NOTICE, (COMMITTEE,), 7, "closed"),
    ("simple", "deliberation", P.Kind.DELIBERATION, (COMMITTEE,), 0, "vote"),
    ("simple", "vote", P.Kind.VOTE, (COMMITTEE,), 0, "notice"),
    ("simple", "notice", P.Kind.NOTICE, (COMMITTEE,), 0, "closed"),
]
IDS = [f"{proc}.{stage}" for proc, stage, *_ in STAGES]
MOVED = [row for row in STAGES if row[3]]  # stages a role moves on (all but co-signing)
MOVED_IDS = [f"{proc}.{stage}" for proc, stage, *_ in MOVED]
# Where withdrawing stops: from the first vote stage on.
FIRST_VOTE = {"yishiyiyi": "vote", "sizheng": "party_review", "simple": "vote"}
TERMINAL = [P.REJECTED, P.WITHDRAWN, P.CLOSED]


def facts(procedure: str, state: str, roles=(), **changes) -> P.Facts:
    """Facts where everything a stage needs is true (support, result, notice, time served)."""
    values = dict(procedure=procedure, state=state, entered_at=NOW - timedelta(days=365), now=NOW,
                  roles=frozenset(roles), min_days=0, cosign_met=True, vote_outcome="passed", notice_done=True,
                  has_reason=True, is_admin=False)
    values.update(changes)
    return P.Facts(**values)


def ok(decision: P.Decision, to_state: str) -> None:
    assert decision.ok, decision.reason
    assert decision.to_state == to_state and decision.status == 200 and decision.reason is None


def refused(decision: P.Decision, status: int, reason: str | None = None) -> None:
    assert not decision.ok and decision.to_state is None
    assert decision.status == status, decision.reason
    assert decision.reason  # always a Chinese reason
    if reason is not None:
        assert reason in decision.reason, decision.reason


# --- the data ------------------------------------------------------------------------------------

def test_the_three_procedures_and_their_stages_in_order():
    assert list(P.PROCEDURES) == ["yishiyiyi", "sizheng", "simple"]
    for key, proc in P.PROCEDURES.items():
        expected = [stage for p, stage, *_ in STAGES if p == key] + [P.CLOSED]
        assert [s.key for s in proc.stages] == expected
        assert proc.stages[-1].kind is P.Kind.CLOSED
        assert all(s.name and s.help for s in proc.stages)  # Chinese names and help text
    assert [P.PROCEDURES[k].name for k in P.PROCEDURES] == ["一事一议", "四议两公开", "简易程序"]


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), STAGES, ids=IDS)
def test_stage_data(procedure, stage, kind, movers, days, after):
    proc = P.PROCEDURES[procedure]
    s = proc.stage(stage)
    assert (s.kind, s.movers, s.default_days) == (kind, movers, days)
    assert proc.after(stage).key == after
    assert P.state_name(procedure, stage) == s.name


def test_state_names_of_the_states_outside_the_stages():
    assert [P.state_name("simple", s) for s in (P.DRAFT, P.REJECTED, P.WITHDRAWN, P.CLOSED)] == [
        "草稿", "不予通过", "已撤回", "已办结"]


# --- advancing each stage ------------------------------------------------------------------------

@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), MOVED, ids=MOVED_IDS)
def test_the_stages_role_advances(procedure, stage, kind, movers, days, after):
    for role in movers:
        ok(P.decide("advance", facts(procedure, stage, {role})), after)
    ok(P.decide("advance", facts(procedure, stage, {VILLAGER, *movers})), after)


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), STAGES, ids=IDS)
def test_an_admin_advances_any_stage(procedure, stage, kind, movers, days, after):
    ok(P.decide("advance", facts(procedure, stage, (), is_admin=True)), after)


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), MOVED, ids=MOVED_IDS)
def test_any_other_role_is_refused_with_the_role_named(procedure, stage, kind, movers, days, after):
    others = EVERYONE - set(movers)
    for roles in [{role} for role in others] + [others, set()]:
        d = P.decide("advance", facts(procedure, stage, roles))
        refused(d, 403)
        assert d.reason == f"这一步需要{'或'.join(ROLE_NAMES[r] for r in movers)}来推进"


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), MOVED, ids=MOVED_IDS)
@pytest.mark.parametrize("min_days", [1, 3, 7, 90])
def test_minimum_duration(procedure, stage, kind, movers, days, after, min_days):
    role = {movers[0]}
    served = timedelta(days=min_days)
    early = P.decide("advance", facts(procedure, stage, role, min_days=min_days, entered_at=NOW - served
                                      + timedelta(seconds=1)))
    refused(early, 409, f"至少要 {min_days} 天，还差约 1 天")
    assert P.PROCEDURES[procedure].stage(stage).name in early.reason
    ok(P.decide("advance", facts(procedure, stage, role, min_days=min_days, entered_at=NOW - served)), after)
    just_entered = P.decide("advance", facts(procedure, stage, role, min_days=min_days, entered_at=NOW))
    refused(just_entered, 409, f"还差约 {min_days} 天")
    # the wrong role hears about the role first, not the time
    refused(P.decide("advance", facts(procedure, stage, {VILLAGER} - set(movers), min_days=min_days,
                                      entered_at=NOW)), 403)


@pytest.mark.parametrize(("left", "days_left"), [
    (timedelta(seconds=1), 1), (timedelta(hours=23), 1), (timedelta(days=1), 1), (timedelta(days=1, seconds=1), 2),
    (timedelta(days=6, hours=12), 7), (timedelta(days=7), 7),
])
def test_days_left_are_rounded_up(left, days_left):
    d = P.decide("advance", facts("yishiyiyi", "deliberation", {COMMITTEE}, min_days=7,
                                  entered_at=NOW - timedelta(days=7) + left))
    refused(d, 409)
    assert d.reason == f"商事（公开商议）至少要 7 天，还差约 {days_left} 天"


def test_no_minimum_means_no_wait():
    ok(P.decide("advance", facts("simple", "deliberation", {COMMITTEE}, min_days=0, entered_at=NOW)), "vote")


VOTES = [row for row in STAGES if row[2] is P.Kind.VOTE]
VOTE_IDS = [f"{proc}.{stage}" for proc, stage, *_ in VOTES]


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), VOTES, ids=VOTE_IDS)
def test_vote_stages_wait_for_a_result(procedure, stage, kind, movers, days, after):
    role = {movers[0]}
    refused(P.decide("advance", facts(procedure, stage, role, vote_outcome=None)), 409, "还没有表决结果")
    failed = P.decide("advance", facts(procedure, stage, role, vote_outcome="failed"))
    ok(failed, P.REJECTED)
    assert failed.notes == ["表决未通过"]
    ok(P.decide("advance", facts(procedure, stage, role, vote_outcome="passed")), after)
    # anything but a clear "passed" or "failed" is no result: fail closed
    refused(P.decide("advance", facts(procedure, stage, role, vote_outcome="tied")), 409, "还没有表决结果")


NOTICES = [row for row in STAGES if row[2] is P.Kind.NOTICE]
NOTICE_IDS = [f"{proc}.{stage}" for proc, stage, *_ in NOTICES]


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), NOTICES, ids=NOTICE_IDS)
def test_notice_stages_wait_for_the_notice(procedure, stage, kind, movers, days, after):
    role = {movers[0]}
    refused(P.decide("advance", facts(procedure, stage, role, notice_done=False)), 409,
            "公示还没有发布、公示期还没结束，或还有质询没有答复")
    ok(P.decide("advance", facts(procedure, stage, role, notice_done=True)), after)


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), STAGES, ids=IDS)
def test_only_vote_and_notice_stages_look_at_their_outcomes(procedure, stage, kind, movers, days, after):
    roles = {movers[0]} if movers else set()
    d = P.decide("advance", facts(procedure, stage, roles, vote_outcome=None, notice_done=False))
    if kind in (P.Kind.VOTE, P.Kind.NOTICE):
        refused(d, 409)
    else:
        ok(d, after)


def test_cosign_stage_advances_only_with_enough_support():
    for roles in (set(), {VILLAGER}, {COMMITTEE}, {P.AUTHOR}):
        refused(P.decide("advance", facts("yishiyiyi", "cosign", roles, cosign_met=False)), 409, "联署人数还不够")
        ok(P.decide("advance", facts("yishiyiyi", "cosign", roles, cosign_met=True)), "deliberation")
    refused(P.decide("advance", facts("yishiyiyi", "cosign", (), cosign_met=False, is_admin=True)), 409)


# --- submit --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("procedure", "roles", "is_admin", "entry"), [
    ("yishiyiyi", {VILLAGER, P.AUTHOR}, False, "cosign"),  # a villager gathers co-signatures
    ("yishiyiyi", {VILLAGER, REPRESENTATIVE, PARTY_MEMBER, SUPERVISOR, ACCOUNTANT, P.AUTHOR}, False, "cosign"),
    ("yishiyiyi", {VILLAGER, COMMITTEE, P.AUTHOR}, False, "deliberation"),  # the committee submits directly
    ("yishiyiyi", {VILLAGER, PARTY_COMMITTEE, P.AUTHOR}, False, "cosign"),
    ("yishiyiyi", set(), True, "deliberation"),  # an admin submits for someone
    ("sizheng", {VILLAGER, PARTY_COMMITTEE, P.AUTHOR}, False, "party_proposal"),
    ("simple", {VILLAGER, COMMITTEE, P.AUTHOR}, False, "deliberation"),
])
def test_submit_from_draft(procedure, roles, is_admin, entry):
    assert P.entry_state(procedure, frozenset(roles - {P.AUTHOR}), is_admin) == entry
    ok(P.decide("submit", facts(procedure, P.DRAFT, roles, is_admin=is_admin)), entry)


@pytest.mark.parametrize("procedure", list(P.PROCEDURES))
def test_only_the_author_submits(procedure):
    for roles in ({COMMITTEE}, {PARTY_COMMITTEE}, {VILLAGER}, EVERYONE - {P.AUTHOR}):
        refused(P.decide("submit", facts(procedure, P.DRAFT, roles)), 403, "只有提议人可以提交")


@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), STAGES, ids=IDS)
def test_submit_twice_is_refused(procedure, stage, kind, movers, days, after):
    refused(P.decide("submit", facts(procedure, stage, EVERYONE, is_admin=True)), 409, "事项已经提交过了")


@pytest.mark.parametrize("procedure", list(P.PROCEDURES))
@pytest.mark.parametrize("action", ["advance", "return", "reject"])
def test_a_draft_must_be_submitted_first(procedure, action):
    refused(P.decide(action, facts(procedure, P.DRAFT, EVERYONE, is_admin=True)), 409, "草稿还没有提交")


# --- withdraw ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), STAGES, ids=IDS)
def test_withdraw_before_the_first_vote_only(procedure, stage, kind, movers, days, after):
    proc = P.PROCEDURES[procedure]
    before_vote = proc.index(stage) < proc.index(FIRST_VOTE[procedure])
    d = P.decide("withdraw", facts(procedure, stage, {VILLAGER, P.AUTHOR}))
    if before_vote:
        ok(d, P.WITHDRAWN)
    else:
        refused(d, 409, "已进入表决，不能撤回")
    refused(P.decide("withdraw", facts(procedure, stage, EVERYONE - {P.AUTHOR})), 403, "只有提议人可以撤回")


@pytest.mark.parametrize("procedure", list(P.PROCEDURES))
def test_withdraw_a_draft(procedure):
    ok(P.decide("withdraw", facts(procedure, P.DRAFT, {P.AUTHOR})), P.WITHDRAWN)
    refused(P.decide("withdraw", facts(procedure, P.DRAFT, {COMMITTEE})), 403, "只有提议人可以撤回")


# --- return and reject ---------------------------------------------------------------------------

@pytest.mark.parametrize(("procedure", "stage", "kind", "movers", "days", "after"), STAGES, ids=IDS)
@pytest.mark.parametrize(("action", "to_state"), [("return", P.DRAFT), ("reject", P.REJECTED)])
def test_return_and_reject(procedure, stage, kind, movers, days, after, action, to_state):
    if action == "return" and kind is P.Kind.REVIEW:
        pytest.skip("the township's own return: test_the_township_returns_a_matter_from_its_review")
    deciders = (COMMITTEE, PARTY_COMMITTEE) if procedure == "sizheng" else (COMMITTEE,)
    open_stage = kind in (P.Kind.COSIGN, P.Kind.DELIBERATION)
    for role in deciders:
        d = P.decide(action, facts(procedure, stage, {role}))
        if open_stage:
            ok(d, to_state)
        else:
            refused(d, 409, "只有在联署或商议阶段才能退回或不予通过")
        no_reason = P.decide(action, facts(procedure, stage, {role}, has_reason=False))
        if open_stage:
            refused(no_reason, 422, "请写明理由")
            assert no_reason.field == "note"
        else:  # no use asking for a reason for what cannot be done here anyway
            refused(no_reason, 409, "只有在联署或商议阶段才能退回或不予通过")
    if open_stage:
        ok(P.decide(action, facts(procedure, stage, (), is_admin=True)), to_state)
    names = "或".join(ROLE_NAMES[r] for r in deciders)
    for roles in ({VILLAGER}, {VILLAGER, P.AUTHOR}, {P.MONITOR}, {SUPERVISOR}, EVERYONE - set(deciders)):
        refused(P.decide(action, facts(procedure, stage, roles)), 403, f"这项操作需要{names}身份")


# --- terminal states and unknown actions ---------------------------------------------------------

@pytest.mark.parametrize("procedure", list(P.PROCEDURES))
@pytest.mark.parametrize("state", TERMINAL)
@pytest.mark.parametrize("action", [a.value for a in P.Action])
def test_terminal_states_refuse_everything(procedure, state, action):
    d = P.decide(action, facts(procedure, state, EVERYONE, is_admin=True))
    refused(d, 409, "不能再操作")


@pytest.mark.parametrize("procedure", list(P.PROCEDURES))
@pytest.mark.parametrize("action", ["", "close", "ADVANCE", "delete", "approve", "advance "])
def test_unknown_actions_are_refused(procedure, action):
    for state in (P.DRAFT, P.PROCEDURES[procedure].first.key, P.CLOSED):
        decision = P.decide(action, facts(procedure, state, EVERYONE, is_admin=True))
        refused(decision, 422, "不认识的操作")
        assert decision.field == "action"  # the input at fault, for the API's errors


# --- the happy path ------------------------------------------------------------------------------

@pytest.mark.parametrize(("procedure", "author_roles"), [
    ("yishiyiyi", {VILLAGER}),
    ("sizheng", {VILLAGER, PARTY_COMMITTEE}),
    ("simple", {VILLAGER, COMMITTEE}),
])
def test_the_happy_path_walks_every_stage_to_closed(procedure, author_roles):
    proc = P.PROCEDURES[procedure]
    state = P.DRAFT
    d = P.decide("submit", facts(procedure, state, author_roles | {P.AUTHOR}))
    ok(d, proc.first.key)
    walked = [state, d.to_state]
    state = d.to_state
    now = NOW
    while state != P.CLOSED:
        stage = proc.stage(state)
        row = next(r for r in STAGES if r[0] == procedure and r[1] == state)
        roles = {row[3][0]} if row[3] else {VILLAGER}
        entered, now = now, now + timedelta(days=row[4])  # wait exactly the default minimum
        blocked = P.decide("advance", facts(procedure, state, roles, min_days=row[4], entered_at=entered, now=now,
                                            cosign_met=False, vote_outcome=None, notice_done=False))
        if stage.kind in (P.Kind.COSIGN, P.Kind.VOTE, P.Kind.NOTICE):
            refused(blocked, 409)  # each of these waits for its own condition
        d = P.decide("advance", facts(procedure, state, roles, min_days=row[4], entered_at=entered, now=now))
        ok(d, row[5])
        state = d.to_state
        walked.append(state)
    assert walked == [P.DRAFT, *[s.key for s in proc.stages]]


@pytest.mark.parametrize(("roles", "reason", "allowed", "to"), [
    ((P.MONITOR,), True, True, "deliberation"),  # the township sends the plan back to be deliberated again
    ((P.MONITOR,), False, False, None),  # a reason is required (422)
    ((COMMITTEE,), True, False, None),  # the committee does not return its own matter from the township
])
def test_the_township_returns_a_matter_from_its_review(roles, reason, allowed, to):
    decision = P.decide("return", facts("yishiyiyi", "review", roles, has_reason=reason))
    assert decision.ok is allowed
    if allowed:
        assert decision.to_state == to


# (roles, the states they move a matter on from, per procedure) — by hand, from the STAGES table above.
QUEUES = [
    ({COMMITTEE}, {"yishiyiyi": ["deliberation", "vote", "notice", "implementation"],
                   "sizheng": ["joint_meeting", "resolution", "resolution_notice", "implementation", "result_notice"],
                   "simple": ["deliberation", "vote", "notice"]}),
    ({PARTY_COMMITTEE}, {"sizheng": ["party_proposal", "joint_meeting", "party_review"]}),
    ({P.MONITOR}, {"yishiyiyi": ["review"]}),
    ({SUPERVISOR}, {"yishiyiyi": ["acceptance"]}),
    ({VILLAGER, REPRESENTATIVE}, {}),  # they sign and vote; no stage waits on them to move it
    (set(), {}),
]


@pytest.mark.parametrize(("roles", "expected"), QUEUES)
def test_the_states_a_set_of_roles_moves_on_from(roles, expected):
    assert P.states_moved_by(roles) == expected


def test_every_state_a_matter_can_be_in_is_one_a_list_can_filter_by():
    expected = {P.DRAFT, P.REJECTED, P.WITHDRAWN} | {s.key for proc in P.PROCEDURES.values() for s in proc.stages}
    assert set(P.STATES) == expected
    assert P.STATES[P.DRAFT] == "草稿" and P.STATES["review"] == "乡镇审核备案" and P.STATES[P.CLOSED] == "已办结"
    assert list(P.STATES)[0] == P.DRAFT and list(P.STATES)[-2:] == [P.REJECTED, P.WITHDRAWN]


@pytest.mark.parametrize("kinds, expected", [
    ((P.Kind.COSIGN,), {"yishiyiyi": ["cosign"]}),
    ((P.Kind.COSIGN, P.Kind.DELIBERATION), {"yishiyiyi": ["cosign", "deliberation"],
                                            "sizheng": ["party_proposal", "joint_meeting"],  # 党组织提议、两委商议
                                            "simple": ["deliberation"]}),
    ((P.Kind.REVIEW,), {"yishiyiyi": ["review"]}),
    ((), {}),
])
def test_the_states_of_stages_of_some_kinds(kinds, expected):
    assert P.states_of_kinds(*kinds) == expected
