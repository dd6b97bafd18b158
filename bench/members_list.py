"""Fill one village with many members and time the committee's member list (page and API).

    .venv/bin/python bench/members_list.py [--members 10000] [--url postgresql+psycopg://...]

Prints the median and worst of repeated requests, and the SQL statements each request ran.
This is a benchmark that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
from datetime import date

from common import bench_settings, run_cases, timed_fill
from sqlalchemy import insert, select
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import Household, MemberRole, Membership, User, VillagerGroup
from app.services import auth, places
from app.services.access import Actor


def fill(settings: Settings, n: int) -> tuple[str, str]:
    app = create_app(settings)
    engine = app.state.engine
    with Session(engine) as s:
        admin = User(name="管理员", phone="19900000000", is_admin=True, status="active",
                     password_hash=auth.hash_password(settings, "Bench-pass-2026"))
        committee = User(name="村主任", phone="19900000001", status="active",
                         password_hash=auth.hash_password(settings, "Bench-pass-2026"))
        s.add_all([admin, committee])
        s.commit()
        actor = Actor(user=admin)
        county = places.create_county(s, actor, "基准县")
        township = places.create_township(s, actor, "基准镇", county.id)
        village = places.create_village(s, actor, "基准村", "bench", township.id)
        groups = [VillagerGroup(village_id=village.id, name=f"第{i}组") for i in range(1, 11)]
        s.add_all(groups)
        s.flush()
        households = [Household(village_id=village.id, number=f"B-{i:05d}", group_id=groups[i % 10].id)
                      for i in range(n // 4 + 1)]
        s.add_all(households)
        s.flush()
        users = [{"name": f"村民{i}", "phone": f"18{i:09d}", "birth_date": date(1950 + i % 60, 1 + i % 12, 1),
                  "status": "pending", "is_admin": False, "created_at": admin.created_at} for i in range(n)]
        s.execute(insert(User), users)
        ids = list(s.execute(select(User.id).where(User.phone.like("18%")).order_by(User.id)).scalars())
        s.execute(insert(Membership), [
            {"village_id": village.id, "user_id": uid, "household_id": households[i // 4].id,
             "group_id": households[i // 4].group_id, "created_at": admin.created_at}
            for i, uid in enumerate([committee.id, *ids])
        ])
        mids = list(s.execute(select(Membership.id, Membership.user_id).where(Membership.village_id == village.id)))
        rows = [{"membership_id": m, "role": "villager", "village_id": village.id} for m, _ in mids]
        rows += [{"membership_id": m, "role": "committee", "village_id": village.id}
                 for m, u in mids if u == committee.id]
        rows += [{"membership_id": m, "role": "representative", "village_id": village.id}
                 for i, (m, _) in enumerate(mids) if i % 40 == 0]
        s.execute(insert(MemberRole), rows)
        s.commit()
    app.state.engine.dispose()
    return "bench", "19900000001"


def measure(settings: Settings, n: int, rounds: int) -> None:
    from fastapi.testclient import TestClient

    app = create_app(settings)
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", json={"phone": "19900000001", "password": "Bench-pass-2026"})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        vid = client.get("/api/v1/villages").json()["items"][0]["id"]
        cases = [
            ("API  第 1 页 (50 条)", f"/api/v1/villages/{vid}/members?per_page=50", headers),
            ("API  最后一页", f"/api/v1/villages/{vid}/members?per_page=50&page={n // 50 + 1}", headers),
            ("API  按姓名查找", f"/api/v1/villages/{vid}/members?q=村民123", headers),
            ("API  按身份筛选", f"/api/v1/villages/{vid}/members?role=representative", headers),
            ("API  村概况", f"/api/v1/villages/{vid}", {}),
        ]
        run_cases(app, client, cases, rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    settings = bench_settings(args)
    timed_fill(settings, f" {args.members} 名村民", lambda: fill(settings, args.members))
    measure(settings, args.members, args.rounds)


if __name__ == "__main__":
    main()
