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
        word = "以上" if self.inclusive else "（不含本数）以上"
        return f"{self.counts}{_fraction_words(self.fraction)}{word}"

    @property
    def cite(self) -> str:
        return f"依据《{self.law}》（{self.law_version}）{self.citation}"


def _fraction_words(f: Fraction) -> str:
    words = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 10: "十"}
    return f"{words.get(f.denominator, f.denominator)}分之{words.get(f.numerator, f.numerator)}"


# 提议召开村民会议 / 联署提事: 本村十分之一以上的村民或者三分之一以上的村民代表提议 (第二十一条).
# In 一事一议, a villagers' proposal enters deliberation with the same support.
COSIGN_VILLAGERS = Threshold(
    "cosign_villagers", "村民联署", "本村 18 周岁以上村民的", Fraction(1, 10), True, "第二十一条"
)
COSIGN_REPRESENTATIVES = Threshold(
    "cosign_representatives", "村民代表联署", "村民代表的", Fraction(1, 5), True, "第二十六条"
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
