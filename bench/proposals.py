"""Fill one village with 10,000 proposals and 50,000 comments; time the list and detail pages.

    .venv/bin/python bench/proposals.py [--proposals 10000] [--comments 50000] [--url postgresql+psycopg://...]

Prints the median and worst of repeated requests and the SQL statements each ran. Decidim's
proposal index took 7.2 s with 900 proposals (decidim/decidim#13701); the figures here are the
comparison. A benchmark that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta

from common import bench_settings, bench_village, page_login, run_cases, timed_fill
from sqlalchemy import insert, select
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models import Comment, MemberRole, Membership, Proposal, User, utcnow
from app.services import auth

PASSWORD = "Bench-pass-2026"
STATES = ["cosign", "deliberation", "vote", "notice", "review", "implementation", "acceptance", "closed"]


def fill(settings: Settings, n_proposals: int, n_comments: int) -> None:
    app = create_app(settings)
    rng = random.Random(7)
    with Session(app.state.engine) as s:
        actor, township, village = bench_village(s, settings, PASSWORD)
        pw = auth.hash_password(settings, PASSWORD)
        s.execute(insert(User), [{"name": f"村民{i}", "phone": f"18{i:09d}", "birth_date": date(1970, 1, 1),
                                  "status": "active", "password_hash": pw, "is_admin": False,
                                  "created_at": utcnow()} for i in range(500)])
        users = list(s.execute(select(User.id).where(User.phone.like("18%")).order_by(User.id)).scalars())
        s.execute(insert(Membership), [{"village_id": village.id, "user_id": u, "created_at": utcnow()}
                                       for u in users])
        mids = list(s.execute(select(Membership.id).where(Membership.village_id == village.id)).scalars())
        s.execute(insert(MemberRole), [{"membership_id": m, "role": "villager", "village_id": village.id}
                                       for m in mids] + [{"membership_id": mids[0], "role": "committee",
                                                          "village_id": village.id}])
        now = utcnow()
        rows = []
        for i in range(n_proposals):
            at = now - timedelta(minutes=i)
            rows.append({"village_id": village.id, "author_id": rng.choice(users), "title": f"事项第{i}号：修路修桥",
                         "body": "方案内容。" * 20, "category": rng.choice(["facilities", "land", "assets", "other"]),
                         "procedure": "yishiyiyi", "state": rng.choice(STATES), "stage_entered_at": at,
                         "submitted_at": at, "cosign_count": rng.randint(0, 50), "comment_count": 0,
                         "created_at": at, "updated_at": at})
        s.execute(insert(Proposal), rows)
        pids = list(s.execute(select(Proposal.id).where(Proposal.village_id == village.id)).scalars())
        busiest = min(pids)  # the measurement looks it up the same way
        crows = []
        for i in range(n_comments):
            pid = busiest if i < 300 else rng.choice(pids)
            crows.append({"village_id": village.id, "proposal_id": pid, "author_id": rng.choice(users), "depth": 0,
                          "body": "我同意这个方案，但预算要公开。", "created_at": now, "report_count": 0})
        s.execute(insert(Comment), crows)
        s.commit()
    app.state.engine.dispose()


def measure(settings: Settings, rounds: int) -> None:
    from fastapi.testclient import TestClient

    app = create_app(settings)
    with TestClient(app) as client:
        token = client.post("/api/v1/auth/token", json={"phone": "18000000000", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        page_login(client, "18000000000", PASSWORD)
        vid = client.get("/api/v1/villages").json()["items"][0]["id"]
        first = client.get(f"/api/v1/villages/{vid}/proposals?per_page=1", headers=headers).json()["items"][0]["id"]
        busiest = min(p["id"] for p in client.get(f"/api/v1/villages/{vid}/proposals?per_page=200",
                                                  headers=headers).json()["items"])
        cases = [
            ("页面 议事列表 第 1 页", "/v/bench/proposals", {}),
            ("页面 议事列表 第 200 页", "/v/bench/proposals?page=200", {}),
            ("页面 按阶段+类别筛选", "/v/bench/proposals?state=deliberation&category=land", {}),
            ("页面 按标题搜索", "/v/bench/proposals?q=第999", {}),
            ("API  议事列表 第 1 页", f"/api/v1/villages/{vid}/proposals", headers),
            ("API  事项详情", f"/api/v1/proposals/{first}", headers),
            ("API  评论串（300 条）", f"/api/v1/proposals/{busiest}/comments", headers),
            ("页面 事项详情（300 条评论）", f"/v/bench/proposals/{busiest}", {}),
        ]
        run_cases(app, client, cases, rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    settings = bench_settings(args)
    timed_fill(settings, f" {args.proposals} 个事项、{args.comments} 条评论",
               lambda: fill(settings, args.proposals, args.comments))
    measure(settings, args.rounds)


if __name__ == "__main__":
    main()
