"""Stored HTML of proposal and comment bodies: written with the text, shown from the row while its
renderer version is current, rendered afresh when stale (a read never writes), refreshed by
`rendering.refresh_stale`; the proposal page's queries do not grow with its comments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from app.domain import markdown
from app.domain.markdown import VERSION
from app.models import Comment, CommentVersion, Proposal
from app.services import comments, rendering
from app.services.access import load_actor
from tests.factories import bearer, items, login, ok, proposal_in_deliberation, unique_client
from tests.querycount import count_queries

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(1)> [点我](javascript:alert(1))"


@pytest.fixture
def town(client, world):
    village = world.village()
    committee = world.member(village, "committee", name="李主任")
    alice = world.member(village, name="张阿姨")
    bob = world.member(village, name="王大伯")
    return village, committee, alice, bob


def stored(db, model, row_id: int) -> tuple[str | None, int | None]:
    db.expire_all()
    row = db.get(model, row_id)
    return row.body_html, row.body_html_version


def assert_harmless(html: str) -> None:
    """What a user typed as HTML is shown as text, never as a tag or a live link."""
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def page_of(browser, village, pid: int) -> str:
    r = browser.get(f"/v/{village.slug}/proposals/{pid}")
    assert r.status_code == 200, r.text
    return r.text


def comment_html(page: str, cid: int) -> str:
    """The body of comment `cid` as the page shows it."""
    found = re.search(rf'<article[^>]*id="c{cid}">.*?<div class="prose">(.*?)</div>', page, re.S)
    assert found, f"comment {cid} is not on the page"
    return found.group(1)


# --- written with the text ----------------------------------------------------------------------


def test_a_proposal_stores_its_html_when_drafted_and_edited(client, db, world, town, app):
    village, committee, alice, _ = town
    h = bearer(client, alice)
    draft = {"title": "修村口的路", "body": f"**粗**体\n\n{HOSTILE}", "category": "facilities",
             "procedure": "yishiyiyi"}
    created = ok(client.post(f"/api/v1/villages/{village.id}/proposals", headers=h, json=draft), 201)
    html, version = stored(db, Proposal, created["id"])
    assert version == VERSION and "<p><strong>粗</strong>体</p>" in html
    assert_harmless(html)
    assert created["body_html"] == html

    edited = ok(client.put(f"/api/v1/proposals/{created['id']}", headers=h,
                           json={**draft, "body": "# 方案\n\n*斜*体 <b>不加粗</b>"}))
    html, version = stored(db, Proposal, created["id"])
    assert html == "<h2>方案</h2>\n<p><em>斜</em>体 &lt;b&gt;不加粗&lt;/b&gt;</p>\n" and version == VERSION
    assert edited["body_html"] == html
    with unique_client(app, follow_redirects=False) as browser:
        login(browser, alice)
        assert html in page_of(browser, village, created["id"])


def test_a_comment_stores_its_html_and_an_edit_keeps_the_old_text(client, db, world, town, app):
    village, committee, alice, bob = town
    pid = proposal_in_deliberation(client, world, village, committee)
    h = bearer(client, alice)
    posted = ok(client.post(f"/api/v1/proposals/{pid}/comments", headers=h, json={"body": f"**粗** {HOSTILE}"}),
                201)
    html, version = stored(db, Comment, posted["id"])
    assert version == VERSION and html.startswith("<p><strong>粗</strong> ")
    assert_harmless(html)
    assert posted["body_html"] == html

    edited = ok(client.patch(f"/api/v1/comments/{posted['id']}", headers=h, json={"body": "改成 *斜* 的"}))
    html, version = stored(db, Comment, posted["id"])
    assert html == "<p>改成 <em>斜</em> 的</p>\n" and version == VERSION and edited["body_html"] == html
    assert edited["versions"] == 1
    kept = db.execute(select(CommentVersion.body).where(CommentVersion.comment_id == posted["id"])).scalars().all()
    assert kept == [f"**粗** {HOSTILE}"]
    history = items(client.get(f"/api/v1/comments/{posted['id']}/versions", headers=bearer(client, bob)))
    assert [v["body"] for v in history] == [f"**粗** {HOSTILE}", "改成 *斜* 的"]
    with unique_client(app, follow_redirects=False) as browser:
        login(browser, bob)
        assert comment_html(page_of(browser, village, pid), posted["id"]) == html


# --- read from the row, or rendered afresh ------------------------------------------------------


def test_stale_html_is_rendered_afresh_and_a_read_writes_nothing(client, db, world, town, app):
    village, committee, alice, bob = town
    pid = proposal_in_deliberation(client, world, village, committee)
    h = bearer(client, alice)
    old = ok(client.post(f"/api/v1/proposals/{pid}/comments", headers=h, json={"body": "**旧版本**写的"}), 201)
    null = ok(client.post(f"/api/v1/proposals/{pid}/comments", headers=h, json={"body": "*升级前*写的"}), 201)
    kept = ok(client.post(f"/api/v1/proposals/{pid}/comments", headers=h, json={"body": "现在写的"}), 201)
    # an older renderer's HTML and a row from before stored HTML; and a current row whose stored HTML
    # is not what a fresh render gives, to tell which of the two is shown
    db.execute(update(Proposal).where(Proposal.id == pid).values(body_html="<p>旧</p>", body_html_version=VERSION - 1))
    db.execute(update(Comment).where(Comment.id == old["id"]).values(body_html="<p>旧</p>",
                                                                      body_html_version=VERSION - 1))
    db.execute(update(Comment).where(Comment.id == null["id"]).values(body_html=None, body_html_version=None))
    db.execute(update(Comment).where(Comment.id == kept["id"]).values(body_html="<p>存着的</p>"))
    db.commit()

    with unique_client(app, follow_redirects=False) as browser, count_queries(app.state.engine) as reads:
        login(browser, bob)
        page = page_of(browser, village, pid)
        thread = {c["id"]: c["body_html"] for c in items(client.get(f"/api/v1/proposals/{pid}/comments",
                                                                    headers=bearer(client, bob)))}
        detail = ok(client.get(f"/api/v1/proposals/{pid}", headers=bearer(client, bob)))
    proposal_html = markdown.render("村口的路坑洼不平，雨天难走，建议硬化。")
    assert proposal_html in page and detail["body_html"] == proposal_html and "<p>旧</p>" not in page
    assert comment_html(page, old["id"]) == thread[old["id"]] == "<p><strong>旧版本</strong>写的</p>\n"
    assert comment_html(page, null["id"]) == thread[null["id"]] == "<p><em>升级前</em>写的</p>\n"
    assert comment_html(page, kept["id"]) == thread[kept["id"]] == "<p>存着的</p>"
    # the reads stored nothing: the rows are as stale as before
    writes = [s for s in reads.statements if re.match(r"\s*(UPDATE|INSERT|DELETE)\s+(proposal|comment)\b", s, re.I)]
    assert writes == []
    assert stored(db, Proposal, pid) == ("<p>旧</p>", VERSION - 1)
    assert stored(db, Comment, null["id"]) == (None, None)


# --- the refresh ------------------------------------------------------------------------------


def test_refresh_stale_renders_stale_rows_and_leaves_current_ones_alone(client, db, world, town):
    village, committee, alice, _ = town
    pid = proposal_in_deliberation(client, world, village, committee)
    h = bearer(client, alice)
    cids = [ok(client.post(f"/api/v1/proposals/{pid}/comments", headers=h, json={"body": f"第{i}条 **意见**"}),
               201)["id"] for i in range(4)]
    rendering.refresh_stale(db)  # rows other tests left stale
    db.execute(update(Proposal).where(Proposal.id == pid).values(body_html=None, body_html_version=None))
    db.execute(update(Comment).where(Comment.id.in_(cids[:2])).values(body_html=None, body_html_version=None))
    db.execute(update(Comment).where(Comment.id == cids[2]).values(body_html="<p>旧</p>",
                                                                    body_html_version=VERSION - 1))
    db.execute(update(Comment).where(Comment.id == cids[3]).values(body_html="<p>存着的</p>"))
    db.commit()
    before = db.execute(select(Proposal.updated_at).where(Proposal.id == pid)).scalar_one()

    assert rendering.refresh_stale(db, batch=2) == 4  # the proposal and three comments, two at a time
    assert stored(db, Proposal, pid) == (markdown.render("村口的路坑洼不平，雨天难走，建议硬化。"), VERSION)
    for i, cid in enumerate(cids[:3]):
        assert stored(db, Comment, cid) == (f"<p>第{i}条 <strong>意见</strong></p>\n", VERSION)
    assert stored(db, Comment, cids[3]) == ("<p>存着的</p>", VERSION)  # current: left alone
    # the matter does not move in the list: refreshing its HTML is not an update of the matter
    assert db.execute(select(Proposal.updated_at).where(Proposal.id == pid)).scalar_one() == before
    assert rendering.refresh_stale(db) == 0
    with pytest.raises(ValueError):
        rendering.refresh_stale(db, batch=0)


def test_an_edit_made_while_the_refresh_renders_is_kept(client, db, world, town, app, monkeypatch):
    village, committee, alice, _ = town
    pid = proposal_in_deliberation(client, world, village, committee)
    cid = ok(client.post(f"/api/v1/proposals/{pid}/comments", headers=bearer(client, alice),
                         json={"body": "原来的话"}), 201)["id"]
    rendering.refresh_stale(db)
    db.execute(update(Comment).where(Comment.id == cid).values(body_html=None, body_html_version=None))
    db.commit()
    render = markdown.render

    def render_while_the_author_edits(text):
        if text == "原来的话":
            with Session(app.state.engine) as other:
                comments.edit(other, load_actor(other, alice), cid, "改过的**话**")
        return render(text)

    monkeypatch.setattr(markdown, "render", render_while_the_author_edits)
    assert rendering.refresh_stale(db) == 0
    assert stored(db, Comment, cid) == ("<p>改过的<strong>话</strong></p>\n", VERSION)


# --- the page's cost --------------------------------------------------------------------------


def test_the_proposal_page_runs_the_same_queries_with_3_or_30_comments(client, db, world, town, app):
    village, committee, alice, bob = town
    pid = proposal_in_deliberation(client, world, village, committee)
    writers = {"alice": bearer(client, alice), "bob": bearer(client, bob), "committee": bearer(client, committee)}
    ids: list[int] = []

    def add(n: int) -> None:
        for i in range(n):
            who = ("alice", "bob", "committee")[i % 3]
            parent = ids[i // 2] if ids and i % 2 else None
            ids.append(ok(client.post(f"/api/v1/proposals/{pid}/comments", headers=writers[who],
                                      json={"body": f"第{len(ids)}条 **意见**", "parent_id": parent}), 201)["id"])

    add(3)
    with unique_client(app, follow_redirects=False) as browser:
        login(browser, bob)
        page_of(browser, village, pid)  # warm-up
        with count_queries(app.state.engine) as small:
            assert page_of(browser, village, pid).count('<article class="comment') == 3
        add(27)
        ok(client.patch(f"/api/v1/comments/{ids[4]}", headers=writers["bob"], json={"body": "改过"}))
        ok(client.post(f"/api/v1/comments/{ids[5]}/hide", headers=writers["committee"], json={"reason": "重复"}))
        ok(client.post(f"/api/v1/comments/{ids[6]}/report", headers=writers["bob"], json={}), 201)
        db.execute(update(Comment).where(Comment.id.in_(ids[10:20])).values(body_html=None, body_html_version=None))
        db.execute(update(Comment).where(Comment.id == ids[20]).values(body_html_version=VERSION - 1))
        db.commit()
        with count_queries(app.state.engine) as large:
            page = page_of(browser, village, pid)
    assert page.count('<article class="comment') == 30
    assert comment_html(page, ids[12]) == "<p>第12条 <strong>意见</strong></p>\n"
    assert large.count == small.count, f"3 comments: {small}\n30 comments: {large}"

