"""Fill one village's public board with 5,000 notices; time the board, a notice, print and the feed.

    .venv/bin/python bench/notices.py [--notices 5000] [--url postgresql+psycopg://...]

No login: these are the public pages. Prints the median and worst of repeated requests and the SQL
statements each ran, then the rate of full pages (200) beside revalidations (304): first with every page
rendered, then as deployed, where a page kept by its validator answers the next visitors.
A benchmark that prints figures, not a timed test.
"""

from __future__ import annotations

import argparse
import random
from datetime import timedelta

from common import bench_settings, bench_village, run_cases, timed_fill
from sqlalchemy import insert, select
from sqlmodel import Session

from app.config import Settings
from app.domain import notices as N
from app.main import create_app
from app.models import Notice, utcnow


def fill(settings: Settings, n: int) -> None:
    app = create_app(settings)
    rng = random.Random(5)
    with Session(app.state.engine) as s:
        actor, township, village = bench_village(s, settings, "Bench-pass-2026")
        now = utcnow()
        rows = []
        for i in range(n):
            at = now - timedelta(hours=6 * i)
            category = rng.choice(list(N.CATEGORIES))
            title, body = f"第{i}号公开：村务收支", "## 内容\n\n" + "本月收支情况如下。" * 30
            rows.append({"village_id": village.id, "category": category, "kind": "general", "title": title,
                         "body": body, "days": 7, "state": N.PUBLISHED if i < 20 else N.CLOSED,
                         "published_at": at, "window_from": at, "window_until": at + timedelta(days=7),
                         "content_hash": N.content_hash(title, body, []), "created_at": at, "updated_at": at,
                         "closed_at": None if i < 20 else at + timedelta(days=8)})
        s.execute(insert(Notice), rows)
        s.commit()
    app.state.engine.dispose()


def measure(settings: Settings, rounds: int) -> None:
    """Each page rendered every time (no page kept: what a first visitor after a change costs), then as
    deployed (the page kept by its validator serves the next visitors), with the revalidation rate."""
    from fastapi.testclient import TestClient

    for title, kept in (("每次渲染（CUNYI_PAGE_CACHE_ENTRIES=0）", 0), ("按部署（页面按 ETag 留存）", None)):
        print(f"\n{title}")
        app = create_app(settings if kept is None else settings.model_copy(update={"page_cache_entries": kept}))
        with Session(app.state.engine) as s:
            some = s.execute(select(Notice.id).order_by(Notice.id).limit(1)).scalar_one()
        with TestClient(app) as client:
            cases = [
                ("公开栏 第 1 页", "/v/bench/"),
                ("公开栏 财务 第 50 页", "/v/bench/?category=finance&page=50"),
                ("公开 详情", f"/v/bench/notices/{some}"),
                ("公开 打印页（含二维码）", f"/v/bench/notices/{some}/print"),
                ("Atom 订阅", "/v/bench/feed.atom"),
            ]
            run_cases(app, client, [(label, url, {}) for label, url in cases], rounds)
            revalidation_rate(client, cases, rounds)
        app.state.engine.dispose()


def revalidation_rate(client, cases: list[tuple[str, str]], rounds: int) -> None:
    """Requests a second, one client in a row: a full page (200) beside a revalidation answered from the
    validator (304, If-None-Match), as a storm of QR scans from browsers that have the page already."""
    import time

    print(f"{'请求':<26}{'200 次/秒':>10}{'304 次/秒':>10}")
    n = max(rounds * 5, 20)
    for label, url in cases:
        etag = client.get(url).headers.get("etag", "")
        rates = []
        for headers, status in (({}, 200), ({"If-None-Match": etag}, 304)):
            started = time.perf_counter()
            for _ in range(n):
                assert client.get(url, headers=headers).status_code == status, (url, status)
            rates.append(n / (time.perf_counter() - started))
        print(f"{label:<26}{rates[0]:>10.0f}{rates[1]:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--url", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    settings = bench_settings(args)
    timed_fill(settings, f" {args.notices} 份公开", lambda: fill(settings, args.notices))
    measure(settings, args.rounds)


if __name__ == "__main__":
    main()
