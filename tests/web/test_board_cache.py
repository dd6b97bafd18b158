"""HTTP validators on the public board and notice pages (issue 11, target 1): anonymous pages carry an
ETag and a short public max-age, revalidation answers 304 from the validator without rendering, a new
publication changes the ETag, and a logged-in viewer's page (with personal parts) stays no-store."""

from __future__ import annotations

import pytest

from tests.factories import login
from tests.querycount import count_queries
from tests.web.test_notice_pages import Village


@pytest.fixture
def v(world) -> Village:
    return Village(world)


def public_pages(v: Village, nid: int) -> list[str]:
    return [v.url(), v.url("?category=village&page=1"), v.url(f"notices/{nid}"), v.url(f"notices/{nid}/print"),
            v.url("feed.atom")]


def test_anonymous_pages_carry_a_validator_and_revalidate_with_304(client, app, v):
    notice = v.published(title="村道硬化公示")
    for url in public_pages(v, notice.id):
        r = client.get(url)
        assert r.status_code == 200, url
        etag = r.headers["etag"]
        assert etag.startswith('W/"'), url
        assert r.headers["cache-control"] == "public, max-age=60", url
        assert "cookie" in r.headers["vary"].lower(), url
        with count_queries(app.state.engine) as counter:
            again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.content == b"", url
        assert again.headers["etag"] == etag and again.headers["cache-control"] == "public, max-age=60"
        assert counter.count <= 2, f"{url}: {counter}"  # the village and the validator, nothing rendered
        assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_each_page_has_its_own_validator(client, v):
    notice = v.published(title="村道硬化公示")
    tags = {client.get(url).headers["etag"] for url in public_pages(v, notice.id)}
    assert len(tags) == 5


def test_a_new_publication_changes_the_etag(client, v):
    first = v.published(title="第一份")
    board = client.get(v.url()).headers["etag"]
    page = client.get(v.url(f"notices/{first.id}")).headers["etag"]
    feed = client.get(v.url("feed.atom")).headers["etag"]
    v.published(title="第二份")
    r = client.get(v.url(), headers={"If-None-Match": board})
    assert r.status_code == 200 and "第二份" in r.text and r.headers["etag"] != board
    assert client.get(v.url(f"notices/{first.id}"), headers={"If-None-Match": page}).status_code == 200
    assert client.get(v.url("feed.atom"), headers={"If-None-Match": feed}).status_code == 200


def test_closing_and_the_end_of_a_window_change_the_etag(client, v, clock):
    notice = v.published(title="公示中", days=15)
    board = client.get(v.url()).headers["etag"]
    clock.travel(days=16)  # the window ended: the notice moves to the archive
    r = client.get(v.url(), headers={"If-None-Match": board})
    assert r.status_code == 200 and r.headers["etag"] != board
    after_window = r.headers["etag"]
    from app.services import notices as notice_service
    notice_service.close(v.db, v.actor(v.committee), notice.id)
    assert client.get(v.url(), headers={"If-None-Match": after_window}).status_code == 200


def test_a_draft_is_not_answered_from_a_validator(client, v):
    draft = v.draft(title="草稿")
    r = client.get(v.url(f"notices/{draft.id}"), headers={"If-None-Match": "*"})
    assert r.status_code == 404 and "etag" not in r.headers
    assert client.get(v.url("notices/999999"), headers={"If-None-Match": "*"}).status_code == 404


def test_a_logged_in_viewer_gets_no_store_and_no_validator(client, v):
    notice = v.published(title="村道硬化公示")
    anonymous = client.get(v.url()).headers["etag"]
    login(client, v.villager)
    for url in public_pages(v, notice.id)[:4]:
        r = client.get(url, headers={"If-None-Match": anonymous})
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == "no-store", url
        assert "etag" not in r.headers and "public" not in r.headers["cache-control"]


def test_an_anonymous_board_sets_no_cookie_and_a_flash_makes_it_private(client, world):
    village = world.village()
    first = client.get(f"/v/{village.slug}/")
    assert first.status_code == 200
    assert "set-cookie" not in first.headers  # nothing personal: no anonymous CSRF cookie either
    assert first.headers["cache-control"] == "public, max-age=60"
    # a flash shown (and its cookie cleared) makes the answer this visitor's: never a shared cache
    from types import SimpleNamespace

    from routers import cookies

    fake = SimpleNamespace(app=client.app)
    client.cookies.set("cunyi_flash", cookies.encode(fake, "flash", {"m": "已退出登录", "k": "ok"}))
    flashed = client.get(f"/v/{village.slug}/")
    assert "已退出登录" in flashed.text and "set-cookie" in flashed.headers
    assert flashed.headers["cache-control"] == "private, max-age=60"


# --- pages kept rendered, by their validator ------------------------------------------------------

def test_a_second_anonymous_visitor_gets_the_kept_page_without_rendering(client, app, v):
    from fastapi.testclient import TestClient

    notice = v.published(title="村道硬化公示")
    v.published(title="财务收支", category="finance")
    for url in public_pages(v, notice.id):
        first = client.get(url)
        assert first.status_code == 200, url
        with TestClient(app) as stranger, count_queries(app.state.engine) as counter:
            again = stranger.get(url)  # another phone scanning the same QR code: no validator to send
        assert again.status_code == 200, url
        assert again.content == first.content, url
        assert again.headers["etag"] == first.headers["etag"], url
        assert again.headers["content-type"] == first.headers["content-type"], url
        assert again.headers["cache-control"] == "public, max-age=60", url
        assert counter.count <= 2, f"{url}: {counter}"  # the village and the validator: nothing rendered


def test_a_new_publication_is_shown_at_once_not_the_kept_page(client, v):
    v.published(title="第一份")
    assert "第一份" in client.get(v.url()).text
    v.published(title="第二份")
    assert "第二份" in client.get(v.url()).text  # a new stamp: rendered again


def test_a_logged_in_viewer_never_gets_a_kept_page(client, v):
    v.published(title="村道硬化公示")
    anonymous = client.get(v.url())
    assert "退出" not in anonymous.text
    login(client, v.villager)
    mine = client.get(v.url())
    assert mine.status_code == 200 and "退出" in mine.text and mine.text != anonymous.text
    assert mine.headers["cache-control"] == "no-store"


def test_with_the_cache_off_every_visit_renders(database, v):
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(database.settings.model_copy(update={"page_cache_entries": 0}))
    try:
        v.published(title="村道硬化公示")
        with TestClient(app) as client:
            client.get(v.url())
            with count_queries(app.state.engine) as counter:
                again = client.get(v.url())
        assert again.status_code == 200 and "村道硬化公示" in again.text
        assert counter.count > 2, counter
    finally:
        app.state.engine.dispose()


def test_the_cache_keeps_only_its_most_recent_pages():
    from routers.web.caching import MAX_KEPT_BYTES, PageCache

    cache = PageCache(2)
    cache.put(("a",), b"A", "text/html")
    cache.put(("b",), b"B", "text/html")
    assert cache.get(("a",)) == (b"A", "text/html")  # now the most recently used
    cache.put(("c",), b"C", "text/html")
    assert cache.get(("b",)) is None and cache.get(("a",)) is not None and cache.get(("c",)) is not None
    cache.put(("big",), b"x" * (MAX_KEPT_BYTES + 1), "text/html")
    assert cache.get(("big",)) is None
