"""Absolute URLs (QR codes, the Atom feed) come from CUNYI_BASE_URL when it is set, never from a
forged Host header; Atom ids never change with the host."""

from __future__ import annotations

import re
from datetime import timedelta

from app.clock import utcnow
from app.models import Notice
from tests.conftest import make_settings
from tests.factories import unique_client


def _published(world, db) -> tuple[str, int]:
    village = world.village()
    now = utcnow()
    notice = Notice(village_id=village.id, category="village", kind="general", title="村道维修公示", body="内容",
                    days=7, state="published", published_at=now, window_from=now, window_until=now + timedelta(days=7),
                    content_hash="0" * 64, created_at=now, updated_at=now)
    db.add(notice)
    db.commit()
    return village.slug, notice.id


def _ids(feed: str) -> list[str]:
    return re.findall(r"<id>([^<]+)</id>", feed)


def test_without_a_base_url_links_follow_the_request_but_ids_do_not(client, world, db):
    slug, nid = _published(world, db)
    one = client.get(f"/v/{slug}/feed.atom").text
    other = client.get(f"/v/{slug}/feed.atom", headers={"host": "elsewhere.example"}).text
    assert "http://elsewhere.example/v/" in other
    assert _ids(one) == _ids(other) and all(i.startswith("urn:uuid:") for i in _ids(one))


def test_with_a_base_url_qr_and_feed_use_it_and_other_hosts_are_refused(database, world, db, tmp_path):
    from app.main import create_app

    slug, nid = _published(world, db)
    settings = make_settings(database.url, tmp_path, base_url="https://cunyi.example.cn")
    app = create_app(settings)
    try:
        with unique_client(app, base_url="https://cunyi.example.cn") as c:
            feed = c.get(f"/v/{slug}/feed.atom").text
            assert f"https://cunyi.example.cn/v/{slug}/notices/{nid}" in feed
            sheet = c.get(f"/v/{slug}/notices/{nid}/print")
            assert sheet.status_code == 200 and f"https://cunyi.example.cn/v/{slug}/notices/{nid}" in sheet.text
        with unique_client(app, base_url="http://evil.example") as c:
            r = c.get(f"/v/{slug}/notices/{nid}/print")
            assert r.status_code == 400 and "网址" in r.text
            assert r.headers["x-content-type-options"] == "nosniff"
    finally:
        app.state.engine.dispose()
