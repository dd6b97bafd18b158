"""Rules about a proposal's content: categories, lengths, money and the 一事一议 caps."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.money import yuan
from app.domain.village_settings import VillageSettings

CATEGORIES: dict[str, str] = {
    "facilities": "公共设施",
    "fundraising": "筹资筹劳",
    "assets": "集体资产",
    "land": "土地",
    "subsidy": "惠民资金",
    "other": "其他",
}

TITLE_MAX = 100
BODY_MAX = 20_000
EXEMPTIONS_MAX = 500


@dataclass(frozen=True)
class ProposalDraft:
    title: str
    body: str
    category: str
    procedure: str
    budget_fen: int | None = None
    per_capita_fen: int | None = None
    labour_days: int | None = None
    exemptions: str | None = None


def problems(draft: ProposalDraft, settings: VillageSettings) -> dict[str, str]:
    """Every problem with a draft, by field, in Chinese. Empty when it may be saved."""
    from app.domain.procedures import PROCEDURES

    errors: dict[str, str] = {}
    title = draft.title.strip()
    if not title:
        errors["title"] = "请填写标题"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"标题最多 {TITLE_MAX} 个字"
    if not draft.body.strip():
        errors["body"] = "请写明事项内容"
    elif len(draft.body) > BODY_MAX:
        errors["body"] = f"内容最多 {BODY_MAX} 个字"
    if draft.category not in CATEGORIES:
        errors["category"] = "请选择类别"
    if draft.procedure not in PROCEDURES:
        errors["procedure"] = "请选择议事程序"
    for name, value in (("budget_fen", draft.budget_fen), ("per_capita_fen", draft.per_capita_fen),
                        ("labour_days", draft.labour_days)):
        if value is not None and value < 0:
            errors[name] = "不能是负数"
    if draft.exemptions and len(draft.exemptions) > EXEMPTIONS_MAX:
        errors["exemptions"] = f"减免说明最多 {EXEMPTIONS_MAX} 个字"
    if draft.procedure == "yishiyiyi":
        if draft.per_capita_fen is not None and draft.per_capita_fen > settings.per_capita_cap_fen:
            errors["per_capita_fen"] = (
                f"人均筹资 {yuan(draft.per_capita_fen)} 元超过本村上限 {yuan(settings.per_capita_cap_fen)} 元"
            )
        if draft.labour_days is not None and draft.labour_days > settings.labour_days_cap:
            errors["labour_days"] = f"人均筹劳 {draft.labour_days} 天超过上限 {settings.labour_days_cap} 天"
    return errors
