"""The public board costs the same however long the village's history (issue 11, target 1): the
archive is counted only ten pages ahead of the page shown, and the notices in their window are read
from an index on (village, state, publication time), not by walking every notice of the village."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from app.domain.bounds import MAX_PAGE
from app.services.board import ARCHIVE_LOOK_AHEAD
from tests.web.test_notice_pages import Village, titles_on
from tests.web.test_proposal_pages import main

PER_PAGE = 20
SHOWN = ARCHIVE_LOOK_AHEAD * PER_PAGE + PER_PAGE  # what page 1's count reaches before it stops


@pytest.fixture
def v(world) -> Village:
    return Village(world)


def pager(html: str) -> str:
    """The archive's pager: its links as written, then its words (tags stripped)."""
    found = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    assert found, "no pager on the page"
    return found.group(0) + " " + main(f"<main>{found.group(0)}</main>")


def test_a_long_archive_says_more_instead_of_counting_every_notice(client, v):
    total = SHOWN + 40  # 260 notices: 13 pages
    v.archived(total, title="往期")
    first = client.get(v.url()).text
    assert len(titles_on(first)) == PER_PAGE
    assert f"第 1 页，{SHOWN} 条以上" in pager(first) and 'href="?page=2"' in pager(first)
    assert "上一页" not in pager(first)
    # near the end the count reaches the last notice: the pager is exact again
    last = client.get(v.url("?page=13")).text
    assert "第 13 / 13 页，共 260 条" in pager(last) and "下一页" not in pager(last)
    assert titles_on(last)[-1] == f"往期{total - 1}"
    # far past the count's reach from page 1, a page still has its next link and its notices
    deep = client.get(v.url("?page=12")).text
    assert "第 12 / 13 页，共 260 条" in pager(deep) and 'href="?page=13"' in pager(deep)


def test_a_short_archive_keeps_its_exact_count(client, v):
    v.archived(SHOWN, title="往期")  # exactly what the count reaches: nothing beyond it
    first = client.get(v.url()).text
    assert f"第 1 / {SHOWN // PER_PAGE} 页，共 {SHOWN} 条" in pager(first)


def test_the_archive_count_stops_at_its_look_ahead(client, app, v):
    v.archived(30, title="往期")
    counts: list[tuple[str, dict]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT COUNT(*)") and "notice" in statement:
            counts.append((statement, parameters))

    event.listen(app.state.engine, "before_cursor_execute", seen)
    try:
        assert client.get(v.url("?page=2")).status_code == 200
    finally:
        event.remove(app.state.engine, "before_cursor_execute", seen)
    assert len(counts) == 1
    statement, parameters = counts[0]
    assert "LIMIT" in statement.upper()
    limits = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)
    assert (2 + ARCHIVE_LOOK_AHEAD) * PER_PAGE + 1 in limits


def test_current_notices_are_read_from_the_state_index(client, app, v):
    """On SQLite the plan is read back: the board's current list searches the village's published
    notices through ix_notice_village_state_published instead of scanning in publication order."""
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("the query plan is read on SQLite; PostgreSQL plans by its statistics")
    v.archived(30, title="往期")
    v.published(title="当前公示")
    captured: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "window_until >" in statement and "ORDER BY notice.published_at DESC" in statement:
            captured.append((statement, parameters))

    event.listen(app.state.engine, "before_cursor_execute", seen)
    try:
        assert "当前公示" in client.get(v.url()).text
    finally:
        event.remove(app.state.engine, "before_cursor_execute", seen)
    assert captured, "the current notices' query was not seen"
    statement, parameters = captured[0]
    with app.state.engine.connect() as conn:
        plan = " ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    assert "ix_notice_village_state_published" in plan, plan


def test_the_last_page_a_pager_accepts_answers_an_empty_archive(client, v):
    """The archive's page and count are bound as parameters: the highest page number accepted, far past
    the notices, shows the board with an empty archive page and a link back, not an error."""
    v.archived(30, title="往期", category="finance")
    v.published(title="当前公示", category="finance")
    page = client.get(v.url(f"?category=finance&page={MAX_PAGE}"))
    assert page.status_code == 200
    text = main(page.text)
    assert "这一页没有内容" in text and titles_on(page.text) == []
    assert "当前公示" not in text  # the notices in their window head page 1 only
    assert "上一页" in pager(page.text)
    assert client.get(v.url(f"?category=finance&page={MAX_PAGE + 1}")).status_code == 422
