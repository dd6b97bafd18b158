"""The rulebook's thresholds at their boundaries (民法典 第1259条: "以上" includes the number, "过半数"
does not), and co-signing support by villagers or by representatives."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from app.domain import rulebook
from app.domain.rulebook import Source, Threshold, cosign_progress

DAY = date(2025, 12, 31)  # the 2018 text's last day (both editions: test_rulebook_editions.py)
COSIGN_VILLAGERS = rulebook.COSIGN_VILLAGERS.on(DAY)
COSIGN_REPRESENTATIVES = rulebook.COSIGN_REPRESENTATIVES.on(DAY)
STRICT_HALF = Threshold("half", "过半数", "到会人员的", Fraction(1, 2), False,
                        Source("村民委员会组织法", "2018年修正", "第二十二条"))
TWO_THIRDS = Threshold("two_thirds", "三分之二以上", "村民代表的", Fraction(2, 3), True,
                       Source("村民委员会组织法", "2018年修正", "第二十五条"))


@pytest.mark.parametrize(("threshold", "count", "of", "met"), [
    # co-signing by villagers: ≥ 1/10, inclusive
    (COSIGN_VILLAGERS, 100, 1000, True),
    (COSIGN_VILLAGERS, 99, 1000, False),
    (COSIGN_VILLAGERS, 101, 1001, True),
    (COSIGN_VILLAGERS, 100, 1001, False),
    (COSIGN_VILLAGERS, 1, 10, True),
    (COSIGN_VILLAGERS, 1, 11, False),
    (COSIGN_VILLAGERS, 1, 1, True),
    (COSIGN_VILLAGERS, 0, 1, False),
    (COSIGN_VILLAGERS, 1000, 1000, True),
    # co-signing by representatives: ≥ 1/5, inclusive
    (COSIGN_REPRESENTATIVES, 9, 45, True),
    (COSIGN_REPRESENTATIVES, 8, 45, False),
    (COSIGN_REPRESENTATIVES, 10, 46, True),
    (COSIGN_REPRESENTATIVES, 9, 46, False),
    # nobody to count: never met
    (COSIGN_VILLAGERS, 0, 0, False),
    (COSIGN_VILLAGERS, 5, 0, False),
    (COSIGN_REPRESENTATIVES, 0, 0, False),
    (COSIGN_REPRESENTATIVES, 3, -1, False),
    # strict (过半数, >): exactly half is not enough
    (STRICT_HALF, 50, 100, False),
    (STRICT_HALF, 51, 100, True),
    (STRICT_HALF, 50, 101, False),
    (STRICT_HALF, 51, 101, True),
    (STRICT_HALF, 16, 30, True),  # DESIGN: 30 present, 16 yes passes
    (STRICT_HALF, 15, 30, False),
    (STRICT_HALF, 501, 1000, True),  # DESIGN: 1,000 adults, 501 present meets quorum
    (STRICT_HALF, 500, 1000, False),
    (STRICT_HALF, 0, 0, False),
    # inclusive 2/3: exactly two thirds is enough
    (TWO_THIRDS, 30, 45, True),  # DESIGN: a 45-member 代表会议 needs 30 present
    (TWO_THIRDS, 29, 45, False),
    (TWO_THIRDS, 200, 300, True),  # DESIGN: 200 of 300 households
    (TWO_THIRDS, 199, 300, False),
])
def test_met_at_the_boundaries(threshold, count, of, met):
    assert threshold.met(count, of) is met


@pytest.mark.parametrize(("threshold", "of", "needed"), [
    (COSIGN_VILLAGERS, 1000, 100),
    (COSIGN_VILLAGERS, 1001, 101),
    (COSIGN_VILLAGERS, 999, 100),
    (COSIGN_VILLAGERS, 10, 1),
    (COSIGN_VILLAGERS, 9, 1),
    (COSIGN_VILLAGERS, 1, 1),
    (COSIGN_VILLAGERS, 0, 0),
    (COSIGN_REPRESENTATIVES, 45, 9),
    (COSIGN_REPRESENTATIVES, 46, 10),
    (COSIGN_REPRESENTATIVES, 0, 0),
    (STRICT_HALF, 100, 51),
    (STRICT_HALF, 101, 51),
    (STRICT_HALF, 1, 1),
    (TWO_THIRDS, 45, 30),
    (TWO_THIRDS, 46, 31),
    (TWO_THIRDS, 300, 200),
])
def test_needed_is_the_smallest_count_that_meets(threshold, of, needed):
    assert threshold.needed(of) == needed
    if of > 0:
        assert threshold.met(needed, of) and not threshold.met(needed - 1, of)


@pytest.mark.parametrize("threshold", [COSIGN_VILLAGERS, COSIGN_REPRESENTATIVES, STRICT_HALF, TWO_THIRDS])
def test_needed_agrees_with_met_everywhere(threshold):
    for of in range(1, 301):
        needed = threshold.needed(of)
        assert threshold.met(needed, of)
        assert not threshold.met(needed - 1, of)


def test_the_inclusive_and_strict_difference_is_only_at_the_exact_fraction():
    inclusive_half = Threshold("x", "半数以上", "到会人员的", Fraction(1, 2), True, "第二十二条")
    assert inclusive_half.met(50, 100) and not STRICT_HALF.met(50, 100)
    assert inclusive_half.met(51, 100) and STRICT_HALF.met(51, 100)
    assert not inclusive_half.met(49, 100) and not STRICT_HALF.met(49, 100)
    assert inclusive_half.needed(100) == 50 and STRICT_HALF.needed(100) == 51
    assert inclusive_half.needed(101) == STRICT_HALF.needed(101) == 51  # no exact half: the same


@pytest.mark.parametrize(("cosigners", "reps", "adults", "representatives", "met"), [
    (100, 0, 1000, 45, True),  # villagers alone
    (99, 0, 1000, 45, False),
    (99, 9, 1000, 45, True),  # representatives alone carry it
    (99, 8, 1000, 45, False),
    (10, 9, 1000, 45, True),
    (100, 0, 1000, 0, True),  # no representatives: villagers still can
    (9, 9, 1000, 0, False),
    (0, 0, 0, 0, False),  # an empty village: never
    (5, 5, 0, 0, False),
    (0, 0, 0, 45, False),
    (9, 9, 0, 45, True),
])
def test_cosign_progress_by_villagers_or_by_representatives(cosigners, reps, adults, representatives, met):
    progress = cosign_progress(cosigners, reps, adults, representatives, DAY)
    assert progress.met is met
    assert progress.villagers == cosigners and progress.representatives == reps


def test_cosign_progress_reports_what_is_needed():
    progress = cosign_progress(37, 2, 1000, 45, DAY)
    assert (progress.villagers, progress.villagers_needed) == (37, 100)  # "已联署 37 / 需 100"
    assert (progress.representatives, progress.representatives_needed) == (2, 9)
    assert cosign_progress(0, 0, 1001, 46, DAY).villagers_needed == 101
    empty = cosign_progress(0, 0, 0, 0, DAY)
    assert (empty.villagers_needed, empty.representatives_needed, empty.met) == (0, 0, False)


@pytest.mark.parametrize("threshold", [COSIGN_VILLAGERS, COSIGN_REPRESENTATIVES])
def test_citations_name_the_law_and_its_version(threshold):
    assert "村民委员会组织法" in threshold.cite and "2018年修正" in threshold.cite
    assert threshold.cite == f"依据《村民委员会组织法》（2018年修正）{threshold.citation}"
    assert threshold.citation.startswith("第") and threshold.citation.endswith("条")
    assert threshold.law_version == "2018年修正"


def test_citation_articles_and_texts():
    assert COSIGN_VILLAGERS.citation == "第二十一条" and COSIGN_REPRESENTATIVES.citation == "第二十六条"
    assert COSIGN_VILLAGERS.text == "本村 18 周岁以上村民的十分之一以上"
    assert COSIGN_REPRESENTATIVES.text == "村民代表的五分之一以上"
    assert TWO_THIRDS.text == "村民代表的三分之二以上"
    assert STRICT_HALF.text == "到会人员的过半数"


def test_thresholds_are_exact_fractions_and_inclusive_where_the_law_says_以上():
    for threshold in (COSIGN_VILLAGERS, COSIGN_REPRESENTATIVES):
        assert isinstance(threshold.fraction, Fraction) and threshold.inclusive is True
    assert COSIGN_VILLAGERS.fraction == Fraction(1, 10) and COSIGN_REPRESENTATIVES.fraction == Fraction(1, 5)
