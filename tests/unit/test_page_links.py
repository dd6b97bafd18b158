"""Who is shown links to which village page (services/access.opens_page), the one rule the menu and the
audit page's 查看 links follow: the pages of the menu's list and the pages under them; any other page
(a notice, a vote) is for whoever it lets in."""

from __future__ import annotations

import pytest

from app.models import User, Village
from app.services.access import Actor, opens_page, village_links

VILLAGE = Village(id=7, name="杏花村", slug="xinghua", township_id=3)


def person(*roles: str, village_id: int | None = 7, monitor_of: tuple[int, ...] = (), admin: bool = False) -> Actor:
    return Actor(user=User(id=1, name="某人", phone="13800000000", is_admin=admin), village_id=village_id,
                 roles=frozenset(roles), monitor_of=frozenset(monitor_of))


@pytest.mark.parametrize("who, path, opens", [
    (person(), "members/12", False),  # a villager: not the roll, nor a member's page under it
    (person("committee"), "members/12", True),
    (person("supervisor"), "members", True),
    (person(village_id=None, monitor_of=(3,)), "members/12", True),  # the township's monitor reads it
    (person(village_id=None, monitor_of=(4,)), "members/12", False),  # another township's
    (person(village_id=8), "proposals/5", False),  # another village's member
    (person(), "proposals/5", True),
    (person(), "accounts/vouchers/9", True),  # the books are every member's (each voucher checks again)
    (person(), "notices/manage", False),  # the notices' desk is for those who handle them
    (person("accountant"), "notices/manage", True),
    (person(), "notices/4", True),  # a notice is not under the desk: it lets in whom it lets in
    (None, "notices/4", True),
    (None, "members/12", False),
    (person(admin=True, village_id=None), "roster", True),
])
def test_who_is_shown_links_to_which_page(who, path, opens):
    assert opens_page(who, VILLAGE, path) is opens


def test_the_menu_follows_the_same_rule():
    for who in (person(), person("committee"), person("accountant"), person(village_id=None, monitor_of=(3,))):
        menu = {href.removeprefix("/v/xinghua/") for href, _ in village_links(who, VILLAGE)}
        for page in ("members", "notices/manage", "roster", "queue", "accounts"):
            assert (page in menu) is opens_page(who, VILLAGE, page), (who.roles, page)
