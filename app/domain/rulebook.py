"""The rulebook: thresholds of the law as data, each with its citation and law version.

Thresholds follow 民法典 第1259条: "以上" includes the number (≥); "过半数 / 超过" does not (>).
Arithmetic is exact (integers and Fractions), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

LAW = "村民委员会组织法"
VERSION_2018 = "2018年修正"


@dataclass(frozen=True)
class Threshold:
    key: str
    name: str  # what it is, in Chinese
    counts: str  # the quantity compared, in Chinese ("本村 18 周岁以上村民")
    fraction: Fraction
    inclusive: bool  # True: "以上" (≥); False: "过半数/超过" (>)
    citation: str  # the article, e.g. "第二十一条"
    law: str = LAW
    law_version: str = VERSION_2018

    def met(self, count: int, of: int) -> bool:
        """Is `count` out of `of` enough? A body of nobody can never be satisfied."""
        if of <= 0:
            return False
        share = Fraction(count, of)
        return share >= self.fraction if self.inclusive else share > self.fraction

    def needed(self, of: int) -> int:
        """The smallest count that meets the threshold (0 when `of` is 0: nobody can meet it)."""
        if of <= 0:
            return 0
        exact = self.fraction * of
        whole = exact.numerator // exact.denominator
        if self.inclusive:
            return whole if whole == exact else whole + 1
        return whole + 1

    @property
    def text(self) -> str:
        """The threshold in the law's words: "到会人员的过半数", "组成人员的三分之二以上"."""
        if self.inclusive:
            return f"{self.counts}{_fraction_words(self.fraction)}以上"
        if self.fraction == Fraction(1, 2):
            return f"{self.counts}过半数"
        return f"超过{self.counts}{_fraction_words(self.fraction)}"

    @property
    def cite(self) -> str:
        version = f"（{self.law_version}）" if self.law_version else ""
        return f"依据《{self.law}》{version}{self.citation}"


def _fraction_words(f: Fraction) -> str:
    words = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}
    return f"{words.get(f.denominator, f.denominator)}分之{words.get(f.numerator, f.numerator)}"


# 联署提事 (一事一议): a villagers' proposal enters deliberation with the support of one tenth of
# the adult villagers (as for convening a 村民会议, 第二十一条) or one fifth of the representatives
# (as for convening a 村民代表会议, 第二十六条).
COSIGN_VILLAGERS = Threshold(
    "cosign_villagers", "村民联署", "本村 18 周岁以上村民的", Fraction(1, 10), True, "第二十一条"
)
COSIGN_REPRESENTATIVES = Threshold(
    "cosign_representatives", "村民代表联署", "村民代表的", Fraction(1, 5), True, "第二十六条"
)


# Convening on request (召集): a 村民会议 must be called when 1/10 of villagers or 1/3 of the
# representatives ask (第二十一条); a 村民代表会议 when 1/5 of the representatives ask (第二十六条).
CONVENE_ASSEMBLY_VILLAGERS = Threshold(
    "convene_assembly_villagers", "提议召开村民会议", "本村 18 周岁以上村民的", Fraction(1, 10), True, "第二十一条"
)
CONVENE_ASSEMBLY_REPRESENTATIVES = Threshold(
    "convene_assembly_representatives", "提议召开村民会议", "村民代表的", Fraction(1, 3), True, "第二十一条"
)
CONVENE_REPRESENTATIVES = Threshold(
    "convene_representatives", "提议召开村民代表会议", "村民代表的", Fraction(1, 5), True, "第二十六条"
)


@dataclass(frozen=True)
class CosignProgress:
    villagers: int
    villagers_needed: int
    representatives: int
    representatives_needed: int

    @property
    def met(self) -> bool:
        by_villagers = self.villagers_needed > 0 and self.villagers >= self.villagers_needed
        by_reps = self.representatives_needed > 0 and self.representatives >= self.representatives_needed
        return by_villagers or by_reps


def cosign_progress(cosigners: int, rep_cosigners: int, adults: int, representatives: int) -> CosignProgress:
    """Co-signing support: ≥ 1/10 of adult villagers, or ≥ 1/5 of representatives."""
    return CosignProgress(
        villagers=cosigners,
        villagers_needed=COSIGN_VILLAGERS.needed(adults),
        representatives=rep_cosigners,
        representatives_needed=COSIGN_REPRESENTATIVES.needed(representatives),
    )


# --- councils: who meets, when they may decide, and what carries a decision -----------------

ASSEMBLY = "assembly"  # 村民会议: all adult villagers
REPRESENTATIVES = "representatives"  # 村民代表会议
GROUP = "group"  # 村民小组会议: the adults of one villager group
PARTY = "party"  # 党员大会
JOINT = "joint"  # 两委联席会议: the committee and the party committee
CUSTOM = "custom"  # 议事会、理事会、监事会 … with named members

COUNCIL_KINDS: dict[str, str] = {
    ASSEMBLY: "村民会议",
    REPRESENTATIVES: "村民代表会议",
    GROUP: "村民小组会议",
    PARTY: "党员大会",
    JOINT: "两委联席会议",
    CUSTOM: "自定议事机构",
}

# What a threshold is measured against.
MEMBERS = "members"  # everyone in the electorate
HOUSEHOLDS = "households"  # households of the electorate
PRESENT = "present"  # those who took part (abstentions count as present)


@dataclass(frozen=True)
class Measure:
    """One comparison: `threshold` of `basis`, e.g. more than 1/2 of members present."""

    basis: str  # MEMBERS, HOUSEHOLDS or PRESENT — what the denominator is
    threshold: Threshold


@dataclass(frozen=True)
class CouncilRule:
    key: str
    name: str
    quorum: tuple[Measure, ...]  # any one suffices ("或")
    passing: Measure  # the yes count against its basis

    @property
    def quorum_text(self) -> str:
        return "，或".join(m.threshold.text for m in self.quorum)

    @property
    def passing_text(self) -> str:
        return self.passing.threshold.text

    @property
    def citation(self) -> str:
        return self.passing.threshold.cite


def _t(key: str, name: str, counts: str, num: int, den: int, inclusive: bool, article: str, **kw) -> Threshold:
    return Threshold(key, name, counts, Fraction(num, den), inclusive, article, **kw)


RULES: dict[str, CouncilRule] = {
    ASSEMBLY: CouncilRule(
        ASSEMBLY, "村民会议",
        (Measure(MEMBERS, _t("assembly_quorum", "到会人数", "本村 18 周岁以上村民的", 1, 2, False, "第二十二条")),
         Measure(HOUSEHOLDS, _t("assembly_quorum_households", "到会户数", "本村户数的", 2, 3, True, "第二十二条"))),
        Measure(PRESENT, _t("assembly_pass", "同意人数", "到会人员的", 1, 2, False, "第二十二条")),
    ),
    REPRESENTATIVES: CouncilRule(
        REPRESENTATIVES, "村民代表会议",
        (Measure(MEMBERS, _t("reps_quorum", "到会人数", "村民代表会议组成人员的", 2, 3, True, "第二十六条")),),
        Measure(PRESENT, _t("reps_pass", "同意人数", "到会人员的", 1, 2, False, "第二十六条")),
    ),
    GROUP: CouncilRule(
        GROUP, "村民小组会议",
        (Measure(MEMBERS, _t("group_quorum", "到会人数", "本组 18 周岁以上村民的", 2, 3, True, "第二十八条")),
         Measure(HOUSEHOLDS, _t("group_quorum_households", "到会户数", "本组户数的", 2, 3, True, "第二十八条"))),
        Measure(PRESENT, _t("group_pass", "同意人数", "到会人员的", 1, 2, False, "第二十八条")),
    ),
    PARTY: CouncilRule(
        PARTY, "党员大会",
        # Quorum: the stricter local practice of two thirds; passing: 超过应到会有表决权的党员的半数.
        (Measure(MEMBERS, _t("party_quorum", "到会人数", "党员的", 2, 3, True, "",
                             law="本村议事规则（党员大会）", law_version="")),),
        Measure(MEMBERS, _t("party_pass", "同意人数", "全体党员的", 1, 2, False, "第十一条",
                            law="中国共产党支部工作条例（试行）", law_version="")),
    ),
    JOINT: CouncilRule(
        JOINT, "两委联席会议",
        (Measure(MEMBERS, _t("joint_quorum", "到会人数", "两委成员的", 2, 3, True, "",
                             law="本村议事规则", law_version="")),),
        Measure(PRESENT, _t("joint_pass", "同意人数", "到会人员的", 1, 2, False, "",
                            law="本村议事规则", law_version="")),
    ),
}

# Matters that need more than the council's ordinary majority.
LAND_TO_OUTSIDERS = "land_to_outsiders"
SPECIAL_RULES: dict[str, tuple[str, Measure]] = {
    # 农村土地承包法 第五十二条: 发包给本集体经济组织以外的单位或者个人承包 … 应当事先经本集体经济组织成员的
    # 村民会议三分之二以上成员或者三分之二以上村民代表的同意.
    LAND_TO_OUTSIDERS: (
        "土地发包给本集体经济组织以外的单位或个人",
        Measure(MEMBERS, _t("land_outsiders_pass", "同意人数", "全体成员的", 2, 3, True, "第五十二条",
                            law="农村土地承包法", law_version="2018年修正")),
    ),
}


def custom_rule(name: str, quorum: Fraction, quorum_inclusive: bool, passing: Fraction, pass_inclusive: bool,
                pass_basis: str = PRESENT) -> CouncilRule:
    """A village's own body (议事会、理事会、监事会 …) with thresholds its charter sets."""
    return CouncilRule(
        CUSTOM, name,
        (Measure(MEMBERS, Threshold("custom_quorum", "到会人数", "组成人员的", quorum, quorum_inclusive,
                                    "", law=f"{name}章程", law_version="")),),
        Measure(pass_basis, Threshold("custom_pass", "同意人数",
                                      "到会人员的" if pass_basis == PRESENT else "全体成员的",
                                      passing, pass_inclusive, "", law=f"{name}章程",
                                      law_version="")),
    )


def with_special(rule: CouncilRule, special: str | None) -> CouncilRule:
    if not special:
        return rule
    _, measure = SPECIAL_RULES[special]
    return CouncilRule(rule.key, rule.name, rule.quorum, measure)


@dataclass(frozen=True)
class Turnout:
    members: int  # the frozen electorate
    households: int  # households of the electorate
    present: int  # distinct people who took part (online, proxy or signed in)
    households_present: int


@dataclass(frozen=True)
class QuorumResult:
    required: int  # the smallest number present that meets the first measure
    present: int
    met: bool
    text: str


@dataclass(frozen=True)
class Outcome:
    quorum: QuorumResult
    yes: int
    yes_needed: int
    passed: bool
    rule: str  # "到会人员的二分之一（不含本数）以上同意"
    citation: str


def _basis_value(basis: str, turnout: Turnout) -> int:
    return {MEMBERS: turnout.members, HOUSEHOLDS: turnout.households, PRESENT: turnout.present}[basis]


def _count_for(basis: str, turnout: Turnout) -> int:
    """For quorum: people present against members, households present against households."""
    return turnout.households_present if basis == HOUSEHOLDS else turnout.present


def decide(rule: CouncilRule, turnout: Turnout, yes: int) -> Outcome:
    """Quorum (any one measure) and passing (yes against its basis), exact arithmetic."""
    met = any(m.threshold.met(_count_for(m.basis, turnout), _basis_value(m.basis, turnout)) for m in rule.quorum)
    first = rule.quorum[0]
    quorum = QuorumResult(
        required=first.threshold.needed(_basis_value(first.basis, turnout)),
        present=turnout.present,
        met=met,
        text=rule.quorum_text,
    )
    base = _basis_value(rule.passing.basis, turnout)
    passed = met and rule.passing.threshold.met(yes, base)
    return Outcome(quorum, yes, rule.passing.threshold.needed(base), passed,
                   f"{rule.passing_text}同意", rule.citation)
