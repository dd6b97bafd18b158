"""Roles a person can hold in a village, their Chinese names and the words rosters use for them."""

from __future__ import annotations

VILLAGER = "villager"
REPRESENTATIVE = "representative"
PARTY_MEMBER = "party_member"
COMMITTEE = "committee"
PARTY_COMMITTEE = "party_committee"
SUPERVISOR = "supervisor"
ACCOUNTANT = "accountant"

# Village roles in display order, with their Chinese names.
VILLAGE_ROLES: dict[str, str] = {
    VILLAGER: "村民",
    REPRESENTATIVE: "村民代表",
    PARTY_MEMBER: "党员",
    COMMITTEE: "村委会",
    PARTY_COMMITTEE: "村党组织委员",
    SUPERVISOR: "村务监督委员会",
    ACCOUNTANT: "报账员",
}

MONITOR_LABEL = "乡镇监督员"
ADMIN_LABEL = "系统管理员"

# Words found in rosters for each role (Chinese names, common short forms, English keys).
_ALIASES: dict[str, str] = {
    **{key: key for key in VILLAGE_ROLES},
    **{label: key for key, label in VILLAGE_ROLES.items()},
    "村民代表会议成员": REPRESENTATIVE,
    "代表": REPRESENTATIVE,
    "中共党员": PARTY_MEMBER,
    "村委": COMMITTEE,
    "村委会委员": COMMITTEE,
    "村民委员会": COMMITTEE,
    "村委会成员": COMMITTEE,
    "村支委": PARTY_COMMITTEE,
    "党支部委员": PARTY_COMMITTEE,
    "村党支部委员": PARTY_COMMITTEE,
    "支委": PARTY_COMMITTEE,
    "监委会": SUPERVISOR,
    "村务监督委员": SUPERVISOR,
    "监督委员": SUPERVISOR,
    "会计": ACCOUNTANT,
    "报账员/会计": ACCOUNTANT,
    "文书": COMMITTEE,
}

_SEPARATORS = "、,，;；/| \u3000"


def parse_roles(text: str | None) -> tuple[list[str], list[str]]:
    """Split a roster's role cell. Returns (role keys in display order, unknown words).

    Every member is a villager; an empty cell means just that.
    """
    words: list[str] = []
    current = ""
    for ch in text or "":
        if ch in _SEPARATORS:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    if current:
        words.append(current)
    found = {VILLAGER}
    unknown: list[str] = []
    for word in words:
        key = _ALIASES.get(word) or _ALIASES.get(word.lower())
        if key is None:
            unknown.append(word)
        else:
            found.add(key)
    return [key for key in VILLAGE_ROLES if key in found], unknown


def role_labels(roles: list[str] | set[str]) -> str:
    return "、".join(VILLAGE_ROLES[r] for r in VILLAGE_ROLES if r in roles)
