"""One matter under discussion with 300 comments; time its page and its comment thread.

    .venv/bin/python bench/proposal_page.py [--comments 300] [--rounds 50] [--stale] [--url postgresql+psycopg://...]

The comments are a real thread: replies to replies, Markdown (bold, lists, links, quotes), some edited
(with their earlier versions), some reported, one hidden. Rows are inserted in bulk and then rendered
by `rendering.refresh_stale`, as the scheduled job does after an upgrade; with `--stale` they are left
unrendered, so every read renders them in memory (the state right after migration 0013).

Prints the median and worst of repeated requests, the SQL statements each ran and the bytes, for the
page as a committee member (hide buttons, hidden text), as a villager, and the thread API.
A benchmark that prints figures, not a timed test.
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
from app.models import (
    Comment,
    CommentReport,
    CommentVersion,
    MemberRole,
    Membership,
    Proposal,
    ProposalTransition,
    User,
    utcnow,
)
from app.services import auth, rendering

PASSWORD = "Bench-pass-2026"
COMMITTEE_PHONE, VILLAGER_PHONE = "18000000000", "18000000001"
BODIES = [
    "我同意这个方案，但预算要公开。",
    "**赞成**。路修好了，孩子上学方便多了。",
    "有几点意见：\n\n1. 先修村口到小学这一段\n2. 排水沟一起做\n3. 工程款按进度付",
    "> 预算要公开\n\n同意楼上，每一笔都要贴到公开栏。",
    "参考镇里的做法：[石桥镇修路公示](https://example.cn/notice/12)，人均不超过 *十五元*。",
    "我家在三组，路边那棵老樟树能不能留下？\n大家商量一下。",
    "反对按户均摊，五保户和低保户应当减免。",
]


def fill(settings: Settings, n_comments: int, stale: bool) -> None:
    app = create_app(settings)
    rng = random.Random(11)
    with Session(app.state.engine) as s:
        actor, township, village = bench_village(s, settings, PASSWORD)
        pw = auth.hash_password(settings, PASSWORD)
        s.execute(insert(User), [{"name": f"村民{i}", "phone": f"18{i:09d}", "birth_date": date(1970, 1, 1),
                                  "status": "active", "password_hash": pw, "is_admin": False,
                                  "created_at": utcnow()} for i in range(100)])
        users = list(s.execute(select(User.id).where(User.phone.like("18%")).order_by(User.phone)).scalars())
        s.execute(insert(Membership), [{"village_id": village.id, "user_id": u, "created_at": utcnow()}
                                       for u in users])
        mids = dict(s.execute(select(Membership.user_id, Membership.id)
                              .where(Membership.village_id == village.id)).all())
        s.execute(insert(MemberRole), [{"membership_id": mids[u], "role": "villager", "village_id": village.id}
                                       for u in users] + [{"membership_id": mids[users[0]], "role": "committee",
                                                           "village_id": village.id}])
        start = utcnow() - timedelta(days=3)
        proposal = Proposal(village_id=village.id, author_id=users[1], title="修村口到小学的路",
                            body="## 方案\n\n修路 **800 米**，预算八万元。\n\n- 村集体出一半\n- 一事一议筹资一半",
                            category="facilities", procedure="yishiyiyi", state="deliberation",
                            stage_entered_at=start, submitted_at=start, cosign_count=12,
                            comment_count=n_comments, created_at=start, updated_at=start)
        s.add(proposal)
        s.flush()
        s.execute(insert(ProposalTransition), [
            {"village_id": village.id, "proposal_id": proposal.id, "actor_id": users[1], "action": "submit",
             "from_state": "draft", "to_state": "cosign", "created_at": start},
            {"village_id": village.id, "proposal_id": proposal.id, "actor_id": users[1], "action": "cosigned",
             "from_state": "cosign", "to_state": "deliberation", "created_at": start},
        ])
        ids: list[int] = []
        depth: dict[int, int] = {}
        for i in range(n_comments):
            parent = rng.choice(ids) if ids and rng.random() < 0.4 else None
            at = start + timedelta(minutes=10 * i)
            row = {"village_id": village.id, "proposal_id": proposal.id, "parent_id": parent,
                   "depth": depth[parent] + 1 if parent else 0, "author_id": rng.choice(users),
                   "body": BODIES[i % len(BODIES)], "created_at": at, "report_count": 0,
                   "edited_at": at + timedelta(minutes=5) if i % 10 == 3 else None}
            if i == 7:
                row |= {"hidden_at": at, "hidden_by": users[0], "hidden_reason": "人身攻击"}
            cid = s.execute(insert(Comment).values(row).returning(Comment.id)).scalar_one()
            ids.append(cid)
            depth[cid] = row["depth"]
        s.execute(insert(CommentVersion), [{"comment_id": cid, "body": "原来的意见。", "written_at": start}
                                           for i, cid in enumerate(ids) if i % 10 == 3])
        reported = [cid for i, cid in enumerate(ids) if i % 25 == 5]
        s.execute(insert(CommentReport), [{"village_id": village.id, "comment_id": cid, "reporter_id": users[1],
                                           "created_at": start} for cid in reported])
        s.commit()
        if not stale:
            print(f"存入渲染结果 {rendering.refresh_stale(s)} 条")
    app.state.engine.dispose()


def measure(settings: Settings, rounds: int) -> None:
    from fastapi.testclient import TestClient

    app = create_app(settings)
    with Session(app.state.engine) as s:
        pid = s.execute(select(Proposal.id)).scalar_one()
    with TestClient(app) as committee, TestClient(app) as villager:
        for client, phone in ((committee, COMMITTEE_PHONE), (villager, VILLAGER_PHONE)):
            page_login(client, phone, PASSWORD)
        token = villager.post("/api/v1/auth/token", json={"phone": VILLAGER_PHONE, "password": PASSWORD}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        run_cases(app, committee, [("页面 事项详情（村委会）", f"/v/bench/proposals/{pid}", {})], rounds)
        run_cases(app, villager, [("页面 事项详情（村民）", f"/v/bench/proposals/{pid}", {}),
                                  ("API  事项详情", f"/api/v1/proposals/{pid}", bearer),
                                  ("API  评论串（每页 200 条）", f"/api/v1/proposals/{pid}/comments", bearer)],
                  rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--stale", action="store_true", help="leave the stored HTML empty (render on every read)")
    parser.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    # no timed jobs in the measured process: their statements would be counted with the requests'
    settings = bench_settings(args).model_copy(update={"scheduler": False})
    timed_fill(settings, f" 1 个事项、{args.comments} 条评论", lambda: fill(settings, args.comments, args.stale))
    measure(settings, args.rounds)


if __name__ == "__main__":
    main()
