"""The rulebook: thresholds of the law as data, each with the versions of its source.

Thresholds follow 民法典 第1259条: "以上" includes the number (≥); "过半数 / 超过" does not (>).
Arithmetic is exact (integers and Fractions), never floats.

A threshold of the law is a `Spec`: what it counts, its fraction, the provision it comes from
(`app/domain/law.py`) and, should an edition change it, the new value from that edition on
(`changes`). Asked for a day (the decision's date by the Beijing calendar), it resolves to a
`Threshold` carrying the `Source` in force that day: the law, its edition, the article in that
edition, its words and the edition's dates. A village's own rules (党员大会, 两委联席会议, custom
bodies) have one source and no dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import NamedTuple

from app.domain import law as L

LAW = L.CWH
VERSION_2018 = L.CWH_2018
VERSION_2025 = L.CWH_2025


@dataclass(frozen=True)
class Source:
    """Where a threshold comes from, in the version used for a decision."""

    law: str
    edition: str = ""  # "2018年修正"; "" for a village's own rules
    article: str | None = ""  # "第二十二条"; "" when no article applies; None when not established
    topic: str = ""
    words: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    note: str = ""

    @property
    def where(self) -> str:
        if self.article is None:
            return f"关于{self.topic}的规定（条号待核）"
        return self.article

    @property
    def cite(self) -> str:
        version = f"（{self.edition}）" if self.edition else ""
        return f"依据《{self.law}》{version}{self.where}"


@dataclass(frozen=True)
class Threshold:
    key: str
    name: str  # what it is, in Chinese
    counts: str  # the quantity compared, in Chinese ("本村 18 周岁以上村民")
    fraction: Fraction
    inclusive: bool  # True: "以上" (≥); False: "过半数/超过" (>)
    source: Source

    @property
    def law(self) -> str:
        return self.source.law

    @property
    def law_version(self) -> str:
        return self.source.edition

    @property
    def citation(self) -> str:
        """The article, e.g. "第二十一条" ("" when none applies, "关于…的规定（条号待核）" when unknown)."""
        return self.source.where

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
        return self.source.cite


def _fraction_words(f: Fraction) -> str:
    words = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}
    return f"{words.get(f.denominator, f.denominator)}分之{words.get(f.numerator, f.numerator)}"


@dataclass(frozen=True)
class Spec:
    """A threshold of the law across its editions."""

    key: str
    name: str
    counts: str
    fraction: Fraction
    inclusive: bool
    provision: str  # a key of law.PROVISIONS
    changes: tuple[tuple[str, Fraction, bool], ...] = ()  # (edition, fraction, inclusive) from that edition on

    def on(self, day: date) -> Threshold:
        """The threshold in force on `day` (Beijing calendar), with its source in that edition."""
        provision = L.PROVISIONS[self.provision]
        return self._in(provision, L.edition_on(provision.law, day))

    def versions(self) -> list[Threshold]:
        """One threshold per edition of the provision's law, oldest first."""
        provision = L.PROVISIONS[self.provision]
        return [self._in(provision, e) for e in L.editions_of(provision.law)]

    def _in(self, provision: L.Provision, edition: L.Edition) -> Threshold:
        order = [e.name for e in L.editions_of(provision.law)]
        fraction, inclusive = self.fraction, self.inclusive
        for name, f, inc in self.changes:
            if order.index(name) <= order.index(edition.name):
                fraction, inclusive = f, inc
        art = provision.article(edition.name)
        return Threshold(self.key, self.name, self.counts, fraction, inclusive, Source(
            provision.law, edition.name, art.number, provision.topic, art.words, edition.valid_from,
            edition.valid_until, art.note))


def _spec(key: str, name: str, counts: str, num: int, den: int, inclusive: bool, provision: str) -> Spec:
    return Spec(key, name, counts, Fraction(num, den), inclusive, provision)


def _local(key: str, name: str, counts: str, num: int, den: int, inclusive: bool, law: str,
           article: str = "") -> Threshold:
    return Threshold(key, name, counts, Fraction(num, den), inclusive, Source(law, "", article))


# 联署提事 (一事一议): a villagers' proposal enters deliberation with the support of one tenth of
# the adult villagers (as for convening a 村民会议) or one fifth of the representatives (as for
# convening a 村民代表会议).
COSIGN_VILLAGERS = _spec("cosign_villagers", "村民联署", "本村 18 周岁以上村民的", 1, 10, True,
                         "cwh.assembly_convene")
COSIGN_REPRESENTATIVES = _spec("cosign_representatives", "村民代表联署", "村民代表的", 1, 5, True,
                               "cwh.representatives")

# Convening on request (召集): a 村民会议 must be called when 1/10 of villagers or 1/3 of the
# representatives ask; a 村民代表会议 when 1/5 of the representatives ask.
CONVENE_ASSEMBLY_VILLAGERS = _spec("convene_assembly_villagers", "提议召开村民会议", "本村 18 周岁以上村民的",
                                   1, 10, True, "cwh.assembly_convene")
CONVENE_ASSEMBLY_REPRESENTATIVES = _spec("convene_assembly_representatives", "提议召开村民会议", "村民代表的",
                                         1, 3, True, "cwh.assembly_convene")
CONVENE_REPRESENTATIVES = _spec("convene_representatives", "提议召开村民代表会议", "村民代表的", 1, 5, True,
                                "cwh.representatives")


@dataclass(frozen=True)
class CosignProgress:
    villagers: int
    villagers_needed: int
    representatives: int
    representatives_needed: int
    citation: str = ""

    @property
    def met(self) -> bool:
        by_villagers = self.villagers_needed > 0 and self.villagers >= self.villagers_needed
        by_reps = self.representatives_needed > 0 and self.representatives >= self.representatives_needed
        return by_villagers or by_reps


def cosign_progress(cosigners: int, rep_cosigners: int, adults: int, representatives: int,
                    on: date) -> CosignProgress:
    """Co-signing support on day `on`: ≥ 1/10 of adult villagers, or ≥ 1/5 of representatives."""
    by_villagers, by_reps = COSIGN_VILLAGERS.on(on), COSIGN_REPRESENTATIVES.on(on)
    return CosignProgress(
        villagers=cosigners,
        villagers_needed=by_villagers.needed(adults),
        representatives=rep_cosigners,
        representatives_needed=by_reps.needed(representatives),
        citation=f"{by_villagers.cite}、{by_reps.citation}",
    )


# Publication periods (村务公开): at most this many months between two notices of a category.
PUBLICATION_MONTHS = {"village": 3, "finance": 1}


def publication_source(on: date) -> Source:
    """The source of the publication periods in force on `on`."""
    return source_of("cwh.openness", on)


def source_of(provision: str, on: date) -> Source:
    """Any provision's source in the edition in force on `on` (for help texts and checks)."""
    p = L.PROVISIONS[provision]
    edition = L.edition_on(p.law, on)
    art = p.article(edition.name)
    return Source(p.law, edition.name, art.number, p.topic, art.words, edition.valid_from, edition.valid_until,
                  art.note)


# 村务公开's least posting days, from that edition on (2025 第三十五条: 不得少于十五日); 党务 is not under this law.
POSTING_DAYS: dict[str, int | None] = {L.CWH_2018: None, L.CWH_2025: 15}
POSTED_CATEGORIES = ("village", "finance")


class PostingFloor(NamedTuple):
    days: int  # 0: the law sets none that day (and source is None)
    source: Source | None


def posting_floor(category: str, on: date) -> PostingFloor:
    """The least posting days of a `category` notice published on `on`, and the source to cite."""
    source = source_of("cwh.openness", on)
    order = [e.name for e in L.editions_of(source.law)]
    since = [e for e in POSTING_DAYS if order.index(e) <= order.index(source.edition)]
    days = POSTING_DAYS[max(since, key=order.index)] if since and category in POSTED_CATEGORIES else None
    return PostingFloor(days, source) if days else PostingFloor(0, None)


SUPERVISORY_ORGANS_FROM = L.CWH_2025  # the edition that names 监察机关 as a destination for reports


def report_help(on: date) -> str:
    """Where a problem with the village's notices may be taken, by the law in force on `on`."""
    villagers = source_of("cwh.report", on)
    text = f"村务公开不及时或不真实的，村民可以向乡镇人民政府或者县级人民政府有关部门反映（{villagers.cite}）。"
    supervision = source_of("cwh.supervision", on)
    if supervision.edition == SUPERVISORY_ORGANS_FROM:
        text += f"村务监督委员会发现侵害群众利益的违纪违法行为，应当向人民政府和监察机关反映（{supervision.cite}）。"
    return text


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


# A council's rule, as data: (basis, a Spec of the law or a fixed Threshold of local rules).
_Part = tuple[str, "Spec | Threshold"]


@dataclass(frozen=True)
class RuleSpec:
    key: str
    name: str
    quorum: tuple[_Part, ...]
    passing: _Part

    def on(self, day: date) -> CouncilRule:
        return CouncilRule(self.key, self.name, tuple(Measure(b, _at(t, day)) for b, t in self.quorum),
                           Measure(self.passing[0], _at(self.passing[1], day)))


def _at(t: Spec | Threshold, day: date) -> Threshold:
    return t.on(day) if isinstance(t, Spec) else t


RULE_SPECS: dict[str, RuleSpec] = {
    ASSEMBLY: RuleSpec(
        ASSEMBLY, "村民会议",
        ((MEMBERS, _spec("assembly_quorum", "到会人数", "本村 18 周岁以上村民的", 1, 2, False, "cwh.assembly")),
         (HOUSEHOLDS, _spec("assembly_quorum_households", "到会户数", "本村户数的", 2, 3, True, "cwh.assembly"))),
        (PRESENT, _spec("assembly_pass", "同意人数", "到会人员的", 1, 2, False, "cwh.assembly")),
    ),
    REPRESENTATIVES: RuleSpec(
        REPRESENTATIVES, "村民代表会议",
        ((MEMBERS, _spec("reps_quorum", "到会人数", "村民代表会议组成人员的", 2, 3, True, "cwh.representatives")),),
        (PRESENT, _spec("reps_pass", "同意人数", "到会人员的", 1, 2, False, "cwh.representatives")),
    ),
    GROUP: RuleSpec(
        GROUP, "村民小组会议",
        ((MEMBERS, _spec("group_quorum", "到会人数", "本组 18 周岁以上村民的", 2, 3, True, "cwh.group")),
         (HOUSEHOLDS, _spec("group_quorum_households", "到会户数", "本组户数的", 2, 3, True, "cwh.group"))),
        (PRESENT, _spec("group_pass", "同意人数", "到会人员的", 1, 2, False, "cwh.group")),
    ),
    PARTY: RuleSpec(
        PARTY, "党员大会",
        # Quorum: the stricter local practice of two thirds; passing: 超过应到会有表决权的党员的半数.
        ((MEMBERS, _local("party_quorum", "到会人数", "党员的", 2, 3, True, "本村议事规则（党员大会）")),),
        (MEMBERS, _local("party_pass", "同意人数", "全体党员的", 1, 2, False, "中国共产党支部工作条例（试行）",
                         "第十一条")),
    ),
    JOINT: RuleSpec(
        JOINT, "两委联席会议",
        ((MEMBERS, _local("joint_quorum", "到会人数", "两委成员的", 2, 3, True, "本村议事规则")),),
        (PRESENT, _local("joint_pass", "同意人数", "到会人员的", 1, 2, False, "本村议事规则")),
    ),
}


def rules_on(day: date) -> dict[str, CouncilRule]:
    """Every council kind's rule under the law in force on `day` (Beijing calendar)."""
    return {k: spec.on(day) for k, spec in RULE_SPECS.items()}


def rule_for(kind: str, day: date) -> CouncilRule:
    return RULE_SPECS[kind].on(day)


# Matters that need more than the council's ordinary majority.
LAND_TO_OUTSIDERS = "land_to_outsiders"
SPECIAL_SPECS: dict[str, tuple[str, _Part]] = {
    # 农村土地承包法（2018年修正）第五十二条: 发包给本集体经济组织以外的单位或者个人承包 … 应当事先经
    # 本集体经济组织成员的村民会议三分之二以上成员或者三分之二以上村民代表的同意.
    LAND_TO_OUTSIDERS: ("土地发包给本集体经济组织以外的单位或个人",
                        (MEMBERS, _spec("land_outsiders_pass", "同意人数", "全体成员的", 2, 3, True,
                                        "land.outsiders"))),
}


def special_on(special: str, day: date) -> tuple[str, Measure]:
    """A special matter's name and its passing measure under the law in force on `day`."""
    name, (basis, t) = SPECIAL_SPECS[special]
    return name, Measure(basis, _at(t, day))


# The special matters in the latest edition's words, for forms (decisions use `special_on`).
SPECIAL_RULES: dict[str, tuple[str, Measure]] = {k: special_on(k, date.max) for k in SPECIAL_SPECS}


def custom_rule(name: str, quorum: Fraction, quorum_inclusive: bool, passing: Fraction, pass_inclusive: bool,
                pass_basis: str = PRESENT) -> CouncilRule:
    """A village's own body (议事会、理事会、监事会 …) with thresholds its charter sets."""
    charter = Source(f"{name}章程")
    return CouncilRule(
        CUSTOM, name,
        (Measure(MEMBERS, Threshold("custom_quorum", "到会人数", "组成人员的", quorum, quorum_inclusive, charter)),),
        Measure(pass_basis, Threshold("custom_pass", "同意人数",
                                      "到会人员的" if pass_basis == PRESENT else "全体成员的",
                                      passing, pass_inclusive, charter)),
    )


def with_special(rule: CouncilRule, special: str | None, day: date) -> CouncilRule:
    """The council's rule with a special matter's stricter passing measure, as in force on `day`."""
    if not special:
        return rule
    _, measure = special_on(special, day)
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


# --- the public rulebook page: every rule with its editions ------------------------------------

@dataclass(frozen=True)
class Version:
    source: Source
    text: str  # the threshold in words ("" for a provision without a fraction)


@dataclass(frozen=True)
class Entry:
    group: str
    name: str
    versions: tuple[Version, ...]


def _spec_entry(group: str, name: str, t: Spec | Threshold) -> Entry:
    versions = t.versions() if isinstance(t, Spec) else [t]
    return Entry(group, name, tuple(Version(v.source, v.text) for v in versions))


def _provision_entry(group: str, name: str, key: str) -> Entry:
    p = L.PROVISIONS[key]
    return Entry(group, name, tuple(Version(source_of(key, e.valid_from), "") for e in L.editions_of(p.law)))


def catalogue() -> list[Entry]:
    """Each rule with its editions, oldest first, for the public rulebook page."""
    entries = []
    for spec in RULE_SPECS.values():
        for basis, t in spec.quorum:
            entries.append(_spec_entry(spec.name, "到会户数" if basis == HOUSEHOLDS else "到会人数", t))
        entries.append(_spec_entry(spec.name, "表决通过", spec.passing[1]))
    for name, (_, t) in SPECIAL_SPECS.values():
        entries.append(_spec_entry("特别事项", name, t))
    for group, name, t in (("联署提事", "村民联署", COSIGN_VILLAGERS),
                           ("联署提事", "村民代表联署", COSIGN_REPRESENTATIVES),
                           ("提议召开", "村民提议召开村民会议", CONVENE_ASSEMBLY_VILLAGERS),
                           ("提议召开", "村民代表提议召开村民会议", CONVENE_ASSEMBLY_REPRESENTATIVES),
                           ("提议召开", "村民代表提议召开村民代表会议", CONVENE_REPRESENTATIVES)):
        entries.append(_spec_entry(group, name, t))
    entries.append(_provision_entry("村务公开", "公开的期限（村务每季度、财务每月）", "cwh.openness"))
    entries.append(_provision_entry("村务公开", "村民反映村务公开问题", "cwh.report"))
    entries.append(_provision_entry("村务监督", "村务监督机构（成员的回避、列席、反映问题）", "cwh.supervision"))
    return entries
