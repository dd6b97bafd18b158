"""A proposal's content rules (money in fen, caps of 一事一议) and a village's own settings."""

from __future__ import annotations

import pytest

from app.domain.money import parse_yuan, yuan
from app.domain.proposals import BODY_MAX, CATEGORIES, TITLE_MAX, ProposalDraft, problems
from app.domain.village_settings import (
    DEFAULT_LABOUR_DAYS_CAP,
    DEFAULT_PER_CAPITA_CAP_FEN,
    MAX_MIN_DAYS,
    VillageSettings,
    settable_stages,
    validate,
)

DEFAULTS = VillageSettings()


def draft(**changes) -> ProposalDraft:
    values = dict(title="硬化村东头道路", body="修 300 米水泥路。", category="facilities", procedure="yishiyiyi",
                  budget_fen=6_000_000, per_capita_fen=1500, labour_days=2, exemptions="五保户、现役军人家庭")
    values.update(changes)
    return ProposalDraft(**values)


# --- money ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fen", "text"), [
    (0, "0.00"), (1, "0.01"), (10, "0.10"), (99, "0.99"), (100, "1.00"), (1500, "15.00"), (150050, "1,500.50"),
    (150000, "1,500.00"), (123456789, "1,234,567.89"), (-5, "-0.05"), (-150050, "-1,500.50"), (None, ""),
])
def test_yuan(fen, text):
    assert yuan(fen) == text


@pytest.mark.parametrize(("text", "fen"), [
    ("15", 1500), ("15.5", 1550), ("15.50", 1550), ("15.05", 1505), ("0.01", 1), ("0", 0), ("1.", 100),
    ("1,500.5", 150050), ("1，500.5", 150050), ("1500元", 150000), ("¥15", 1500), (" 15 ", 1500),
    ("１５", 1500),  # full-width digits, as phones type them
    ("", None), ("   ", None), (None, None),
])
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["1.234", "abc", "-1", "-0.01", "1.2.3", ".5", "1e3", "15.x", "十五", "1 500",
                                  "+15", "0x10", "1.-5"])
def test_parse_yuan_refuses(text):
    with pytest.raises(ValueError):
        parse_yuan(text)


@pytest.mark.parametrize("fen", [0, 1, 9, 10, 99, 100, 101, 1500, 150050, 123456789])
def test_yuan_and_parse_yuan_round_trip(fen):
    assert parse_yuan(yuan(fen)) == fen


# --- problems ------------------------------------------------------------------------------------

def test_a_good_draft_has_no_problems():
    assert problems(draft(), DEFAULTS) == {}
    assert problems(draft(budget_fen=None, per_capita_fen=None, labour_days=None, exemptions=None), DEFAULTS) == {}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": ""}, "title", "请填写标题"),
    ({"title": "   "}, "title", "请填写标题"),
    ({"title": "路" * (TITLE_MAX + 1)}, "title", f"标题最多 {TITLE_MAX} 个字"),
    ({"body": ""}, "body", "请写明事项内容"),
    ({"body": " \n\t"}, "body", "请写明事项内容"),
    ({"body": "字" * (BODY_MAX + 1)}, "body", f"内容最多 {BODY_MAX} 个字"),
    ({"category": "nonsense"}, "category", "请选择类别"),
    ({"category": ""}, "category", "请选择类别"),
    ({"category": "公共设施"}, "category", "请选择类别"),  # the key, not the Chinese name
    ({"procedure": "referendum"}, "procedure", "请选择议事程序"),
    ({"budget_fen": -1}, "budget_fen", "不能是负数"),
    ({"per_capita_fen": -1}, "per_capita_fen", "不能是负数"),
    ({"labour_days": -1}, "labour_days", "不能是负数"),
    ({"exemptions": "减" * 501}, "exemptions", "减免说明最多 500 个字"),
])
def test_each_problem_is_named_by_field(changes, field, message):
    assert problems(draft(**changes), DEFAULTS) == {field: message}


def test_every_problem_is_reported_at_once():
    found = problems(draft(title="", body="", category="x", procedure="y", budget_fen=-1), DEFAULTS)
    assert set(found) == {"title", "body", "category", "procedure", "budget_fen"}


@pytest.mark.parametrize("length", [1, TITLE_MAX])
def test_title_lengths_that_fit(length):
    assert problems(draft(title="路" * length), DEFAULTS) == {}
    assert problems(draft(title="  " + "路" * length + "  "), DEFAULTS) == {}  # surrounding spaces do not count


def test_body_at_the_limit_fits():
    assert problems(draft(body="字" * BODY_MAX), DEFAULTS) == {}


def test_every_category_is_accepted():
    assert set(CATEGORIES) == {"facilities", "fundraising", "assets", "land", "subsidy", "other"}
    for key in CATEGORIES:
        assert problems(draft(category=key), DEFAULTS) == {}


@pytest.mark.parametrize(("settings", "cap"), [
    (DEFAULTS, DEFAULT_PER_CAPITA_CAP_FEN),
    (VillageSettings(per_capita_cap_fen=2000), 2000),  # a province with a ¥20 cap
    (VillageSettings(per_capita_cap_fen=0), 0),
])
def test_per_capita_cap_boundary(settings, cap):
    assert problems(draft(per_capita_fen=cap), settings) == {}
    over = problems(draft(per_capita_fen=cap + 1), settings)
    assert over == {"per_capita_fen": f"人均筹资 {yuan(cap + 1)} 元超过本村上限 {yuan(cap)} 元"}


def test_the_default_cap_is_fifteen_yuan():
    assert DEFAULT_PER_CAPITA_CAP_FEN == 1500
    assert problems(draft(per_capita_fen=1501), DEFAULTS) == {
        "per_capita_fen": "人均筹资 15.01 元超过本村上限 15.00 元"}


@pytest.mark.parametrize(("settings", "cap"), [
    (DEFAULTS, DEFAULT_LABOUR_DAYS_CAP),
    (VillageSettings(labour_days_cap=5), 5),
    (VillageSettings(labour_days_cap=0), 0),
])
def test_labour_days_cap_boundary(settings, cap):
    assert problems(draft(labour_days=cap), settings) == {}
    assert problems(draft(labour_days=cap + 1), settings) == {
        "labour_days": f"人均筹劳 {cap + 1} 天超过上限 {cap} 天"}


@pytest.mark.parametrize("procedure", ["sizheng", "simple"])
def test_the_caps_are_for_yishiyiyi_only(procedure):
    assert problems(draft(procedure=procedure, per_capita_fen=999_999, labour_days=99), DEFAULTS) == {}


# --- village settings ----------------------------------------------------------------------------

KEYS = {"yishiyiyi.deliberation", "yishiyiyi.notice", "sizheng.party_proposal", "sizheng.joint_meeting",
        "sizheng.resolution_notice", "sizheng.result_notice", "simple.deliberation", "simple.notice"}


def test_settable_stages():
    rows = settable_stages()
    assert {key for key, *_ in rows} == KEYS
    assert ("yishiyiyi.deliberation", "一事一议", "商事（公开商议）", 7) in rows
    assert ("simple.deliberation", "简易程序", "商议", 0) in rows


@pytest.mark.parametrize("days", [0, 1, 7, 89, MAX_MIN_DAYS, "0", "90", " 7 "])
def test_validate_accepts_days_in_range(days):
    settings, errors = validate({"yishiyiyi.deliberation": days}, 1500, 10)
    assert errors == {}
    assert settings.min_days == {"yishiyiyi.deliberation": int(days)}


@pytest.mark.parametrize(("days", "message"), [
    (91, "天数应在 0 到 90 之间"),
    (-1, "天数应在 0 到 90 之间"),
    (10_000, "天数应在 0 到 90 之间"),
    ("abc", "天数应为整数"),
    ("", "天数应为整数"),
    (None, "天数应为整数"),
    ("7.5", "天数应为整数"),
    (7.5, "天数应为整数"),
    (True, "天数应为整数"),
    ([7], "天数应为整数"),
])
def test_validate_refuses_days(days, message):
    settings, errors = validate({"yishiyiyi.deliberation": days}, 1500, 10)
    assert errors == {"yishiyiyi.deliberation": message}
    assert settings.min_days == {}


@pytest.mark.parametrize("key", ["yishiyiyi.vote", "yishiyiyi.cosign", "yishiyiyi.closed", "nowhere.deliberation",
                                 "deliberation", "", "sizheng.review"])
def test_validate_refuses_unknown_stages(key):
    _, errors = validate({key: 3}, 1500, 10)
    assert errors == {key: "没有这个阶段"}


@pytest.mark.parametrize(("cap", "labour", "errors"), [
    (0, 0, {}),
    (1500, 10, {}),
    (100_000_00, 365, {}),
    (100_000_01, 10, {"per_capita_cap_fen": "人均筹资上限超出允许范围"}),
    (-1, 10, {"per_capita_cap_fen": "人均筹资上限超出允许范围"}),
    (1500, 366, {"labour_days_cap": "人均筹劳上限超出允许范围"}),
    (1500, -1, {"labour_days_cap": "人均筹劳上限超出允许范围"}),
    ("x", 10, {"per_capita_cap_fen": "人均筹资上限应为整数"}),
    (15.5, 10, {"per_capita_cap_fen": "人均筹资上限应为整数"}),
    (1500, None, {"labour_days_cap": "人均筹劳上限应为整数"}),
])
def test_validate_caps(cap, labour, errors):
    settings, found = validate({}, cap, labour)
    assert found == errors
    if not errors:
        assert (settings.per_capita_cap_fen, settings.labour_days_cap) == (int(cap), int(labour))


def test_validate_collects_every_error():
    _, errors = validate({"yishiyiyi.deliberation": 91, "nowhere.x": 1, "simple.notice": 3}, -1, "x")
    assert set(errors) == {"yishiyiyi.deliberation", "nowhere.x", "per_capita_cap_fen", "labour_days_cap"}


def test_stage_days_default_and_override():
    assert DEFAULTS.stage_days("yishiyiyi", "deliberation") == 7
    assert DEFAULTS.stage_days("yishiyiyi", "notice") == 7
    assert DEFAULTS.stage_days("sizheng", "joint_meeting") == 3
    assert DEFAULTS.stage_days("simple", "deliberation") == 0
    assert DEFAULTS.stage_days("yishiyiyi", "vote") == 0
    custom = VillageSettings(min_days={"yishiyiyi.deliberation": 14, "simple.deliberation": 2,
                                      "yishiyiyi.notice": 0})
    assert custom.stage_days("yishiyiyi", "deliberation") == 14
    assert custom.stage_days("simple", "deliberation") == 2
    assert custom.stage_days("yishiyiyi", "notice") == 0  # an override of 0 is an override, not "unset"
    assert custom.stage_days("sizheng", "joint_meeting") == 3  # others keep the default


def test_settings_round_trip_through_json():
    settings = VillageSettings(min_days={"simple.notice": 3, "yishiyiyi.deliberation": 10}, per_capita_cap_fen=2000,
                               labour_days_cap=5)
    data = settings.to_json()
    assert list(data["min_days"]) == ["simple.notice", "yishiyiyi.deliberation"]  # sorted: stable bytes
    assert VillageSettings.from_json(data) == settings
    assert VillageSettings.from_json(None) == DEFAULTS == VillageSettings.from_json({})
    assert (DEFAULTS.per_capita_cap_fen, DEFAULTS.labour_days_cap) == (1500, 10)
