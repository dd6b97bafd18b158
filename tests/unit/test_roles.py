"""Role words as rosters write them: Chinese names, short forms, separators, unknown words."""

from __future__ import annotations

import pytest

from app.domain.roles import (
    ACCOUNTANT,
    COMMITTEE,
    PARTY_COMMITTEE,
    PARTY_MEMBER,
    REPRESENTATIVE,
    SUPERVISOR,
    VILLAGE_ROLES,
    VILLAGER,
    parse_roles,
    role_labels,
)


@pytest.mark.parametrize(
    ("cell", "roles", "unknown"),
    [
        # empty: every member is a villager
        ("", [VILLAGER], []),
        (None, [VILLAGER], []),
        ("   ", [VILLAGER], []),
        # the Chinese names
        ("村民", [VILLAGER], []),
        ("村民代表", [VILLAGER, REPRESENTATIVE], []),
        ("党员", [VILLAGER, PARTY_MEMBER], []),
        ("村委会", [VILLAGER, COMMITTEE], []),
        ("村党组织委员", [VILLAGER, PARTY_COMMITTEE], []),
        ("村务监督委员会", [VILLAGER, SUPERVISOR], []),
        ("报账员", [VILLAGER, ACCOUNTANT], []),
        # short forms and aliases
        ("代表", [VILLAGER, REPRESENTATIVE], []),
        ("中共党员", [VILLAGER, PARTY_MEMBER], []),
        ("村委", [VILLAGER, COMMITTEE], []),
        ("文书", [VILLAGER, COMMITTEE], []),
        ("支委", [VILLAGER, PARTY_COMMITTEE], []),
        ("监委会", [VILLAGER, SUPERVISOR], []),
        ("会计", [VILLAGER, ACCOUNTANT], []),
        ("报账员/会计", [VILLAGER, ACCOUNTANT], []),
        # English keys, any case
        ("committee", [VILLAGER, COMMITTEE], []),
        ("Supervisor", [VILLAGER, SUPERVISOR], []),
        # separators: 、 , ， ; ； / | space and the ideographic space
        ("村委会、党员", [VILLAGER, PARTY_MEMBER, COMMITTEE], []),
        ("村委会,党员", [VILLAGER, PARTY_MEMBER, COMMITTEE], []),
        ("村委会，党员", [VILLAGER, PARTY_MEMBER, COMMITTEE], []),
        ("村委会；党员;代表", [VILLAGER, REPRESENTATIVE, PARTY_MEMBER, COMMITTEE], []),
        ("村委会 党员\u3000代表", [VILLAGER, REPRESENTATIVE, PARTY_MEMBER, COMMITTEE], []),
        ("、、村委会，，", [VILLAGER, COMMITTEE], []),  # empty pieces are ignored
        # duplicates collapse; the order is always the display order
        ("党员、中共党员、村委、村委会", [VILLAGER, PARTY_MEMBER, COMMITTEE], []),
        ("会计、监委会、支委、村委、党员、代表",
         [VILLAGER, REPRESENTATIVE, PARTY_MEMBER, COMMITTEE, PARTY_COMMITTEE, SUPERVISOR, ACCOUNTANT], []),
        # unknown words are reported, known ones still count
        ("村支书", [VILLAGER], ["村支书"]),
        ("村委会、组长、出纳", [VILLAGER, COMMITTEE], ["组长", "出纳"]),
        ("admin", [VILLAGER], ["admin"]),
        ("monitor", [VILLAGER], ["monitor"]),  # township roles are not village roles
    ],
)
def test_parse_roles(cell, roles, unknown):
    assert parse_roles(cell) == (roles, unknown)


def test_every_role_has_a_chinese_name_that_parses_back():
    for key, label in VILLAGE_ROLES.items():
        assert parse_roles(label)[0] == sorted({VILLAGER, key}, key=list(VILLAGE_ROLES).index)


@pytest.mark.parametrize(
    ("roles", "labels"),
    [
        ([VILLAGER], "村民"),
        ({COMMITTEE, VILLAGER}, "村民、村委会"),
        ([ACCOUNTANT, VILLAGER, REPRESENTATIVE], "村民、村民代表、报账员"),
        ([], ""),
    ],
)
def test_role_labels_in_display_order(roles, labels):
    assert role_labels(roles) == labels
