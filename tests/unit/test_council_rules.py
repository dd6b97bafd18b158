"""Council rules and `decide`: quorum and passing for every body, at the boundaries of DESIGN.md §2.

The expectations are written out by hand from DESIGN.md §2 "Rulebook" and the law (民法典 第1259条:
"以上" includes the number, "过半数 / 超过" does not), not derived from the rule data, so a change to the
rules shows up here as a difference.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from app.domain.rulebook import (
    ASSEMBLY,
    COUNCIL_KINDS,
    CUSTOM,
    GROUP,
    HOUSEHOLDS,
    JOINT,
    LAND_TO_OUTSIDERS,
    MEMBERS,
    PARTY,
    PRESENT,
    REPRESENTATIVES,
    SPECIAL_RULES,
    CouncilRule,
    Threshold,
    Turnout,
    custom_rule,
    decide,
    rules_on,
    with_special,
)

# The 2018 text's last day: these tables pin the 2018 edition's citations (the 2025 edition, its
# boundaries and renumbering are in test_rulebook_editions.py).
DAY_2018 = date(2025, 12, 31)
RULES = rules_on(DAY_2018)

LAND = with_special(RULES[ASSEMBLY], LAND_TO_OUTSIDERS, DAY_2018)
LAND_REPS = with_special(RULES[REPRESENTATIVES], LAND_TO_OUTSIDERS, DAY_2018)


def _outcome(rule: CouncilRule, members: int, households: int, present: int, households_present: int, yes: int):
    return decide(rule, Turnout(members, households, present, households_present), yes)


# --- the table: every worked check of DESIGN.md, at the boundaries ---------------------------------
# (rule, members, households, present, households present, yes, quorum met, passed)
CASES = [
    # 村民会议: 1,000 adults / 300 households. Quorum: > 1/2 of adults (strict) …
    pytest.param(ASSEMBLY, 1000, 300, 501, 0, 251, True, True, id="assembly-501-present-meets"),
    pytest.param(ASSEMBLY, 1000, 300, 500, 0, 251, False, False, id="assembly-500-present-does-not"),
    pytest.param(ASSEMBLY, 1000, 300, 500, 0, 500, False, False, id="assembly-500-present-all-yes-still-fails"),
    pytest.param(ASSEMBLY, 1000, 300, 1000, 300, 1000, True, True, id="assembly-everyone"),
    # … or ≥ 2/3 of households represented (inclusive)
    pytest.param(ASSEMBLY, 1000, 300, 100, 200, 51, True, True, id="assembly-200-households-meet"),
    pytest.param(ASSEMBLY, 1000, 300, 100, 199, 51, False, False, id="assembly-199-households-do-not"),
    pytest.param(ASSEMBLY, 1000, 300, 500, 199, 500, False, False, id="assembly-neither-measure"),
    pytest.param(ASSEMBLY, 1000, 300, 501, 199, 251, True, True, id="assembly-people-without-households"),
    # passing: > 1/2 of those present (strict). 100 present (quorum by households): 51 passes, 50 fails.
    pytest.param(ASSEMBLY, 1000, 300, 100, 200, 50, True, False, id="assembly-100-present-50-yes-fails"),
    pytest.param(ASSEMBLY, 1000, 300, 100, 200, 0, True, False, id="assembly-100-present-0-yes"),
    pytest.param(ASSEMBLY, 1000, 300, 100, 200, 100, True, True, id="assembly-100-present-all-yes"),
    # abstentions are present (in `present`) and not yes: 101 present = 51 yes + 49 no + 1 abstain passes;
    # 50 yes + 50 no + 1 abstention fails (the abstention raises the bar from 51 of 100 to 51 of 101).
    pytest.param(ASSEMBLY, 1000, 300, 101, 200, 51, True, True, id="assembly-abstention-51-of-101"),
    pytest.param(ASSEMBLY, 1000, 300, 101, 200, 50, True, False, id="assembly-abstention-50-of-101"),
    pytest.param(ASSEMBLY, 1000, 300, 501, 0, 250, True, False, id="assembly-501-present-250-yes"),
    # odd sizes: > 1/2 of 1,001 is 501; 2/3 of 301 households is 200.67 → 201
    pytest.param(ASSEMBLY, 1001, 301, 501, 0, 251, True, True, id="assembly-1001-501-meets"),
    pytest.param(ASSEMBLY, 1001, 301, 500, 200, 251, False, False, id="assembly-1001-500-and-200-of-301"),
    pytest.param(ASSEMBLY, 1001, 301, 100, 201, 51, True, True, id="assembly-201-of-301-households"),
    # 村民代表会议: 45 members need 30 present (≥ 2/3, inclusive); with 30 present 16 yes passes, 15 fails.
    pytest.param(REPRESENTATIVES, 45, 45, 30, 0, 16, True, True, id="reps-30-of-45-16-yes"),
    pytest.param(REPRESENTATIVES, 45, 45, 30, 0, 15, True, False, id="reps-30-of-45-15-yes"),
    pytest.param(REPRESENTATIVES, 45, 45, 29, 0, 16, False, False, id="reps-29-of-45"),
    pytest.param(REPRESENTATIVES, 45, 45, 29, 45, 29, False, False, id="reps-households-do-not-count"),
    pytest.param(REPRESENTATIVES, 45, 45, 45, 0, 23, True, True, id="reps-all-present-23-yes"),
    pytest.param(REPRESENTATIVES, 45, 45, 45, 0, 22, True, False, id="reps-all-present-22-yes"),
    pytest.param(REPRESENTATIVES, 46, 46, 31, 0, 16, True, True, id="reps-31-of-46"),
    pytest.param(REPRESENTATIVES, 46, 46, 30, 0, 16, False, False, id="reps-30-of-46"),
    # 村民小组会议: ≥ 2/3 of the group's adults, or ≥ 2/3 of its households (both inclusive); > 1/2 present.
    pytest.param(GROUP, 60, 30, 40, 0, 21, True, True, id="group-40-of-60-adults"),
    pytest.param(GROUP, 60, 30, 39, 0, 39, False, False, id="group-39-of-60-adults"),
    pytest.param(GROUP, 60, 30, 39, 20, 20, True, True, id="group-20-of-30-households"),
    pytest.param(GROUP, 60, 30, 39, 19, 39, False, False, id="group-19-of-30-households"),
    pytest.param(GROUP, 60, 30, 40, 0, 20, True, False, id="group-40-present-20-yes"),
    pytest.param(GROUP, 61, 31, 41, 0, 21, True, True, id="group-41-of-61"),
    pytest.param(GROUP, 61, 31, 40, 20, 40, False, False, id="group-40-of-61-and-20-of-31"),
    pytest.param(GROUP, 61, 31, 40, 21, 21, True, True, id="group-21-of-31-households"),
    # 党员大会: ≥ 2/3 of members present; passes with > 1/2 of ALL members (not of those present).
    pytest.param(PARTY, 30, 20, 20, 0, 16, True, True, id="party-30-members-20-present-16-yes"),
    pytest.param(PARTY, 30, 20, 20, 0, 15, True, False, id="party-30-members-20-present-15-yes"),
    pytest.param(PARTY, 30, 20, 19, 19, 16, False, False, id="party-19-of-30"),
    pytest.param(PARTY, 30, 20, 30, 20, 15, True, False, id="party-everyone-15-yes"),
    pytest.param(PARTY, 31, 20, 21, 0, 16, True, True, id="party-31-members-21-present-16-yes"),
    pytest.param(PARTY, 31, 20, 20, 20, 16, False, False, id="party-20-of-31"),
    pytest.param(PARTY, 31, 20, 21, 0, 15, True, False, id="party-31-members-15-yes"),
    # 两委联席会议 defaults: ≥ 2/3 of members present; > 1/2 of those present.
    pytest.param(JOINT, 9, 9, 6, 0, 4, True, True, id="joint-6-of-9-4-yes"),
    pytest.param(JOINT, 9, 9, 6, 0, 3, True, False, id="joint-6-of-9-3-yes"),
    pytest.param(JOINT, 9, 9, 5, 9, 5, False, False, id="joint-5-of-9"),
    pytest.param(JOINT, 7, 7, 5, 0, 3, True, True, id="joint-5-of-7"),
    pytest.param(JOINT, 7, 7, 4, 0, 4, False, False, id="joint-4-of-7"),
]


@pytest.mark.parametrize(("kind", "members", "households", "present", "households_present", "yes", "met", "passed"),
                         CASES)
def test_decide_at_the_boundaries(kind, members, households, present, households_present, yes, met, passed):
    outcome = _outcome(RULES[kind], members, households, present, households_present, yes)
    assert outcome.quorum.met is met
    assert outcome.passed is passed
    assert outcome.quorum.present == present
    assert outcome.yes == yes


# (rule, members, households, present, households present) → (quorum.required, yes_needed)
@pytest.mark.parametrize(("kind", "members", "households", "present", "households_present", "required", "yes_needed"), [
    (ASSEMBLY, 1000, 300, 100, 200, 501, 51),  # required is for the first measure (people), even if met by households
    (ASSEMBLY, 1000, 300, 501, 0, 501, 251),
    (ASSEMBLY, 1001, 301, 600, 0, 501, 301),
    (REPRESENTATIVES, 45, 45, 30, 0, 30, 16),
    (REPRESENTATIVES, 45, 45, 45, 0, 30, 23),
    (REPRESENTATIVES, 46, 46, 31, 0, 31, 16),
    (GROUP, 60, 30, 40, 0, 40, 21),
    (GROUP, 61, 31, 41, 0, 41, 21),
    (PARTY, 30, 20, 20, 0, 20, 16),  # of all 30 members, not of the 20 present
    (PARTY, 30, 20, 30, 0, 20, 16),
    (PARTY, 31, 20, 21, 0, 21, 16),
    (JOINT, 9, 9, 6, 0, 6, 4),
    (JOINT, 9, 9, 9, 0, 6, 5),
])
def test_required_and_yes_needed(kind, members, households, present, households_present, required, yes_needed):
    outcome = _outcome(RULES[kind], members, households, present, households_present, 0)
    assert outcome.quorum.required == required
    assert outcome.yes_needed == yes_needed


# --- land contracted to outsiders: ≥ 2/3 of ALL members, whatever the present majority -----------

@pytest.mark.parametrize(("rule", "members", "households", "present", "households_present", "yes", "met", "passed"), [
    # 1,000 adults: 667 yes passes, 666 fails even though quorum is met and 666 is a majority of those present
    pytest.param(LAND, 1000, 300, 700, 0, 667, True, True, id="land-667-of-1000"),
    pytest.param(LAND, 1000, 300, 700, 0, 666, True, False, id="land-666-of-1000"),
    pytest.param(LAND, 1000, 300, 1000, 300, 666, True, False, id="land-666-everyone-present"),
    pytest.param(LAND, 1000, 300, 1000, 300, 1000, True, True, id="land-unanimous"),
    pytest.param(LAND, 1000, 300, 501, 0, 501, True, False, id="land-501-present-all-yes"),
    pytest.param(LAND, 1000, 300, 400, 200, 400, True, False, id="land-quorum-by-households-400-yes"),
    pytest.param(LAND, 999, 300, 800, 0, 666, True, True, id="land-666-of-999-exactly-two-thirds"),
    pytest.param(LAND, 999, 300, 800, 0, 665, True, False, id="land-665-of-999"),
    # ≥ 2/3 of representatives: 45 → 30
    pytest.param(LAND_REPS, 45, 45, 30, 0, 30, True, True, id="land-reps-30-of-45"),
    pytest.param(LAND_REPS, 45, 45, 45, 0, 29, True, False, id="land-reps-29-of-45"),
    pytest.param(LAND_REPS, 45, 45, 29, 0, 29, False, False, id="land-reps-no-quorum"),
])
def test_land_to_outsiders(rule, members, households, present, households_present, yes, met, passed):
    ordinary = _outcome(RULES[rule.key], members, households, present, households_present, yes)
    outcome = _outcome(rule, members, households, present, households_present, yes)
    assert outcome.quorum == ordinary.quorum  # the special rule keeps the council's quorum
    assert outcome.quorum.met is met
    assert outcome.passed is passed
    assert outcome.yes_needed == -(-2 * members // 3)  # ⌈2/3 · members⌉


def test_land_rule_outcome_fields_and_citation():
    outcome = _outcome(LAND, 1000, 300, 700, 0, 667)
    assert (outcome.quorum.required, outcome.quorum.present, outcome.quorum.met) == (501, 700, True)
    assert (outcome.yes, outcome.yes_needed, outcome.passed) == (667, 667, True)
    assert outcome.rule == "全体成员的三分之二以上同意"
    assert outcome.citation == "依据《农村土地承包法》（2018年修正）第五十二条"
    assert "农村土地承包法" in outcome.citation and "第五十二条" in outcome.citation
    name, measure = SPECIAL_RULES[LAND_TO_OUTSIDERS]
    assert name == "土地发包给本集体经济组织以外的单位或个人"
    assert measure.basis == MEMBERS
    assert measure.threshold.fraction == Fraction(2, 3) and measure.threshold.inclusive is True
    assert (LAND.key, LAND.name, LAND.quorum) == (ASSEMBLY, "村民会议", RULES[ASSEMBLY].quorum)
    assert (LAND_REPS.key, LAND_REPS.name) == (REPRESENTATIVES, "村民代表会议")


@pytest.mark.parametrize("special", [None, ""])
def test_with_no_special_rule_the_rule_is_unchanged(special):
    for rule in RULES.values():
        assert with_special(rule, special, DAY_2018) is rule


def test_an_unknown_special_rule_is_refused():
    with pytest.raises(KeyError):
        with_special(RULES[ASSEMBLY], "no_such_matter", DAY_2018)


# --- custom councils: configurable fractions, inclusive or strict, present or all members --------

# (quorum, inclusive, passing, inclusive, basis, members, present, yes, met, passed, required, yes_needed)
CUSTOM_CASES = [
    # quorum ≥ 1/2 (inclusive) vs > 1/2 (strict) of 10 members
    pytest.param(Fraction(1, 2), True, Fraction(1, 2), False, PRESENT, 10, 5, 3, True, True, 5, 3, id="q-incl-5-of-10"),
    pytest.param(Fraction(1, 2), True, Fraction(1, 2), False, PRESENT, 10, 4, 4, False, False, 5, 3, id="q-incl-4"),
    pytest.param(Fraction(1, 2), False, Fraction(1, 2), False, PRESENT, 10, 5, 5, False, False, 6, 3, id="q-strict-5"),
    pytest.param(Fraction(1, 2), False, Fraction(1, 2), False, PRESENT, 10, 6, 4, True, True, 6, 4, id="q-strict-6"),
    # passing ≥ 1/2 of present (inclusive: a tie carries) vs > 1/2 (strict: a tie fails)
    pytest.param(Fraction(1, 2), True, Fraction(1, 2), True, PRESENT, 10, 10, 5, True, True, 5, 5, id="p-incl-tie"),
    pytest.param(Fraction(1, 2), True, Fraction(1, 2), False, PRESENT, 10, 10, 5, True, False, 5, 6, id="p-strict-tie"),
    pytest.param(Fraction(1, 2), True, Fraction(1, 2), False, PRESENT, 10, 10, 6, True, True, 5, 6, id="p-strict-6"),
    # passing 3/5 strict of present: 10 present → 7
    pytest.param(Fraction(2, 3), True, Fraction(3, 5), False, PRESENT, 12, 10, 6, True, False, 8, 7, id="p-3:5-6"),
    pytest.param(Fraction(2, 3), True, Fraction(3, 5), False, PRESENT, 12, 10, 7, True, True, 8, 7, id="p-3:5-7"),
    # passing ≥ 2/3 of ALL members: 12 members → 8, however many are present
    pytest.param(Fraction(2, 3), True, Fraction(2, 3), True, MEMBERS, 12, 9, 8, True, True, 8, 8, id="p-members-8"),
    pytest.param(Fraction(2, 3), True, Fraction(2, 3), True, MEMBERS, 12, 9, 7, True, False, 8, 8, id="p-members-7"),
    pytest.param(Fraction(2, 3), True, Fraction(2, 3), True, MEMBERS, 12, 12, 7, True, False, 8, 8, id="p-members-all"),
    # quorum 3/4 inclusive of 7 members: 5.25 → 6
    pytest.param(Fraction(3, 4), True, Fraction(1, 2), False, PRESENT, 7, 6, 4, True, True, 6, 4, id="q-3/4-6-of-7"),
    pytest.param(Fraction(3, 4), True, Fraction(1, 2), False, PRESENT, 7, 5, 5, False, False, 6, 3, id="q-3/4-5-of-7"),
    # a whole body in attendance (quorum 1, inclusive) and unanimity (passing 1, inclusive)
    pytest.param(Fraction(1), True, Fraction(1), True, PRESENT, 5, 5, 5, True, True, 5, 5, id="unanimous"),
    pytest.param(Fraction(1), True, Fraction(1), True, PRESENT, 5, 5, 4, True, False, 5, 5, id="unanimous-but-one"),
    pytest.param(Fraction(1), True, Fraction(1), True, PRESENT, 5, 4, 4, False, False, 5, 4, id="one-absent"),
]


@pytest.mark.parametrize(("q", "q_incl", "p", "p_incl", "basis", "members", "present", "yes", "met", "passed",
                          "required", "yes_needed"), CUSTOM_CASES)
def test_custom_rule(q, q_incl, p, p_incl, basis, members, present, yes, met, passed, required, yes_needed):
    rule = custom_rule("村民议事会", q, q_incl, p, p_incl, pass_basis=basis)
    outcome = _outcome(rule, members, members, present, 0, yes)
    assert outcome.quorum.met is met
    assert outcome.passed is passed
    assert outcome.quorum.required == required
    assert outcome.yes_needed == yes_needed


def test_custom_rule_texts_and_citation():
    rule = custom_rule("村民理事会", Fraction(2, 3), True, Fraction(1, 2), False)
    assert (rule.key, rule.name) == (CUSTOM, "村民理事会")
    assert rule.passing.basis == PRESENT  # the default
    assert [m.basis for m in rule.quorum] == [MEMBERS]
    assert rule.quorum_text == "组成人员的三分之二以上"
    assert rule.passing_text == "到会人员的过半数"
    assert rule.citation.startswith("依据《村民理事会章程》") and "村民委员会组织法" not in rule.citation
    by_members = custom_rule("村务监事会", Fraction(1, 2), False, Fraction(2, 3), True, pass_basis=MEMBERS)
    assert by_members.quorum_text == "组成人员的过半数"
    assert by_members.passing_text == "全体成员的三分之二以上"
    assert _outcome(by_members, 9, 9, 9, 0, 6).rule == "全体成员的三分之二以上同意"
    strict = custom_rule("村民议事会", Fraction(2, 3), True, Fraction(3, 5), False)
    assert strict.passing_text == "超过到会人员的五分之三"


@pytest.mark.parametrize(("fraction", "words"), [
    (Fraction(1, 2), "二分之一"), (Fraction(2, 3), "三分之二"), (Fraction(3, 4), "四分之三"),
    (Fraction(4, 5), "五分之四"), (Fraction(5, 6), "六分之五"), (Fraction(6, 7), "七分之六"),
    (Fraction(7, 8), "八分之七"), (Fraction(8, 9), "九分之八"), (Fraction(7, 10), "十分之七"),
    (Fraction(9, 10), "十分之九"),
], ids=str)
def test_custom_fractions_are_written_in_chinese(fraction, words):
    rule = custom_rule("村民议事会", fraction, True, fraction, True)
    assert rule.quorum_text == f"组成人员的{words}以上"
    assert rule.passing_text == f"到会人员的{words}以上"


# --- no quorum, no decision; nobody to count, no quorum ------------------------------------------

ALL_RULES = [*RULES.values(), LAND, LAND_REPS, custom_rule("村民议事会", Fraction(1, 2), False, Fraction(1, 2), False)]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: f"{r.key}-{r.passing.threshold.key}")
@pytest.mark.parametrize("members", [1, 2, 3, 10, 45, 100, 1000])
def test_without_quorum_nothing_passes_even_unanimously(rule, members):
    households = max(1, members // 3)
    short = decide(rule, Turnout(members, households, members, households), 0).quorum.required - 1
    for households_present in range(0, households + 1):
        outcome = decide(rule, Turnout(members, households, short, households_present), short)
        household_measures = [m for m in rule.quorum if m.basis == HOUSEHOLDS]
        by_households = any(m.threshold.met(households_present, households) for m in household_measures)
        assert outcome.quorum.met is by_households
        if not by_households:
            assert outcome.passed is False  # every one of those present said yes


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: f"{r.key}-{r.passing.threshold.key}")
@pytest.mark.parametrize("yes", [0, 1, 5])
def test_an_empty_electorate_never_meets_quorum(rule, yes):
    outcome = decide(rule, Turnout(0, 0, 0, 0), yes)
    assert outcome.quorum.met is False
    assert outcome.passed is False
    assert outcome.quorum.required == 0 and outcome.quorum.present == 0
    # even nonsense counts against an empty electorate cannot meet it
    assert decide(rule, Turnout(0, 0, yes, yes), yes).passed is False


# --- what the result shows: quorum, counts, the rule in the law's words, the citation -------------

@pytest.mark.parametrize(("kind", "turnout", "yes", "expected"), [
    (ASSEMBLY, Turnout(1000, 300, 100, 200), 51,
     dict(required=501, present=100, met=True, yes_needed=51, passed=True, article="第二十二条",
          quorum_text="本村 18 周岁以上村民的过半数，或本村户数的三分之二以上")),
    (REPRESENTATIVES, Turnout(45, 45, 30, 0), 16,
     dict(required=30, present=30, met=True, yes_needed=16, passed=True, article="第二十六条",
          quorum_text="村民代表会议组成人员的三分之二以上")),
    (GROUP, Turnout(60, 30, 39, 20), 19,
     dict(required=40, present=39, met=True, yes_needed=20, passed=False, article="第二十八条",
          quorum_text="本组 18 周岁以上村民的三分之二以上，或本组户数的三分之二以上")),
])
def test_outcome_fields_for_the_village_committee_law(kind, turnout, yes, expected):
    outcome = decide(RULES[kind], turnout, yes)
    assert outcome.quorum.required == expected["required"]
    assert outcome.quorum.present == expected["present"]
    assert outcome.quorum.met is expected["met"]
    assert outcome.quorum.text == expected["quorum_text"]
    assert outcome.yes == yes
    assert outcome.yes_needed == expected["yes_needed"]
    assert outcome.passed is expected["passed"]
    assert outcome.rule == "到会人员的过半数同意"
    assert "村民委员会组织法" in outcome.citation and "2018年修正" in outcome.citation
    assert expected["article"] in outcome.citation
    assert outcome.citation == f"依据《村民委员会组织法》（2018年修正）{expected['article']}"


def test_party_and_joint_outcome_fields():
    party = decide(RULES[PARTY], Turnout(30, 20, 20, 0), 16)
    assert (party.quorum.required, party.quorum.present, party.quorum.met) == (20, 20, True)
    assert (party.yes_needed, party.passed) == (16, True)
    assert party.quorum.text == "党员的三分之二以上"
    assert party.rule == "全体党员的过半数同意"
    joint = decide(RULES[JOINT], Turnout(9, 9, 6, 0), 4)
    assert (joint.quorum.required, joint.quorum.met, joint.yes_needed, joint.passed) == (6, True, 4, True)
    assert joint.quorum.text == "两委成员的三分之二以上"
    assert joint.rule == "到会人员的过半数同意"


# (kind, measure: index or "pass", basis, fraction, inclusive, law, version, article) — by hand, from the law
SHAPES = [
    (ASSEMBLY, 0, MEMBERS, Fraction(1, 2), False, "村民委员会组织法", "2018年修正", "第二十二条"),
    (ASSEMBLY, 1, HOUSEHOLDS, Fraction(2, 3), True, "村民委员会组织法", "2018年修正", "第二十二条"),
    (ASSEMBLY, "pass", PRESENT, Fraction(1, 2), False, "村民委员会组织法", "2018年修正", "第二十二条"),
    (REPRESENTATIVES, 0, MEMBERS, Fraction(2, 3), True, "村民委员会组织法", "2018年修正", "第二十六条"),
    (REPRESENTATIVES, "pass", PRESENT, Fraction(1, 2), False, "村民委员会组织法", "2018年修正", "第二十六条"),
    (GROUP, 0, MEMBERS, Fraction(2, 3), True, "村民委员会组织法", "2018年修正", "第二十八条"),
    (GROUP, 1, HOUSEHOLDS, Fraction(2, 3), True, "村民委员会组织法", "2018年修正", "第二十八条"),
    (GROUP, "pass", PRESENT, Fraction(1, 2), False, "村民委员会组织法", "2018年修正", "第二十八条"),
    (PARTY, 0, MEMBERS, Fraction(2, 3), True, None, None, None),
    (PARTY, "pass", MEMBERS, Fraction(1, 2), False, None, None, None),
    (JOINT, 0, MEMBERS, Fraction(2, 3), True, None, None, None),
    (JOINT, "pass", PRESENT, Fraction(1, 2), False, None, None, None),
]


@pytest.mark.parametrize(("kind", "which", "basis", "fraction", "inclusive", "law", "version", "article"), SHAPES)
def test_each_measure_is_as_the_law_says(kind, which, basis, fraction, inclusive, law, version, article):
    rule = RULES[kind]
    measure = rule.passing if which == "pass" else rule.quorum[which]
    assert measure.basis == basis
    assert isinstance(measure.threshold.fraction, Fraction)
    assert measure.threshold.fraction == fraction
    assert measure.threshold.inclusive is inclusive
    if law is not None:
        assert (measure.threshold.law, measure.threshold.law_version, measure.threshold.citation) == (
            law, version, article)
        assert measure.threshold.cite == f"依据《{law}》（{version}）{article}"
    else:  # local practice, not the village committee law
        assert "村民委员会组织法" not in measure.threshold.cite


def test_quorum_measure_counts():
    assert [len(RULES[k].quorum) for k in (ASSEMBLY, REPRESENTATIVES, GROUP, PARTY, JOINT)] == [2, 1, 2, 1, 1]


def test_every_rule_is_named_as_its_council_kind():
    assert set(RULES) == set(COUNCIL_KINDS) - {CUSTOM}
    for key, rule in RULES.items():
        assert rule.key == key
        assert rule.name == COUNCIL_KINDS[key]
    assert COUNCIL_KINDS == {
        ASSEMBLY: "村民会议", REPRESENTATIVES: "村民代表会议", GROUP: "村民小组会议", PARTY: "党员大会",
        JOINT: "两委联席会议", CUSTOM: "自定议事机构",
    }


# --- exactness: integers and Fractions, never floats ---------------------------------------------

def _brute_needed(threshold: Threshold, of: int) -> int:
    """The smallest count c with c/of ≥ f (inclusive) or c/of > f (strict), by integer cross-multiplication."""
    num, den = threshold.fraction.numerator, threshold.fraction.denominator
    for c in range(0, of + 2):
        if (c * den >= num * of) if threshold.inclusive else (c * den > num * of):
            return c
    raise AssertionError("unreachable for fractions ≤ 1")


ALL_THRESHOLDS = sorted(
    {m.threshold for r in ALL_RULES for m in (*r.quorum, r.passing)}
    | {m.threshold for _, m in SPECIAL_RULES.values()}
    | {m.threshold for f in (Fraction(3, 5), Fraction(3, 4), Fraction(7, 10))
       for inc in (True, False) for m in custom_rule("议事会", f, inc, f, inc).quorum},
    key=lambda t: (t.key, t.fraction, t.inclusive),
)


@pytest.mark.parametrize("threshold", ALL_THRESHOLDS, ids=lambda t: f"{t.key}-{t.fraction}-{t.inclusive}")
def test_needed_matches_a_brute_force_search(threshold):
    for of in range(1, 201):
        needed = threshold.needed(of)
        assert needed == _brute_needed(threshold, of), of
        for c in range(0, of + 1):
            assert threshold.met(c, of) is (c >= needed), (of, c)


@pytest.mark.parametrize("kind", [ASSEMBLY, REPRESENTATIVES, GROUP, PARTY, JOINT])
def test_decide_agrees_with_a_brute_force_search(kind):
    rule = RULES[kind]
    for n in range(1, 201):
        quorum_at = _brute_needed(rule.quorum[0].threshold, n)
        for present in (quorum_at - 1, quorum_at):
            if present < 0:
                continue
            outcome = decide(rule, Turnout(n, n, present, 0), present)
            assert outcome.quorum.required == quorum_at
            assert outcome.quorum.met is (present >= quorum_at), (n, present)
        yes_at = _brute_needed(rule.passing.threshold, n)  # everyone present: members == present == n
        for yes in range(max(0, yes_at - 2), min(n, yes_at + 2) + 1):
            outcome = decide(rule, Turnout(n, n, n, n), yes)
            assert outcome.yes_needed == yes_at
            assert outcome.passed is (yes >= yes_at), (n, yes)
        for household_measure in rule.quorum[1:]:
            h_at = _brute_needed(household_measure.threshold, n)
            assert decide(rule, Turnout(10 * n, n, 0, h_at), 0).quorum.met is True
            assert decide(rule, Turnout(10 * n, n, 0, h_at - 1), 0).quorum.met is False


def test_party_passing_is_measured_against_all_members_for_every_size():
    for members in range(1, 201):
        for present in range(_brute_needed(RULES[PARTY].quorum[0].threshold, members), members + 1):
            outcome = decide(RULES[PARTY], Turnout(members, 0, present, 0), present)
            assert outcome.yes_needed == members // 2 + 1
            assert outcome.passed is (present >= members // 2 + 1)


@pytest.mark.parametrize(("kind", "members", "households", "required", "yes_needed_all_present"), [
    (ASSEMBLY, 3_000_001, 900_001, 1_500_001, 1_500_001),
    (ASSEMBLY, 3_000_000, 900_000, 1_500_001, 1_500_001),
    (REPRESENTATIVES, 3_000_001, 0, 2_000_001, 1_500_001),
    (REPRESENTATIVES, 3_000_000, 0, 2_000_000, 1_500_001),
    (GROUP, 3_000_001, 900_001, 2_000_001, 1_500_001),
    (PARTY, 3_000_001, 0, 2_000_001, 1_500_001),
    (JOINT, 3_000_001, 0, 2_000_001, 1_500_001),
    (ASSEMBLY, 3 * 10**20 + 1, 0, 15 * 10**19 + 1, 15 * 10**19 + 1),
    (REPRESENTATIVES, 3 * 10**20, 0, 2 * 10**20, 15 * 10**19 + 1),
    (REPRESENTATIVES, 3 * 10**20 + 1, 0, 2 * 10**20 + 1, 15 * 10**19 + 1),
])
def test_large_numbers_are_exact(kind, members, households, required, yes_needed_all_present):
    rule = RULES[kind]
    outcome = decide(rule, Turnout(members, households, members, 0), yes_needed_all_present)
    assert outcome.quorum.required == required
    assert outcome.yes_needed == yes_needed_all_present and outcome.passed is True
    assert decide(rule, Turnout(members, households, members, 0), yes_needed_all_present - 1).passed is False
    assert decide(rule, Turnout(members, households, required, 0), 0).quorum.met is True
    assert decide(rule, Turnout(members, households, required - 1, 0), 0).quorum.met is False
    for measure in (*rule.quorum, rule.passing):
        of = households if measure.basis == HOUSEHOLDS else members
        if of:
            needed = measure.threshold.needed(of)
            assert isinstance(needed, int)
            assert measure.threshold.met(needed, of) and not measure.threshold.met(needed - 1, of)


def test_household_quorum_with_millions_is_exact():
    # 2/3 of 900,001 households is 600,000.67 → 600,001; of 900,000 exactly 600,000
    for kind in (ASSEMBLY, GROUP):
        rule = RULES[kind]
        assert decide(rule, Turnout(10**7, 900_001, 0, 600_001), 0).quorum.met is True
        assert decide(rule, Turnout(10**7, 900_001, 0, 600_000), 0).quorum.met is False
        assert decide(rule, Turnout(10**7, 900_000, 0, 600_000), 0).quorum.met is True
        assert decide(rule, Turnout(10**7, 900_000, 0, 599_999), 0).quorum.met is False


def test_land_rule_with_millions_is_exact():
    assert decide(LAND, Turnout(3_000_001, 0, 3_000_001, 0), 2_000_001).passed is True
    assert decide(LAND, Turnout(3_000_001, 0, 3_000_001, 0), 2_000_000).passed is False
    assert decide(LAND, Turnout(3_000_000, 0, 3_000_000, 0), 2_000_000).passed is True
    assert decide(LAND, Turnout(3_000_000, 0, 3_000_000, 0), 1_999_999).passed is False
    big = 3 * 10**20
    assert decide(LAND, Turnout(big, 0, big, 0), 2 * 10**20).passed is True
    assert decide(LAND, Turnout(big, 0, big, 0), 2 * 10**20 - 1).passed is False
