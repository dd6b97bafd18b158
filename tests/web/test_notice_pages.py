"""The three publications on the web: the public board (no login), notice pages with versions, the
difference and the hash, the A4 print sheet with its QR code, the Atom feed; and for the people who
run it: drafting, review, publication, corrections, objections and replies, the inbox — with the
refusals. (The township's dashboard: tests/web/test_township_pages.py.)"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import unquote

import pytest

from app.domain import notices as N
from app.models import Notice, Objection, utcnow
from app.services import notices as notice_service
from app.services.access import load_actor
from tests.factories import login, png
from tests.querycount import count_queries
from tests.web.test_proposal_pages import flash, follow, main

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
ROAD = {"category": "village", "title": "村道硬化工程招标结果公示",
        "body": "## 中标单位\n\n青山县路桥公司，中标价 **58,000 元**。\n\n- 工期 30 天\n- 质保 2 年", "days": "15"}


class Village:
    """A village with its committee (also party committee), an accountant, a supervisor and two villagers."""

    def __init__(self, world):
        self.world = world
        self.db = world.db
        self.village = world.village()
        self.slug = self.village.slug
        self.committee = world.member(self.village, "committee", "party_committee", name="李主任")
        self.clerk = world.member(self.village, "committee", name="王文书")
        self.accountant = world.member(self.village, "accountant", name="陈会计")
        self.supervisor = world.member(self.village, "supervisor", name="赵监委")
        self.villager = world.member(self.village, name="张大爷")
        self.neighbour = world.member(self.village, name="刘大妈")

    def url(self, tail: str = "") -> str:
        return f"/v/{self.slug}/{tail}"

    def actor(self, user):
        return load_actor(self.db, user)

    def draft(self, category: str = "village", title: str = "村务公开", body: str = "内容", **kw) -> Notice:
        return notice_service.create(self.db, self.actor(self.committee), self.village, category=category, title=title,
                                     body=body, **kw)

    def publish(self, notice: Notice) -> Notice:
        """Through the service: review where the category needs it, then publication."""
        if notice.category in N.NEEDS_REVIEW:
            notice_service.submit(self.db, self.actor(self.committee), notice.id)
            notice_service.review(self.db, self.actor(self.supervisor), notice.id, approve=True)
        return notice_service.publish(self.db, self.actor(self.committee), notice.id)

    def published(self, category: str = "village", title: str = "村务公开", body: str = "内容", **kw) -> Notice:
        return self.publish(self.draft(category, title, body, **kw))

    def archived(self, count: int, category: str = "village", *, days_ago: int = 60, title: str = "往期公开"
                 ) -> list[Notice]:
        """Published notices whose window has ended, inserted directly (as the demo would)."""
        now = utcnow()
        rows = []
        for i in range(count):
            at = now - timedelta(days=days_ago + i)
            text = f"{title}{i}"
            rows.append(Notice(village_id=self.village.id, category=category, title=text, body=f"第 {i} 份",
                               days=7, state=N.PUBLISHED, author_id=self.committee.id, published_by=self.committee.id,
                               period=at.strftime("%Y-%m") if category == N.FINANCE else None,
                               published_at=at, window_from=at, window_until=at + timedelta(days=7),
                               content_hash=N.content_hash(text, f"第 {i} 份", []), created_at=at, updated_at=at))
        self.db.add_all(rows)
        self.db.commit()
        return rows


@pytest.fixture
def v(world) -> Village:
    return Village(world)


def titles_on(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/v/[^/]+/notices/\d+">([^<]+)</a>', html)


# --- the public board -----------------------------------------------------------------------------

def test_board_without_login_shows_published_notices_not_drafts(client, v):
    current = v.published(title="2026年第三季度村务公开")
    old = v.archived(1, title="上半年财务收支", category="finance", days_ago=40)[0]
    v.draft(title="还没发布的草稿")
    submitted = v.draft(title="审核中的公开")
    notice_service.submit(v.db, v.actor(v.committee), submitted.id)

    r = client.get(v.url())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    text = main(r.text)
    assert "2026年第三季度村务公开" in text and "上半年财务收支0" in text
    assert "还没发布的草稿" not in r.text and "审核中的公开" not in r.text
    # current notices first, with their window; then the archive, by month
    assert text.index("正在公示") < text.index("2026年第三季度村务公开") < text.index("往期公开") \
        < text.index("上半年财务收支0")
    local = current.window_from + timedelta(hours=8)
    assert f"公示 {local:%Y-%m-%d} 至" in text
    month = old.published_at + timedelta(hours=8)
    assert f"{month.year}年{month.month}月" in text
    # the village facts stay, below; a visitor is invited to log in; nobody's name is on the board
    assert text.index("往期公开") < text.index("本村概况") and "登记村民" in text
    assert f"/login?next=/v/{v.slug}/" in r.text
    for person in ("李主任", "赵监委", "张大爷"):
        assert person not in r.text
    assert f'href="/v/{v.slug}/feed.atom"' in r.text


def test_member_sees_the_board_and_their_box(client, v):
    v.published(title="党员大会决议公开", category="party")
    login(client, v.villager)
    r = client.get(v.url())
    assert "党员大会决议公开" in r.text and "我在本村" in r.text
    nav = r.text[r.text.index('class="village-nav"'):]
    nav = nav[:nav.index("</nav>")]
    assert "公开栏" in nav and "公开管理" not in nav and f"/v/{v.slug}/objections" not in nav
    client.cookies.clear()
    login(client, v.committee)
    nav = client.get(v.url()).text
    assert f'href="/v/{v.slug}/notices/manage"' in nav and f'href="/v/{v.slug}/objections"' in nav


def test_tabs_filter_by_category(client, v):
    v.published(title="党务：发展党员公示", category="party")
    v.published(title="村务：低保评议结果", category="village")
    v.published(title="财务：十月收支明细", category="finance")
    every = titles_on(client.get(v.url()).text)
    assert {"党务：发展党员公示", "村务：低保评议结果", "财务：十月收支明细"} <= set(every)
    for key, wanted in (("party", "党务：发展党员公示"), ("village", "村务：低保评议结果"),
                        ("finance", "财务：十月收支明细")):
        page = client.get(v.url(f"?category={key}")).text
        assert titles_on(page) == [wanted], key
        assert f'href="/v/{v.slug}/?category={key}" aria-current="page"' in page
    # an unknown category shows everything rather than an error
    assert set(titles_on(client.get(v.url("?category=nonsense")).text)) == set(every)


def test_archive_paginates(client, v):
    v.archived(25, title="旧公开")
    first = client.get(v.url()).text
    assert len(titles_on(first)) == 20 and "第 1 / 2 页，共 25 条" in main(first)
    assert 'href="?page=2"' in first
    second = client.get(v.url("?page=2")).text
    names = titles_on(second)
    assert len(names) == 5 and "旧公开24" in names and "旧公开0" not in names
    assert "正在公示" not in main(second)  # the current notices are on the first page only
    only_party = client.get(v.url("?category=party")).text
    assert titles_on(only_party) == [] and "还没有往期公开" in only_party


def test_board_answers_in_a_constant_number_of_queries(client, app, world):
    small, large = Village(world), Village(world)
    for village, n in ((small, 5), (large, 60)):
        village.archived(n - 2, title="往期")
        village.archived(1, category="finance", days_ago=400, title="去年")
        village.published(title="当前")  # one in its window
    counts, kept = [], []
    for village in (small, large):
        client.get(village.url())  # warm up: rendered, and kept
        with count_queries(app.state.engine) as counter:
            r = client.get(village.url("?page=1"))  # a page not kept yet: rendered
        assert r.status_code == 200 and "当前" in r.text
        counts.append(counter.count)
        with count_queries(app.state.engine) as counter:
            assert client.get(village.url()).status_code == 200
        kept.append(counter.count)
    assert counts[0] == counts[1], f"{counts}"
    # the village, its validator (ETag), its township, the board's three (current, count, archive page),
    # which of the shown rows are corrected, the head counts in one, the latest seal
    assert counts[1] == 9, counts
    assert kept == [2, 2], kept  # the village and its validator: the page as kept


# --- the notice page --------------------------------------------------------------------------------

def test_notice_page_shows_body_hash_and_window(client, v):
    notice = v.published(title=ROAD["title"], body=ROAD["body"] + "\n\n<script>alert(1)</script>")
    r = client.get(v.url(f"notices/{notice.id}"))
    assert r.status_code == 200
    assert "<h1>村道硬化工程招标结果公示</h1>" in r.text
    assert "<strong>58,000 元</strong>" in r.text and "<h3>中标单位</h3>" in r.text
    assert "<script>alert" not in r.text  # sanitized
    assert notice.content_hash and notice.content_hash in r.text
    start = notice.window_from + timedelta(hours=8)
    assert f"{start:%Y-%m-%d %H:%M} 至" in main(r.text) and "北京时间" in r.text
    assert "公示中" in r.text
    assert "质询" not in main(r.text)  # objections are not on the public page
    assert "李主任" not in r.text  # the drafter is not named on the public page; the approving supervisor is
    assert "村务监督委员会 赵监委" in r.text and "审核通过" in r.text
    assert f'href="/v/{v.slug}/notices/{notice.id}/print"' in r.text


def test_a_correction_shows_the_difference_and_marks_the_old_one(client, v):
    old = v.published(title="低保评议结果公示", body="张三 一类\n李四 二类\n王五 二类")
    newer = notice_service.correct(v.db, v.actor(v.committee), old.id, title="低保评议结果公示（更正）",
                                   body="张三 一类\n李四 一类\n王五 二类")
    # while the correction is a draft the old notice is not marked, on its page or on the board
    assert "本公开已被更正" not in client.get(v.url(f"notices/{old.id}")).text
    board = client.get(v.url()).text
    row = board[board.index(f"/notices/{old.id}\""):]
    assert "已更正" not in row[:row.index("</li>")] and "is-superseded" not in board
    assert client.get(v.url(f"notices/{newer.id}")).status_code == 404  # a draft is not public
    v.publish(newer)

    page = client.get(v.url(f"notices/{old.id}")).text
    assert "本公开已被更正" in page and f'href="/v/{v.slug}/notices/{newer.id}"' in page
    assert "已更正" in page
    page = client.get(v.url(f"notices/{newer.id}")).text
    assert "更正了" in page and f'href="/v/{v.slug}/notices/{old.id}"' in page
    assert '<li class="removed"><span class="sign" aria-hidden="true">−</span><del><span class="sr-only">删去：</span>李四 二类</del></li>' in page  # noqa: E501
    assert '<li class="added"><span class="sign" aria-hidden="true">+</span><ins><span class="sr-only">新增：</span>李四 一类</ins></li>' in page  # noqa: E501
    assert '<li class="same"><span class="sign" aria-hidden="true"> </span>张三 一类</li>' in page
    assert "<del>低保评议结果公示</del> → <ins>低保评议结果公示（更正）</ins>" in page
    assert "各个版本" in page and newer.content_hash in page
    # the board marks the old one, and labels the new one as a correction
    board = client.get(v.url()).text
    row = board[board.index(f"/notices/{old.id}\""):]
    assert "已更正" in row[:row.index("</li>")]
    assert board.count("is-superseded") == 1
    row = board[board.index(f"/notices/{newer.id}\""):]
    assert "更正" in row[:row.index("</li>")]


def test_print_page_needs_no_login_and_carries_qr_and_hash(client, v):
    notice = v.published(title=ROAD["title"], body=ROAD["body"])
    r = client.get(v.url(f"notices/{notice.id}/print"))
    assert r.status_code == 200
    html = r.text
    assert "<svg" in html and 'class="qr"' in html and "<path" in html
    assert notice.content_hash in html and v.village.name in html and "村务公开" in html
    assert "打印时间" in html and "公示期" in html
    assert f"http://testserver/v/{v.slug}/notices/{notice.id}" in html  # what the QR code encodes
    assert 'class="village-nav"' not in html and 'class="top"' not in html
    assert "李主任" not in html
    # a draft has no public print sheet
    draft = v.draft(title="草稿")
    assert client.get(v.url(f"notices/{draft.id}/print")).status_code == 404


def test_qr_code_is_an_accessible_inline_svg():
    from routers.web.notices import qr_svg

    svg = qr_svg("https://cunyi.example/v/xinghua/notices/7")
    assert svg.startswith('<svg role="img" aria-label=') and "viewBox" in svg and svg.endswith("</svg>")


def test_atom_feed_is_valid(client, v):
    first = v.published(title="财务 <十月> & 收支", category="finance", body="收入 **1,000 元**")
    second = v.published(title="党务公开", category="party")
    v.archived(2, title="往期")
    v.draft(title="草稿不进订阅")
    r = client.get(v.url("feed.atom"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(r.content)  # noqa: S314 — our own server's answer
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert RFC3339.match(root.find(f"{ATOM}updated").text)
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"] == f"http://testserver/v/{v.slug}/feed.atom"
    assert links["alternate"] == f"http://testserver/v/{v.slug}/"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4
    ids = set()
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{tag}") is not None and entry.find(f"{ATOM}{tag}").text, tag
        assert RFC3339.match(entry.find(f"{ATOM}updated").text)
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href").startswith(f"http://testserver/v/{v.slug}/notices/")
        ids.add(entry.find(f"{ATOM}id").text)
    assert len(ids) == 4
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles[:2] == ["党务公开", "财务 <十月> & 收支"]  # newest first, text escaped and read back
    assert b"&lt;\xe5\x8d\x81\xe6\x9c\x88&gt; &amp;" in r.content
    content = entries[1].find(f"{ATOM}content")
    assert content.get("type") == "html" and "<strong>1,000 元</strong>" in content.text
    assert first.content_hash in content.text and second.id != first.id
    assert "草稿不进订阅" not in r.text


def test_unknown_village_feed_and_notice_in_another_village_are_404(client, world, v):
    notice = v.published()
    other = world.village()
    assert client.get("/v/no-such-village/feed.atom").status_code == 404
    assert client.get(f"/v/{other.slug}/notices/{notice.id}").status_code == 404
    assert client.get(f"/v/{other.slug}/notices/{notice.id}/print").status_code == 404
    assert client.get(v.url("notices/987654321")).status_code == 404


def test_attachments_of_a_published_notice_are_public(client, v):
    notice = v.draft(title="工程合同公示")
    token = login(client, v.committee)
    data = png()
    r = client.post(v.url(f"notices/{notice.id}/attachments"), data={"csrf_token": token},
                    files={"file": ("合同.png", data, "application/octet-stream")})
    page = follow(client, r)
    assert flash(page.text) == "ok: 已上传附件：合同.png"
    link = re.search(rf'href="(/v/{v.slug}/notices/{notice.id}/attachments/\d+)">合同.png</a>', page.text)
    assert link
    client.cookies.clear()
    assert client.get(link.group(1)).status_code == 404  # a draft's file is not public
    published = v.publish(notice)
    assert published.content_hash == N.content_hash("工程合同公示", "内容", [hashlib.sha256(data).hexdigest()])
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.content == data
    page = client.get(v.url(f"notices/{notice.id}")).text
    assert "合同.png" in page and 'enctype="multipart/form-data"' not in page


# --- objections -------------------------------------------------------------------------------------

def test_objections_are_for_members_and_the_committee_replies(client, world, v):
    notice = v.published(title="村集体土地流转收益分配公示")
    url = v.url(f"notices/{notice.id}")
    token = login(client, v.villager)
    page = client.get(url).text
    assert "提出质询" in page and 'id="new-objection"' in page
    r = client.post(url + "/objections", data={"body": "   ", "csrf_token": token})
    assert r.status_code == 422 and "请写明质询的内容" in r.text
    r = client.post(url + "/objections", data={"body": "每户分配标准是怎么定的？", "csrf_token": token})
    page = follow(client, r).text
    assert "质询已提交" in flash(page)
    assert "每户分配标准是怎么定的？" in page and "等待村委会答复" in page
    oid = int(re.search(r'id="o(\d+)"', page).group(1))

    # not on the public page, not for another village, but for a neighbour
    client.cookies.clear()
    public = client.get(url).text
    assert "每户分配标准" not in public and "张大爷" not in public
    assert "每户分配标准" not in client.get(v.url()).text
    assert "每户分配标准" not in client.get(url + "/print").text
    assert "每户分配标准" not in client.get(v.url("feed.atom")).text
    outsider = world.member(world.village(), name="外村人")
    login(client, outsider)
    assert "每户分配标准" not in client.get(url).text
    client.cookies.clear()
    login(client, v.neighbour)
    page = client.get(url).text
    assert "每户分配标准是怎么定的？" in page and "张大爷" in page
    assert f"/objections/{oid}/reply" not in page  # a villager cannot reply

    # the committee replies; an empty reply keeps the form open with the message
    client.cookies.clear()
    token = login(client, v.committee)
    page = client.get(url).text
    assert f'action="/v/{v.slug}/objections/{oid}/reply"' in page
    r = client.post(v.url(f"objections/{oid}/reply"), data={"body": "", "back": "notice", "csrf_token": token})
    assert r.status_code == 422 and "请填写答复" in r.text
    r = client.post(v.url(f"objections/{oid}/reply"),
                    data={"body": "按 2025 年底在册人口，每人 320 元。", "back": "notice", "csrf_token": token})
    page = follow(client, r).text
    assert "答复已发出" in flash(page) and "按 2025 年底在册人口" in page
    again = client.post(v.url(f"objections/{oid}/reply"), data={"body": "再答一次", "csrf_token": token})
    assert "已经答复过了" in flash(follow(client, again).text)

    client.cookies.clear()
    login(client, v.villager)
    page = client.get(url).text
    assert "按 2025 年底在册人口，每人 320 元。" in page and "李主任" in page


def test_no_objection_after_the_window(client, v):
    notice = v.archived(1)[0]
    token = login(client, v.villager)
    page = client.get(v.url(f"notices/{notice.id}")).text
    assert 'id="new-objection"' not in page and "公示期已过" in page
    r = client.post(v.url(f"notices/{notice.id}/objections"), data={"body": "还能质询吗", "csrf_token": token})
    assert "公示期已过" in flash(follow(client, r).text)


def test_objection_inbox_flags_overdue_and_monitors_read_it(client, world, v):
    notice = v.published(title="水费收缴公示")
    db = v.db
    late = Objection(village_id=v.village.id, notice_id=notice.id, author_id=v.villager.id, body="水费为什么涨了？",
                     created_at=utcnow() - timedelta(days=12), due_at=utcnow() - timedelta(days=2))
    fresh = Objection(village_id=v.village.id, notice_id=notice.id, author_id=v.neighbour.id, body="表什么时候换？",
                      created_at=utcnow(), due_at=utcnow() + timedelta(days=10))
    db.add_all([late, fresh])
    db.commit()

    token = login(client, v.committee)
    page = client.get(v.url("objections")).text
    text = main(page)
    assert text.index("水费为什么涨了？") < text.index("表什么时候换？")  # oldest deadline first
    assert page.count('class="objection overdue"') == 1 and "已逾期" in text
    r = client.post(v.url(f"objections/{late.id}/reply"),
                    data={"body": "电价调整，详见附件。", "back": "inbox", "csrf_token": token})
    assert r.headers["location"] == v.url("objections")
    page = follow(client, r).text
    assert "水费为什么涨了？" not in main(page) and "表什么时候换？" in main(page)
    assert "电价调整" in client.get(v.url("objections?all=1")).text

    client.cookies.clear()
    monitor = world.monitor(v.village.township_id)
    login(client, monitor)
    page = client.get(v.url("objections"))
    assert page.status_code == 200 and "表什么时候换？" in page.text and "/reply" not in page.text
    client.cookies.clear()
    login(client, v.villager)
    assert client.get(v.url("objections")).status_code == 403


# --- drafting, review and publication through the forms ---------------------------------------------

def test_committee_drafts_supervisor_approves_committee_publishes(client, v):
    token = login(client, v.clerk)
    form = client.get(v.url("notices/new")).text
    # 王文书 (committee only) may draft village and finance notices, not party ones
    assert 'value="village"' in form and 'value="finance"' in form and 'value="party"' not in form
    # the days offered are the law's least for village affairs, and the help says why
    assert re.search(r'<input id="days"[^>]* value="15"', form)
    assert "村务、财务公开至少公布 15 天（依据《村民委员会组织法》（2025年修正）第三十五条）" in form
    r = client.post(v.url("notices/new"), data={**ROAD, "days": "14", "csrf_token": token})
    assert r.status_code == 422 and "村务公开至少公布 15 天" in r.text and 'value="14"' in r.text
    r = client.post(v.url("notices/new"), data={**ROAD, "title": "", "days": "七", "csrf_token": token})
    assert r.status_code == 422
    assert "请填写标题" in r.text and "公示天数应为整数" in r.text and "青山县路桥公司" in r.text  # input kept
    assert 'value="七"' in r.text and '<option value="village" selected>' in r.text
    r = client.post(v.url("notices/new"), data={**ROAD, "csrf_token": token})
    assert r.status_code == 303
    nid = int(re.fullmatch(rf"/v/{v.slug}/notices/(\d+)", r.headers["location"]).group(1))
    page = follow(client, r).text
    assert "草稿已保存" in flash(page) and "还没有发布" in page and "提交审核" in page
    assert f'action="/v/{v.slug}/notices/{nid}/publish"' not in page  # not before review
    r = client.post(v.url(f"notices/{nid}/edit"), data={**ROAD, "title": ROAD["title"] + "（修订）",
                                                         "csrf_token": token})
    assert "草稿已保存" in flash(follow(client, r).text)
    r = client.post(v.url(f"notices/{nid}/publish"), data={"csrf_token": token})
    assert "须经村务监督委员会审核通过后才能发布" in flash(follow(client, r).text)
    r = client.post(v.url(f"notices/{nid}/submit"), data={"csrf_token": token})
    assert flash(follow(client, r).text) == "ok: 已提交村务监督委员会审核"
    assert client.get(v.url(f"notices/{nid}/edit")).headers["location"] == v.url(f"notices/{nid}")

    # the supervisor finds it in the queue; returning needs a note; then approves
    client.cookies.clear()
    token = login(client, v.supervisor)
    queue = client.get(v.url("notices/manage")).text
    assert "待审核" in queue and ROAD["title"] + "（修订）" in queue
    r = client.post(v.url(f"notices/{nid}/review"), data={"decision": "return", "note": "", "csrf_token": token})
    assert r.status_code == 422 and "退回时请写明意见" in r.text
    r = client.post(v.url(f"notices/{nid}/review"), data={"decision": "approve", "note": "", "csrf_token": token})
    assert flash(follow(client, r).text) == "ok: 已审核通过，村委会可以发布了"

    # the committee publishes; the public board shows it
    client.cookies.clear()
    token = login(client, v.committee)
    assert ROAD["title"] in client.get(v.url("notices/manage")).text
    r = client.post(v.url(f"notices/{nid}/publish"), data={"csrf_token": token})
    page = follow(client, r).text
    assert "已发布，公示到" in flash(page) and "内容指纹" in page
    client.cookies.clear()
    assert ROAD["title"] + "（修订）" in titles_on(client.get(v.url()).text)


def test_a_returned_draft_shows_the_note_and_a_party_notice_needs_no_review(client, v):
    notice = v.draft(title="村务：护林员选聘")
    notice_service.submit(v.db, v.actor(v.committee), notice.id)
    notice_service.review(v.db, v.actor(v.supervisor), notice.id, approve=False, note="请写明报名条件")
    token = login(client, v.committee)
    page = client.get(v.url(f"notices/{notice.id}")).text
    assert "请写明报名条件" in page
    assert "请写明报名条件" in client.get(v.url("notices/manage")).text
    r = client.post(v.url("notices/new"), data={"category": "party", "title": "发展党员公示", "body": "拟发展 2 人",
                                               "days": "5", "csrf_token": token})
    nid = int(r.headers["location"].rsplit("/", 1)[1])
    page = follow(client, r).text
    assert "提交审核" not in main(page).replace("党务公开由村党组织直接发布", "")
    r = client.post(v.url(f"notices/{nid}/publish"), data={"csrf_token": token})
    assert "已发布" in flash(follow(client, r).text)


def test_correction_through_the_form(client, v):
    old = v.published(title="十月财务收支", category="finance", body="收入 1,000 元\n支出 800 元")
    token = login(client, v.committee)
    form = client.get(v.url(f"notices/{old.id}/revise")).text
    assert 'value="十月财务收支"' in form and "支出 800 元" in form
    r = client.post(v.url(f"notices/{old.id}/revise"), data={"title": "十月财务收支（更正）",
                                                             "body": "收入 1,000 元\n支出 850 元", "days": "15",
                                                             "csrf_token": token})
    page = follow(client, r)
    assert "更正草稿已保存" in flash(page.text)
    newer = int(r.headers["location"].rsplit("/", 1)[1])
    assert "支出 850 元" in page.text and "<del>" in page.text
    # once the correction is published, correcting the old one leads to the newest version
    v.publish(v.db.get(Notice, newer))
    again = client.get(v.url(f"notices/{old.id}/revise"))
    assert again.headers["location"] == v.url(f"notices/{newer}")


def test_editing_a_published_notice_is_refused(client, v):
    notice = v.published(title="已发布的公开")
    token = login(client, v.committee)
    r = client.get(v.url(f"notices/{notice.id}/edit"))
    assert r.status_code == 303
    assert flash(follow(client, r).text) == "error: 只有草稿可以修改；已发布的公开只能发更正"
    r = client.post(v.url(f"notices/{notice.id}/edit"), data={"title": "偷偷改", "body": "改了", "days": "7",
                                                             "csrf_token": token})
    assert flash(follow(client, r).text) == "error: 只有草稿可以修改；已发布的公开只能发更正"
    assert "偷偷改" not in client.get(v.url(f"notices/{notice.id}")).text


def test_close_after_the_window(client, v):
    notice = v.archived(1)[0]
    token = login(client, v.committee)
    assert "公示期已满，待办结" in client.get(v.url("notices/manage")).text
    page = client.get(v.url(f"notices/{notice.id}")).text
    assert f'action="/v/{v.slug}/notices/{notice.id}/close"' in page
    r = client.post(v.url(f"notices/{notice.id}/close"), data={"csrf_token": token})
    assert flash(follow(client, r).text) == "ok: 已办结"
    assert "已办结" in client.get(v.url(f"notices/{notice.id}")).text


# --- refusals ---------------------------------------------------------------------------------------

def test_villager_is_refused_the_working_pages(client, v):
    draft = v.draft(title="草稿")
    token = login(client, v.villager)
    for path in ("notices/manage", "notices/new"):
        r = client.get(v.url(path))
        assert r.status_code == 403, path
        assert "身份" in r.text
    r = client.post(v.url("notices/new"), data={**ROAD, "csrf_token": token})
    assert r.status_code == 403
    assert client.get(v.url(f"notices/{draft.id}")).status_code == 404  # drafts are not shown to villagers
    published = v.published(title="公开")
    r = client.post(v.url(f"notices/{published.id}/close"), data={"csrf_token": token})
    assert r.status_code == 403
    page = client.get(v.url(f"notices/{published.id}")).text
    assert 'id="actions"' not in page


def test_accountant_may_draft_finance_only(client, v):
    login(client, v.accountant)
    form = client.get(v.url("notices/new")).text
    assert '<option value="finance"' in form and 'value="village"' not in form and 'value="party"' not in form


def test_another_village_gets_404(client, world, v):
    draft = v.draft(title="别村的草稿")
    other = Village(world)
    login(client, other.committee)
    for path in ("notices/manage", "notices/new", f"notices/{draft.id}", f"notices/{draft.id}/edit", "objections"):
        r = client.get(v.url(path))
        assert r.status_code == 404, path
        assert "别村的草稿" not in r.text


def test_not_logged_in_goes_to_login(client, v):
    draft = v.draft()
    for path in ("notices/manage", "notices/new", f"notices/{draft.id}/edit", "objections"):
        r = client.get(v.url(path))
        assert r.status_code == 303, path
        assert unquote(r.headers["location"]) == f"/login?next={v.url(path)}"


def test_manage_shows_the_calendar(client, v):
    v.archived(1, category="finance", days_ago=70)
    login(client, v.committee)
    page = main(client.get(v.url("notices/manage")).text)
    assert "公开的频次" in page and "财务公开" in page and "已逾期" in page


def test_print_sheet_names_the_approving_supervisor(client, v):
    notice = v.published(title=ROAD["title"], body=ROAD["body"])
    html = client.get(v.url(f"notices/{notice.id}/print")).text
    assert "经村务监督委员会 赵监委 于" in html and "审核通过" in html
