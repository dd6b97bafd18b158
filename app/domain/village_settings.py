"""A village's own settings over the national defaults (stored as JSON on the village row).

Keys:
- "min_days": {"<procedure>.<stage>": days} — minimum time a stage lasts (0–90 days)
- "per_capita_cap_fen": 一事一议 cap per person per year, in fen (province rule; default ¥15)
- "labour_days_cap": 一事一议 labour days per person per year (default 10)
- "proxy_cap": how many written authorizations (委托) one person may hold in a vote (default 3)
- "objection_reply_days": days the committee has to answer an objection (质询) (default 10)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.domain.procedures import PROCEDURES

DEFAULT_PER_CAPITA_CAP_FEN = 1500
DEFAULT_LABOUR_DAYS_CAP = 10
DEFAULT_PROXY_CAP = 3
DEFAULT_OBJECTION_REPLY_DAYS = 10
MAX_MIN_DAYS = 90


# Set by the township for all its villages when the province rules them; a village cannot change them.
PROVINCE_KEYS = ("per_capita_cap_fen", "labour_days_cap", "proxy_cap")


@dataclass(frozen=True)
class VillageSettings:
    min_days: dict[str, int] = field(default_factory=dict)
    per_capita_cap_fen: int = DEFAULT_PER_CAPITA_CAP_FEN
    labour_days_cap: int = DEFAULT_LABOUR_DAYS_CAP
    proxy_cap: int = DEFAULT_PROXY_CAP
    objection_reply_days: int = DEFAULT_OBJECTION_REPLY_DAYS
    fixed: frozenset[str] = frozenset()  # keys the township sets

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, township: dict[str, Any] | None = None) -> VillageSettings:
        fixed = {k: v for k, v in (township or {}).items() if k in PROVINCE_KEYS and v is not None}
        data = {**(data or {}), **fixed}
        return cls(
            fixed=frozenset(fixed),
            min_days={k: int(v) for k, v in (data.get("min_days") or {}).items()},
            per_capita_cap_fen=int(data.get("per_capita_cap_fen", DEFAULT_PER_CAPITA_CAP_FEN)),
            labour_days_cap=int(data.get("labour_days_cap", DEFAULT_LABOUR_DAYS_CAP)),
            proxy_cap=int(data.get("proxy_cap", DEFAULT_PROXY_CAP)),
            objection_reply_days=int(data.get("objection_reply_days", DEFAULT_OBJECTION_REPLY_DAYS)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "min_days": dict(sorted(self.min_days.items())),
            "per_capita_cap_fen": self.per_capita_cap_fen,
            "labour_days_cap": self.labour_days_cap,
            "proxy_cap": self.proxy_cap,
            "objection_reply_days": self.objection_reply_days,
        }

    def stage_days(self, procedure: str, stage: str) -> int:
        key = f"{procedure}.{stage}"
        if key in self.min_days:
            return self.min_days[key]
        return PROCEDURES[procedure].stage(stage).default_days


def validate_province(values: dict[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """The township's province rules: only the keys given (None clears one back to the village's)."""
    errors: dict[str, str] = {}
    out: dict[str, int] = {}
    limits = {"per_capita_cap_fen": (0, 100_000_00, "人均筹资上限"), "labour_days_cap": (0, 365, "人均筹劳上限"),
              "proxy_cap": (1, 10, "每人可受委托数")}
    for key, value in values.items():
        if key not in limits:
            errors[key] = "没有这项设置"
        elif value is not None:
            low, high, label = limits[key]
            n = _int(value, key, low, high, errors, label)
            if n is not None:
                out[key] = n
    return out, errors


def settable_stages() -> list[tuple[str, str, str, int]]:
    """(key, procedure name, stage name, default days) for every stage whose minimum is settable."""
    rows = []
    for proc in PROCEDURES.values():
        for stage in proc.stages:
            if stage.movers and stage.kind.value in ("deliberation", "notice"):
                rows.append((f"{proc.key}.{stage.key}", proc.name, stage.name, stage.default_days))
    return rows


def validate(min_days: dict[str, Any], per_capita_cap_fen: Any, labour_days_cap: Any,
             proxy_cap: Any = DEFAULT_PROXY_CAP, objection_reply_days: Any = DEFAULT_OBJECTION_REPLY_DAYS,
             ) -> tuple[VillageSettings, dict]:
    """Check the committee's form; returns (settings, {field: Chinese message})."""
    errors: dict[str, str] = {}
    known = {key for key, *_ in settable_stages()}
    days: dict[str, int] = {}
    for key, value in min_days.items():
        if key not in known:
            errors[key] = "没有这个阶段"
            continue
        try:
            n = _whole(value)
        except (TypeError, ValueError):
            errors[key] = "天数应为整数"
            continue
        if not 0 <= n <= MAX_MIN_DAYS:
            errors[key] = f"天数应在 0 到 {MAX_MIN_DAYS} 之间"
            continue
        days[key] = n
    cap = _int(per_capita_cap_fen, "per_capita_cap_fen", 0, 100_000_00, errors, "人均筹资上限")
    labour = _int(labour_days_cap, "labour_days_cap", 0, 365, errors, "人均筹劳上限")
    proxies = _int(proxy_cap, "proxy_cap", 1, 10, errors, "每人可受委托数")
    reply = _int(objection_reply_days, "objection_reply_days", 1, 60, errors, "质询答复期限")
    return VillageSettings(days, cap if cap is not None else DEFAULT_PER_CAPITA_CAP_FEN,
                           labour if labour is not None else DEFAULT_LABOUR_DAYS_CAP,
                           proxies if proxies is not None else DEFAULT_PROXY_CAP,
                           reply if reply is not None else DEFAULT_OBJECTION_REPLY_DAYS), errors


def _whole(value: Any) -> int:
    """A whole number from a form or JSON: 7, "7" or 7.0; never 7.5 (which int() would cut to 7) or True."""
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    if not isinstance(value, int | float | str):
        raise TypeError(value)
    return int(value)


def _int(value: Any, key: str, low: int, high: int, errors: dict, label: str) -> int | None:
    try:
        n = _whole(value)
    except (TypeError, ValueError):
        errors[key] = f"{label}应为整数"
        return None
    if not low <= n <= high:
        errors[key] = f"{label}超出允许范围"
        return None
    return n
