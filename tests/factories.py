"""Builders for test data. Every call makes new, unique rows, so tests never collide."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from app.config import Settings
from app.domain.roles import VILLAGER
from app.models import TownshipMonitor, User, Village
from app.services import auth, members, places
from app.services.access import Actor

PASSWORD = "Village-pass-2026"  # noqa: S105
_serial = itertools.count(secrets.randbelow(10_000_000))


def unique_phone() -> str:
    return f"15{next(_serial) % 1_000_000_000:09d}"


_addresses = itertools.count(1)


def unique_client(app, **kwargs):
    """A TestClient with its own client address, so no two tests share a login-failure count."""
    from fastapi.testclient import TestClient

    n = next(_addresses)
    return TestClient(app, client=(f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}", 50000), **kwargs)


def run_async(main):
    """Run the coroutine `main` to its end on a fresh event loop in a thread of its own: the browser tests'
    Playwright keeps a loop running in the test's thread, where asyncio.run() refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main).result()


def unique_slug(prefix: str = "v") -> str:
    return f"{prefix}{secrets.token_hex(5)}"


class World:
    def __init__(self, db: Session, settings: Settings):
        self.db = db
        self.settings = settings
        self._admin: User | None = None
        self._township: dict = {}

    @property
    def admin(self) -> User:
        if self._admin is None:
            self._admin = self.user(name="管理员", is_admin=True)
        return self._admin

    @property
    def admin_actor(self) -> Actor:
        return Actor(user=self.admin)

    def user(self, *, name: str = "测试用户", password: str | None = PASSWORD, is_admin: bool = False,
             phone: str | None = None) -> User:
        user = User(name=name, phone=phone or unique_phone(), is_admin=is_admin,
                    status="active" if password else "pending",
                    password_hash=auth.hash_password(self.settings, password) if password else None)
        self.db.add(user)
        self.db.commit()
        return user

    def township(self) -> int:
        county = places.create_county(self.db, self.admin_actor, f"县{secrets.token_hex(4)}")
        township = places.create_township(self.db, self.admin_actor, f"镇{secrets.token_hex(4)}", county.id)
        return township.id

    def village(self, township_id: int | None = None) -> Village:
        township_id = township_id or self.township()
        return places.create_village(self.db, self.admin_actor, f"村{secrets.token_hex(4)}", unique_slug(),
                                     township_id)

    def member(
        self,
        village: Village,
        *roles: str,
        name: str = "村民",
        password: str | None = PASSWORD,
        birth_date: date | None = date(1980, 5, 1),
        household: str | None = None,
        group: str | None = None,
    ) -> User:
        result = members.upsert_member(
            self.db, self.settings, self.admin_actor, village,
            members.MemberIn(name=name, phone=unique_phone(), birth_date=birth_date, household=household,
                             group=group, roles=[VILLAGER, *roles]),
        )
        if password:
            result.user.password_hash = auth.hash_password(self.settings, password)
            result.user.status = "active"
        self.db.commit()
        return result.user

    def monitor(self, township_id: int) -> User:
        user = self.user(name="乡镇监督员")
        self.db.add(TownshipMonitor(township_id=township_id, user_id=user.id))
        self.db.commit()
        return user


def login(client, user: User, password: str = PASSWORD) -> str:
    """Log in through the login form; returns the session's CSRF token."""
    from tests.conftest import page_csrf

    token = page_csrf(client, "/login")
    r = client.post("/login", data={"phone": user.phone, "password": password, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    return page_csrf(client, "/account")


def bearer(client, user: User, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def proposal_in_deliberation(client, world: World, village: Village, committee_user: User, *,
                             title: str = "修村口的路") -> int:
    """A committee member's 一事一议 proposal, submitted straight into deliberation; returns its id."""
    headers = bearer(client, committee_user)
    r = client.post(f"/api/v1/villages/{village.id}/proposals", headers=headers,
                    json={"title": title, "body": "村口的路坑洼不平，雨天难走，建议硬化。", "category": "facilities",
                          "procedure": "yishiyiyi"})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = client.post(f"/api/v1/proposals/{pid}/transitions", headers=headers, json={"action": "submit"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "deliberation", r.json()["state"]
    return pid


class Api:
    """The JSON API as one user or another (None: anonymous); bearer tokens are fetched once per user."""

    base = "/api/v1"

    def __init__(self, client):
        self.client = client
        self.tokens: dict[int, dict[str, str]] = {}

    def headers(self, user) -> dict[str, str]:
        if user is None:
            return {}
        if user.id not in self.tokens:
            self.tokens[user.id] = bearer(self.client, user)
        return self.tokens[user.id]

    def get(self, path: str, user=None, **params):
        return self.client.get(self.base + path, headers=self.headers(user), params=params)

    def delete(self, path: str, user=None):
        return self.client.delete(self.base + path, headers=self.headers(user))

    def post(self, path: str, user=None, body=None):
        return self.client.post(self.base + path, json=body if body is not None else {}, headers=self.headers(user))

    def put(self, path: str, user=None, body=None):
        return self.client.put(self.base + path, json=body or {}, headers=self.headers(user))

    def patch(self, path: str, user=None, body=None):
        return self.client.patch(self.base + path, json=body or {}, headers=self.headers(user))

    def upload(self, path: str, user, data: bytes, name: str = "凭证.png"):
        return self.client.post(self.base + path, files={"file": (name, data, "image/png")},
                                headers=self.headers(user))


# --- what API tests share --------------------------------------------------------------------------

def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def items(response, status: int = 200) -> list:
    """The items of one page of a list answer ({items, total, page, per_page}), checking its shape."""
    body = ok(response, status)
    assert set(body) == {"items", "total", "page", "per_page"}, body
    return body["items"]


def every_item(client, url: str, headers: dict | None = None, **params) -> list:
    """Every item of a list answer, page after page (200 at a time)."""
    found: list = []
    page = 1
    while True:
        body = ok(client.get(url, headers=headers or {}, params={**params, "page": page, "per_page": 200}))
        found += body["items"]
        if not body["items"] or len(found) >= body["total"]:
            return found
        page += 1


def refused(response, status: int, detail: str | None = None) -> dict:
    """A refusal as an API client sees it: the status, problem+json, and the Chinese detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if detail is not None:
        assert detail in body["detail"], body["detail"]
    return body


class Staff:
    """A village with everyone who handles notices, and two villagers."""

    def __init__(self, world, township_id: int | None = None):
        self.village = world.village(township_id)
        v = self.village
        self.committee = world.member(v, "committee", name="主任")
        self.party = world.member(v, "party_committee", "party_member", name="支书")
        self.supervisor = world.member(v, "supervisor", name="监委会主任")
        self.accountant = world.member(v, "accountant", name="报账员")
        self.villager = world.member(v, name="村民甲")
        self.neighbour = world.member(v, name="村民乙")


class Clock:
    """The one clock (app.clock) moved forward by a test: the real time plus an offset.

    Moving it moves every service's "now" — windows, deadlines and session timeouts alike — so the
    `Api` helper's cached tokens are dropped on every move and fetched again at the new time.
    """

    def __init__(self, api: Api | None = None):
        self.offset = timedelta(0)
        self.api = api

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel(self, **delta) -> None:
        self.offset += timedelta(**delta)
        if self.api is not None:
            self.api.tokens.clear()

    def on_day(self, day: date, hour: int = 12) -> None:
        """Move to `hour` o'clock Beijing time on `day`."""
        from app.domain.calendar import from_local

        self.offset = from_local(datetime(day.year, day.month, day.day, hour)) - datetime.now(UTC)
        if self.api is not None:
            self.api.tokens.clear()

    def today(self) -> date:
        from app.domain.calendar import local_date_of

        return local_date_of(self())


# --- small valid files, unique per call (so tests never share a stored file) ---------------------

def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png() -> bytes:
    """A real 1×1 PNG with a unique text chunk."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"tEXt", b"id\x00" + secrets.token_hex(8).encode())
            + _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + _chunk(b"IEND", b""))


def pdf() -> bytes:
    return (b"%PDF-1.4\n%" + secrets.token_hex(8).encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def proposal_at_vote_stage(db, chair, village, title: str = "修桥"):
    """A committee member's 一事一议 matter moved straight to its vote stage (no minimum days)."""
    from app.domain.proposals import ProposalDraft
    from app.services import proposals

    village.settings = {**(village.settings or {}), "min_days": {"yishiyiyi.deliberation": 0}}
    db.add(village)
    db.commit()
    proposal = proposals.create(db, chair, village, ProposalDraft(title=title, body="方案", category="facilities",
                                                                  procedure="yishiyiyi"))
    proposals.transition(db, chair, proposal.id, "submit")
    return proposals.transition(db, chair, proposal.id, "advance")


def books_in_may(db: Session, staff, clock, *days: date):
    """The staff's village with its books opened in March 2026 (the accountant's), the clock on 10 May,
    and a draft voucher (a broom, 30 yuan from cash) for each of `days` (2 May when none): (the
    accountant as an actor, the vouchers)."""
    from app.domain import books as B
    from app.services import books, vouchers
    from app.services.access import load_actor

    clock.on_day(date(2026, 5, 10))
    keeper = load_actor(db, staff.accountant)
    books.open_ledger(db, keeper, staff.village, "2023", "2026-03")
    made = [vouchers.create(db, keeper, staff.village, vouchers.VoucherIn(
        day, "买扫帚", [B.Line("513", debit=3000), B.Line("101", credit=3000)])) for day in days or (date(2026, 5, 2),)]
    return keeper, made
