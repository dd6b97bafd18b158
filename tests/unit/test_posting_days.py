"""The least posting days of 村务公开 (《村民委员会组织法》（2025年修正）第三十五条: 公布的期限不得少于十五日),
by the Beijing date: none under the 2018 edition (to 2025-12-31), fifteen days for village (村务) and
finance (财务) notices from 2026-01-01; party notices (党务) are not governed by this law."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import law as L
from app.domain import notices as N
from app.domain import rulebook as R

LAST_2018 = date(2025, 12, 31)
FIRST_2025 = date(2026, 1, 1)
LATER = date(2026, 12, 5)
CITE_2025 = "依据《村民委员会组织法》（2025年修正）第三十五条"
MESSAGE = f"村务公开至少公布 15 天（{CITE_2025}）"
TITLE, BODY = "村道硬化工程招标结果公示", "中标单位：某某建筑公司。"


@pytest.mark.parametrize(("category", "on", "floor", "edition"), [
    ("village", LAST_2018, 0, None),
    ("finance", LAST_2018, 0, None),
    ("party", LAST_2018, 0, None),
    ("village", FIRST_2025, 15, L.CWH_2025),
    ("finance", FIRST_2025, 15, L.CWH_2025),
    ("party", FIRST_2025, 0, None),
    ("village", LATER, 15, L.CWH_2025),
    ("party", LATER, 0, None),
    ("village", date(2031, 1, 1), 15, L.CWH_2025),  # still in force; a later edition keeps it until changed
])
def test_the_floor_by_category_and_day(category, on, floor, edition):
    f = R.posting_floor(category, on)
    assert f.days == floor
    assert (f.source.edition if f.source else None) == edition
    assert N.least_days(category, on) == max(1, floor)
    assert N.default_days(category, on) == max(7, floor)


def test_the_floor_cites_article_35_of_the_2025_edition_in_its_words():
    f = R.posting_floor("village", FIRST_2025)
    assert f.source.cite == CITE_2025
    assert "不得少于十五日" in f.source.words
    assert N.floor_text("village", FIRST_2025) == N.floor_text("finance", FIRST_2025) == MESSAGE
    assert N.floor_text("village", LAST_2018) == N.floor_text("party", FIRST_2025) == ""


@pytest.mark.parametrize(("category", "on", "days", "message"), [
    ("village", LAST_2018, 1, None),  # the last day of the 2018 edition: no floor
    ("village", LAST_2018, 7, None),
    ("finance", LAST_2018, 7, None),
    ("village", FIRST_2025, 14, MESSAGE),
    ("village", FIRST_2025, 15, None),
    ("finance", FIRST_2025, 14, MESSAGE),
    ("finance", FIRST_2025, 15, None),
    ("village", FIRST_2025, 7, MESSAGE),
    ("village", FIRST_2025, 0, MESSAGE),
    ("village", FIRST_2025, 365, None),
    ("village", FIRST_2025, 366, "公示天数应在 1 到 365 天之间"),
    ("party", FIRST_2025, 1, None),  # 党务: not 村务公开, no floor
    ("party", FIRST_2025, 0, "公示天数应在 1 到 365 天之间"),
    ("village", LAST_2018, 0, "公示天数应在 1 到 365 天之间"),
    ("village", LAST_2018, -7, "公示天数应在 1 到 365 天之间"),
])
def test_check_refuses_days_below_the_floor_of_the_day(category, on, days, message):
    errors = N.check(category, TITLE, BODY, days, on)
    assert errors.get("days") == message
    assert set(errors) <= {"days"}


@pytest.mark.parametrize(("category", "drafted", "on", "posted"), [
    ("village", 7, LAST_2018, 7),
    ("village", 7, FIRST_2025, 15),  # a draft written under the old rule, published under the new: extended
    ("finance", 14, FIRST_2025, 15),
    ("village", 20, FIRST_2025, 20),  # more than the floor stays
    ("party", 3, FIRST_2025, 3),
])
def test_publishing_extends_a_draft_to_the_floor(category, drafted, on, posted):
    assert N.publish_days(category, drafted, on) == posted


def test_the_data_per_edition():
    assert R.POSTING_DAYS == {L.CWH_2018: None, L.CWH_2025: 15}
    assert set(R.POSTED_CATEGORIES) == {N.VILLAGE, N.FINANCE}

