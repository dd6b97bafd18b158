"""Rule versions by date: every rule of the village committee law cites the 2018 text up to
2025-12-31 and the 2025 amendment from 2026-01-01 (in force that day, adopted 2025-10-28), by the
Beijing calendar. The expectations are written out by hand from app/domain/law.py's sources: the
2018 consolidated text and the 2025 one (第二次修正, 50 articles), where the provisions cited moved by
four (第二十一条 → 第二十五条 …) or five (第三十条 → 第三十五条 …) and no threshold changed.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from app.domain import law as L
from app.domain import rulebook as R

LAST_2018 = date(2025, 12, 31)
FIRST_2025 = date(2026, 1, 1)
ADOPTED_2025 = date(2025, 10, 28)  # adopted, not yet in force: still the 2018 text


def _cwh_2018(article: str) -> str:
    return f"依据《村民委员会组织法》（2018年修正）{article}"


def _cwh_2025(article: str) -> str:
    return f"依据《村民委员会组织法》（2025年修正）{article}"


# (name, threshold of a day, fraction, inclusive, 2018 article, 2025 article, words that carry it)
ASSEMBLY = ("第二十二条", "第二十六条", "本村十八周岁以上村民的过半数")
REPS = ("第二十六条", "第三十条", "三分之二以上的组成人员参加方可召开")
GROUP = ("第二十八条", "第三十二条", "本村民小组十八周岁以上的村民三分之二以上")
CONVENE = ("第二十一条", "第二十五条", "有十分之一以上的村民或者三分之一以上的村民代表提议")
TABLE = [
    ("assembly_quorum", lambda d: R.rule_for(R.ASSEMBLY, d).quorum[0].threshold, Fraction(1, 2), False, *ASSEMBLY),
    ("assembly_quorum_households", lambda d: R.rule_for(R.ASSEMBLY, d).quorum[1].threshold, Fraction(2, 3), True,
     *ASSEMBLY),
    ("assembly_pass", lambda d: R.rule_for(R.ASSEMBLY, d).passing.threshold, Fraction(1, 2), False, *ASSEMBLY),
    ("reps_quorum", lambda d: R.rule_for(R.REPRESENTATIVES, d).quorum[0].threshold, Fraction(2, 3), True, *REPS),
    ("reps_pass", lambda d: R.rule_for(R.REPRESENTATIVES, d).passing.threshold, Fraction(1, 2), False, *REPS),
    ("group_quorum", lambda d: R.rule_for(R.GROUP, d).quorum[0].threshold, Fraction(2, 3), True, *GROUP),
    ("group_quorum_households", lambda d: R.rule_for(R.GROUP, d).quorum[1].threshold, Fraction(2, 3), True,
     *GROUP),
    ("group_pass", lambda d: R.rule_for(R.GROUP, d).passing.threshold, Fraction(1, 2), False, *GROUP),
    ("cosign_villagers", R.COSIGN_VILLAGERS.on, Fraction(1, 10), True, *CONVENE),
    ("cosign_representatives", R.COSIGN_REPRESENTATIVES.on, Fraction(1, 5), True, *REPS),
    ("convene_assembly_villagers", R.CONVENE_ASSEMBLY_VILLAGERS.on, Fraction(1, 10), True, *CONVENE),
    ("convene_assembly_representatives", R.CONVENE_ASSEMBLY_REPRESENTATIVES.on, Fraction(1, 3), True, *CONVENE),
    ("convene_representatives", R.CONVENE_REPRESENTATIVES.on, Fraction(1, 5), True, *REPS),
]
COLUMNS = ("key", "at", "fraction", "inclusive", "old", "new", "words")


@pytest.mark.parametrize(COLUMNS, TABLE, ids=[t[0] for t in TABLE])
@pytest.mark.parametrize("day", [date(2018, 12, 29), ADOPTED_2025, LAST_2018], ids=str)
def test_up_to_2025_12_31_the_2018_text(day, key, at, fraction, inclusive, old, new, words):
    t = at(day)
    assert (t.key, t.fraction, t.inclusive) == (key, fraction, inclusive)
    assert t.cite == _cwh_2018(old)
    assert (t.source.edition, t.source.valid_from, t.source.valid_until) == ("2018年修正", date(2018, 12, 29),
                                                                              LAST_2018)
    assert words in t.source.words


@pytest.mark.parametrize(COLUMNS, TABLE, ids=[t[0] for t in TABLE])
@pytest.mark.parametrize("day", [FIRST_2025, date(2026, 12, 4)], ids=str)
def test_from_2026_01_01_the_2025_amendment(day, key, at, fraction, inclusive, old, new, words):
    t = at(day)
    assert (t.key, t.fraction, t.inclusive) == (key, fraction, inclusive)  # no threshold changed
    assert t.cite == _cwh_2025(new)
    assert (t.source.edition, t.source.article, t.source.valid_from, t.source.valid_until) == (
        "2025年修正", new, FIRST_2025, None)
    assert words in t.source.words  # the same words, read in the 2025 text
    assert "[K2025]" in t.source.note  # where the number was read


# Every provision cited, 2018 article → 2025 article (the consolidated texts, law.py [L2018] and [K2025]).
RENUMBERED = [
    ("cwh.assembly_convene", "第二十一条", "第二十五条"),
    ("cwh.assembly", "第二十二条", "第二十六条"),
    ("cwh.representatives", "第二十六条", "第三十条"),
    ("cwh.charter", "第二十七条", "第三十一条"),
    ("cwh.group", "第二十八条", "第三十二条"),
    ("cwh.openness", "第三十条", "第三十五条"),
    ("cwh.report", "第三十一条", "第三十六条"),
    ("cwh.supervision", "第三十二条", "第三十七条"),
]


@pytest.mark.parametrize(("provision", "old", "new"), RENUMBERED, ids=[r[0] for r in RENUMBERED])
def test_each_provision_cites_its_article_on_each_side_of_the_boundary(provision, old, new):
    assert R.source_of(provision, LAST_2018).cite == _cwh_2018(old)
    assert R.source_of(provision, FIRST_2025).cite == _cwh_2025(new)
    assert [a.number for _, a in L.PROVISIONS[provision].articles] == [old, new]


def test_the_table_covers_every_provision_of_the_village_committee_law():
    assert {r[0] for r in RENUMBERED} == {k for k, p in L.PROVISIONS.items() if p.law == L.CWH}


def test_what_the_2025_text_added_is_in_its_words():
    convene = R.source_of("cwh.assembly_convene", FIRST_2025).words
    assert "提前十日通知" in convene and "每年至少召开一次" in convene
    assert "每年至少召开一次" not in R.source_of("cwh.assembly_convene", LAST_2018).words
    assert "不得少于十五日" in R.source_of("cwh.openness", FIRST_2025).words
    assert "十五日" not in R.source_of("cwh.openness", LAST_2018).words
    supervision = R.source_of("cwh.supervision", FIRST_2025).words
    assert "监察机关" in supervision and "村民代表会议" in supervision and "任期" in supervision
    assert "监察机关" not in R.source_of("cwh.supervision", LAST_2018).words


def test_council_rule_citations_follow_the_day():
    assert R.rule_for(R.ASSEMBLY, LAST_2018).citation == "依据《村民委员会组织法》（2018年修正）第二十二条"
    assert R.rule_for(R.ASSEMBLY, FIRST_2025).citation == "依据《村民委员会组织法》（2025年修正）第二十六条"
    assert R.rule_for(R.REPRESENTATIVES, LAST_2018).citation == "依据《村民委员会组织法》（2018年修正）第二十六条"
    assert R.rule_for(R.REPRESENTATIVES, FIRST_2025).citation == "依据《村民委员会组织法》（2025年修正）第三十条"
    assert R.rules_on(LAST_2018)[R.GROUP].citation == "依据《村民委员会组织法》（2018年修正）第二十八条"
    assert R.rules_on(FIRST_2025)[R.GROUP].citation == "依据《村民委员会组织法》（2025年修正）第三十二条"


def test_a_decision_on_each_side_of_the_boundary():
    turnout = R.Turnout(members=30, households=20, present=20, households_present=0)
    before = R.decide(R.rule_for(R.REPRESENTATIVES, LAST_2018), turnout, 11)
    after = R.decide(R.rule_for(R.REPRESENTATIVES, FIRST_2025), turnout, 11)
    assert (before.passed, before.yes_needed, before.quorum.required) == (True, 11, 20)
    assert (after.passed, after.yes_needed, after.quorum.required) == (True, 11, 20)
    assert before.citation == _cwh_2018("第二十六条") and after.citation == _cwh_2025("第三十条")


@pytest.mark.parametrize("day", [LAST_2018, FIRST_2025], ids=str)
def test_the_land_rule_has_one_edition_across_the_boundary(day):
    rule = R.with_special(R.rule_for(R.REPRESENTATIVES, day), R.LAND_TO_OUTSIDERS, day)
    assert rule.citation == "依据《农村土地承包法》（2018年修正）第五十二条"
    assert rule.passing.threshold.fraction == Fraction(2, 3) and rule.passing.threshold.inclusive
    assert rule.quorum == R.rule_for(R.REPRESENTATIVES, day).quorum  # the council's own quorum, by the day


def test_local_rules_have_no_edition():
    for day in (LAST_2018, FIRST_2025):
        assert R.rule_for(R.PARTY, day).citation == "依据《中国共产党支部工作条例（试行）》第十一条"
        assert R.rule_for(R.JOINT, day).citation == "依据《本村议事规则》"


def test_cosign_progress_cites_the_day():
    assert R.cosign_progress(0, 0, 100, 10, LAST_2018).citation == \
        "依据《村民委员会组织法》（2018年修正）第二十一条、第二十六条"
    assert R.cosign_progress(0, 0, 100, 10, FIRST_2025).citation == \
        "依据《村民委员会组织法》（2025年修正）第二十五条、第三十条"


def test_publication_periods_and_report_destinations():
    assert R.publication_source(LAST_2018).cite == "依据《村民委员会组织法》（2018年修正）第三十条"
    assert R.publication_source(FIRST_2025).cite == "依据《村民委员会组织法》（2025年修正）第三十五条"
    assert R.PUBLICATION_MONTHS == {"village": 3, "finance": 1}
    assert "监察机关" not in R.report_help(LAST_2018) and "第三十一条" in R.report_help(LAST_2018)
    after = R.report_help(FIRST_2025)
    assert "监察机关" in after and "（依据《村民委员会组织法》（2025年修正）第三十六条）" in after
    assert "（依据《村民委员会组织法》（2025年修正）第三十七条）" in after


def test_editions_of_a_law_are_ordered_and_do_not_overlap():
    for law in {e.law for e in L.EDITIONS}:
        editions = L.editions_of(law)
        for older, newer in zip(editions, editions[1:], strict=False):
            assert older.valid_until is not None and (newer.valid_from - older.valid_until).days == 1
            assert older.adopted <= older.valid_from
        assert editions[-1].valid_until is None
    cwh = L.editions_of(L.CWH)
    assert [(e.name, e.adopted, e.valid_from, e.valid_until) for e in cwh] == [
        ("2018年修正", date(2018, 12, 29), date(2018, 12, 29), LAST_2018),
        ("2025年修正", ADOPTED_2025, FIRST_2025, None),
    ]


def test_every_provision_has_an_article_entry_for_every_edition_of_its_law():
    for provision in L.PROVISIONS.values():
        names = [n for n, _ in provision.articles]
        assert names == [e.name for e in L.editions_of(provision.law)], provision.key
        for _, article in provision.articles:
            assert article.note  # where the number came from (or why it is missing)


def test_a_next_edition_is_data_only(monkeypatch):
    """Adding an edition and its article numbers changes the citation with no change of logic."""
    nxt = L.Edition(L.CWH, "2030年修正", date(2030, 6, 1), date(2031, 1, 1), None, "test")
    last = L.EDITIONS[1]
    monkeypatch.setattr(L, "EDITIONS", (L.EDITIONS[0], L.Edition(last.law, last.name, last.adopted,
                                                                  last.valid_from, date(2030, 12, 31),
                                                                  last.source), nxt, L.EDITIONS[2]))
    p = L.PROVISIONS["cwh.assembly"]
    monkeypatch.setitem(L.PROVISIONS, "cwh.assembly", L.Provision(p.key, p.law, p.topic, (
        *p.articles, ("2030年修正", L.Article("第三十条", "（测试）", "test")))))
    assert R.rule_for(R.ASSEMBLY, date(2030, 12, 31)).citation == _cwh_2025("第二十六条")
    assert R.rule_for(R.ASSEMBLY, date(2031, 1, 1)).citation == "依据《村民委员会组织法》（2030年修正）第三十条"
    # a threshold that changes with an edition: data on the Spec
    spec = R.Spec("x", "到会人数", "本村 18 周岁以上村民的", Fraction(1, 2), False, "cwh.assembly",
                  (("2030年修正", Fraction(2, 3), True),))
    assert (spec.on(date(2030, 12, 31)).fraction, spec.on(date(2031, 1, 1)).fraction) == (Fraction(1, 2),
                                                                                           Fraction(2, 3))
    assert [v.fraction for v in spec.versions()] == [Fraction(1, 2), Fraction(1, 2), Fraction(2, 3)]


def test_the_catalogue_lists_every_rule_with_both_editions():
    entries = R.catalogue()
    names = {(e.group, e.name) for e in entries}
    assert ("村民会议", "到会人数") in names and ("特别事项", "土地发包给本集体经济组织以外的单位或个人") in names
    assert ("村务监督", "村务监督机构（成员的回避、列席、反映问题）") in names
    for e in entries:
        if e.versions[0].source.law == L.CWH:
            assert [v.source.edition for v in e.versions] == ["2018年修正", "2025年修正"], e.name
