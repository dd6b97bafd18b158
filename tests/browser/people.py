"""Fresh people and API set-up for the browser journeys.

A journey that changes something creates what it changes: its own villager (a phone no other test
and no earlier run uses, added by the demo committee through the JSON API and activated), its own
proposal, vote or notice. So every browser test can run twice in one session and in any order, and
none depends on another's leftovers. Tests that only read the demo keep using the demo people.

Ids come from the creation answers (or `/me`), not from lists; where a list must be read, `items`
accepts both shapes (a JSON array, or `{items, total, page, per_page}`).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2 as httpx

from app.demo import DEMO_PASSWORD

ADMIN = "13900000000"  # 周管理, the system administrator
CHAIR = "13800000001"  # 李建国, 杏花村 committee
LIUXI_CHAIR = "13800000101"  # 刘柳溪, 柳溪村 committee
FRESH_PASSWORD = "Fresh-villager-2026"  # noqa: S105 — made-up password of the test's own villagers

# a random start, then a counter: unique within the session, and unlikely to meet any earlier phone
_phones = itertools.count(secrets.randbelow(10**6) * 100)
_names = itertools.count(secrets.randbelow(4096))
GIVEN = "春夏秋冬山水田林石竹梅兰松柏云海"  # 16 characters: three of them spell a serial number


def unique_phone() -> str:
    """A mobile number (166…) no other test of this session uses; never a demo phone (138…, 139…)."""
    return f"166{next(_phones) % 10**8:08d}"


def unique_name(surname: str) -> str:
    """A Chinese name (surname + three characters) no other test of this session uses."""
    n = next(_names) % 4096
    return surname + "".join(GIVEN[(n >> shift) & 15] for shift in (8, 4, 0))


def spaced(phone: str) -> str:
    """The phone as people type it: 166 1234 5678."""
    return f"{phone[:3]} {phone[3:7]} {phone[7:]}"


def items(body) -> list:
    """A list answer in either shape: a JSON array, or a page `{items, total, page, per_page}`."""
    return body["items"] if isinstance(body, dict) else body


@contextmanager
def api_as(base: str, phone: str, password: str = DEMO_PASSWORD) -> Iterator[httpx.Client]:
    """An API client of the live server, logged in with a bearer token."""
    client = httpx.Client(base_url=base + "/api/v1", timeout=30, trust_env=False)
    try:
        r = client.post("/auth/token", json={"phone": phone, "password": password})
        assert r.status_code == 200, r.text
        client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield client
    finally:
        client.close()


def my_village(api: httpx.Client) -> int:
    """The id of the village the logged-in member belongs to (from `/me`, not from a list)."""
    r = api.get("/me")
    assert r.status_code == 200, r.text
    return r.json()["memberships"][0]["village_id"]


def activate(base: str, phone: str, code: str, password: str = FRESH_PASSWORD) -> None:
    """The villager sets a first password with the code, through the API (not logged in)."""
    with httpx.Client(base_url=base + "/api/v1", timeout=30, trust_env=False) as anon:
        r = anon.post("/auth/activate", json={"phone": phone, "code": code, "password": password})
        assert r.status_code == 200, r.text


def activation_code(api: httpx.Client, vid: int, created: dict) -> str:
    """The code in a new member's answer, or one the caller issues when the answer carried none."""
    if created.get("activation"):
        return created["activation"]["code"]
    r = api.post(f"/villages/{vid}/members/{created['member']['user_id']}/activation-code")
    assert r.status_code == 201, r.text
    return r.json()["code"]


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    user_id: int
    village_id: int
    password: str | None  # None while not activated


def new_villager(base: str, committee: str = CHAIR, *, surname: str = "张", activated: bool = True,
                 roles: tuple[str, ...] = ()) -> Person:
    """A new adult villager of the committee's village, with a phone of their own and their own
    household; activated with FRESH_PASSWORD unless `activated=False`."""
    phone, name = unique_phone(), unique_name(surname)
    with api_as(base, committee) as api:
        vid = my_village(api)
        r = api.post(f"/villages/{vid}/members", json={
            "name": name, "phone": phone, "birth_date": "1958-04-12", "gender": "男",
            "household": f"T-{phone[-8:]}", "roles": list(roles)})
        assert r.status_code == 201, r.text
        body = r.json()
        uid = body["member"]["user_id"]
        if not activated:
            return Person(name, phone, uid, vid, None)
        code = activation_code(api, vid, body)
    activate(base, phone, code)
    return Person(name, phone, uid, vid, FRESH_PASSWORD)


@dataclass(frozen=True)
class Village:
    id: int
    slug: str
    name: str


def new_village(base: str) -> Village:
    """A new village of the demo's 石桥镇, made by the administrator through the API: a journey that
    changes a village once and for all (建账, closing a month) runs in one of its own."""
    tag = secrets.token_hex(3)
    with api_as(base, ADMIN) as api:
        townships = items(api.get("/townships").json())
        township = next(t for t in townships if t["name"] == "石桥镇")
        r = api.post("/villages", json={"name": f"测试村{tag}", "slug": f"t{tag}", "township_id": township["id"]})
        assert r.status_code == 201, r.text
        body = r.json()
    return Village(body["id"], body["slug"], body["name"])


def new_member(base: str, village: Village, *, surname: str, roles: tuple[str, ...] = ()) -> Person:
    """An activated member of `village`, added by the administrator (FRESH_PASSWORD)."""
    phone, name = unique_phone(), unique_name(surname)
    with api_as(base, ADMIN) as api:
        r = api.post(f"/villages/{village.id}/members", json={
            "name": name, "phone": phone, "birth_date": "1970-04-12", "gender": "女",
            "household": f"T-{phone[-8:]}", "roles": list(roles)})
        assert r.status_code == 201, r.text
        body = r.json()
        uid = body["member"]["user_id"]
        code = activation_code(api, village.id, body)
    activate(base, phone, code)
    return Person(name, phone, uid, village.id, FRESH_PASSWORD)
