"""Proposal pages as villagers, the committee and outsiders meet them: list, forms, the proposal page
(co-signing, actions, attachments, comments), the queue, the settings and my messages."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import update

from app.domain.proposals import ProposalDraft
from app.models import Proposal
from app.services import proposals as proposal_service
from app.services.access import load_actor
from tests.factories import login, png
from tests.querycount import count_queries

ROAD = {"title": "硬化村东头道路", "body": "## 方案\n\n修 300 米水泥路，**雨天**不再泥泞。", "category": "facilities",
        "procedure": "yishiyiyi", "budget": "60,000", "per_capita": "15", "labour_days": "1",
        "exemptions": "五保户、现役军人家庭"}


# --- helpers ----------------------------------------------------------------------------------

class Village:
    """A village with a few adult villagers and a committee member (so 1 co-signer is enough)."""

    def __init__(self, world, adults: int = 3):
        self.world = world
        self.village = world.village()
        self.slug = self.village.slug
        self.people = [world.member(self.village, name=f"村民{i}") for i in range(adults)]
        self.committee = world.member(self.village, "committee", name="李主任")

    def url(self, tail: str = "") -> str:
        return f"/v/{self.slug}/{tail}"

    def draft(self, author=None, **changes) -> Proposal:
        author = author or self.people[0]
        db = self.world.db
        fields = {"title": "修村口的路", "body": "村口的路坑洼不平。", "category": "facilities",
                  "procedure": "yishiyiyi", **changes}
        return proposal_service.create(db, load_actor(db, author), self.village, ProposalDraft(**fields))

    def submitted(self, author=None, **changes) -> Proposal:
        author = author or self.people[0]
        proposal = self.draft(author, **changes)
        db = self.world.db
        return proposal_service.transition(db, load_actor(db, author), proposal.id, "submit")


@pytest.fixture
def v(world) -> Village:
    return Village(world)


def main(html: str) -> str:
    """The page's <main>, tags stripped and white space folded (for plain-text checks)."""
    body = html[html.index("<main"):html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def follow(client, response):
    """Follow a 303 and return the next page (which shows the flash)."""
    assert response.status_code == 303, response.text
    return client.get(response.headers["location"])


def flash(html: str) -> str:
    match = re.search(r'<div class="flash flash-(\w+)"[^>]*>(.*?)</div>', html, re.S)
    return f"{match.group(1)}: {match.group(2).strip()}" if match else ""


# --- who may see what -------------------------------------------------------------------------

def test_pages_render_for_members(client, v):
    proposal = v.submitted()
    draft = v.draft()
    token = login(client, v.people[0])
    for path in ("proposals", "proposals/new", f"proposals/{proposal.id}", f"proposals/{draft.id}",
                 f"proposals/{draft.id}/edit"):
        r = client.get(v.url(path))
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"].startswith("text/html")
    assert client.get("/me/notifications").status_code == 200
    # the village menu offers 议事 to every member, the committee's pages only to the committee
    nav = client.get(v.url("proposals")).text
    assert f'href="/v/{v.slug}/proposals"' in nav
    assert f'href="/v/{v.slug}/queue"' not in nav and f'href="/v/{v.slug}/settings"' not in nav
    assert 'href="/me/notifications"' in nav
    assert token


def test_committee_pages(client, v):
    login(client, v.committee)
    for path in ("queue", "settings", "proposals"):
        r = client.get(v.url(path))
        assert r.status_code == 200, (path, r.text)
    nav = client.get(v.url("proposals")).text
    assert f'href="/v/{v.slug}/queue"' in nav and f'href="/v/{v.slug}/settings"' in nav


def test_monitor_reads_but_does_not_run(client, world, v):
    proposal = v.submitted()
    monitor = world.monitor(v.village.township_id)
    login(client, monitor)
    assert client.get(v.url("proposals")).status_code == 200
    page = client.get(v.url(f"proposals/{proposal.id}"))
    assert page.status_code == 200 and "修村口的路" in page.text
    assert 'id="new-comment"' not in page.text and "只有本村村民可以发表意见" in page.text
    assert client.get(v.url("proposals/new")).status_code == 403
    assert client.get(v.url("queue")).status_code == 403
    assert client.get(v.url("settings")).status_code == 403


@pytest.mark.parametrize("tail", ["proposals", "proposals/new", "proposals/{pid}", "proposals/{pid}/edit", "queue",
                                  "settings"])
def test_a_villager_of_another_village_gets_a_404_page(client, world, v, tail):
    proposal = v.submitted()
    other = Village(world, adults=1)
    login(client, other.people[0])
    r = client.get(v.url(tail.format(pid=proposal.id)))
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("text/html") and "找不到" in r.text
    assert "修村口的路" not in r.text


def test_a_proposal_is_only_found_under_its_own_village(client, world, v):
    proposal = v.submitted()
    other = Village(world, adults=1)
    login(client, v.committee)
    assert client.get(f"/v/{other.slug}/proposals/{proposal.id}").status_code == 404


@pytest.mark.parametrize("tail", ["proposals", "proposals/new", "proposals/{pid}", "queue", "settings"])
def test_not_logged_in_goes_to_login(client, v, tail):
    proposal = v.submitted()
    path = v.url(tail.format(pid=proposal.id))
    r = client.get(path)
    assert r.status_code == 303
    assert unquote(r.headers["location"]) == f"/login?next={path}"
    assert client.get("/me/notifications").headers["location"].startswith("/login?next=")


def test_plain_villager_is_refused_the_committee_pages(client, v):
    login(client, v.people[0])
    for path in ("queue", "settings"):
        r = client.get(v.url(path))
        assert r.status_code == 403 and "村委会" in r.text


def test_drafts_are_not_listed_for_other_villagers(client, v):
    draft = v.draft(title="我的私人草稿")
    v.submitted(title="公开的事项")
    login(client, v.people[1])
    listed = client.get(v.url("proposals")).text
    assert "公开的事项" in listed and "我的私人草稿" not in listed
    assert client.get(v.url(f"proposals/{draft.id}")).status_code == 404
    assert client.get(v.url(f"proposals/{draft.id}/edit")).status_code == 404


# --- the new-proposal form --------------------------------------------------------------------

def test_new_proposal_saves_a_draft_and_shows_it(client, v):
    token = login(client, v.people[0])
    form = client.get(v.url("proposals/new")).text
    assert "行首写“- ”变成列表" in form and "Markdown" not in form  # how to lay it out, in plain words
    # a plain villager may only use 一事一议
    assert 'value="yishiyiyi"' in form and 'value="sizheng"' not in form and 'value="simple"' not in form
    r = client.post(v.url("proposals/new"), data={**ROAD, "csrf_token": token})
    assert r.status_code == 303 and re.fullmatch(rf"/v/{v.slug}/proposals/\d+", r.headers["location"])
    page = follow(client, r)
    assert flash(page.text) == "ok: 草稿已保存，提交后其他村民才能看到"
    text = main(page.text)
    for shown in ("硬化村东头道路", "草稿", "60,000.00 元", "15.00 元", "1 天", "五保户、现役军人家庭", "公共设施"):
        assert shown in text, shown
    assert "<strong>雨天</strong>" in page.text and "<h3>方案</h3>" in page.text  # Markdown, headings shifted
    assert "修改草稿" in page.text and 'value="submit"' in page.text


def test_committee_may_choose_every_procedure(client, world, v):
    login(client, v.committee)
    form = client.get(v.url("proposals/new")).text
    assert 'value="simple"' in form and 'value="sizheng"' not in form
    chair = world.member(v.village, "committee", "party_committee", name="书记")
    client.cookies.clear()
    login(client, chair)
    form = client.get(v.url("proposals/new")).text
    assert all(f'value="{p}"' in form for p in ("yishiyiyi", "sizheng", "simple"))


def test_bad_money_keeps_what_was_typed(client, v):
    token = login(client, v.people[0])
    r = client.post(v.url("proposals/new"), data={**ROAD, "budget": "六万", "per_capita": "1.234",
                                                  "csrf_token": token})
    assert r.status_code == 422
    assert "金额格式不对" in r.text and 'role="alert"' in r.text
    assert 'id="budget-error"' in r.text and 'id="per_capita-error"' in r.text
    assert 'value="硬化村东头道路"' in r.text and 'value="六万"' in r.text and 'value="1.234"' in r.text
    assert "修 300 米水泥路" in r.text  # the body is kept
    assert '<option value="facilities" selected>' in r.text
    assert "没有符合条件的事项" in client.get(v.url("proposals?mine=1")).text  # nothing was saved


def test_per_capita_over_the_cap_is_refused(client, v):
    token = login(client, v.people[0])
    r = client.post(v.url("proposals/new"), data={**ROAD, "per_capita": "20", "labour_days": "11",
                                                  "csrf_token": token})
    assert r.status_code == 422
    assert "人均筹资 20.00 元超过本村上限 15.00 元" in r.text
    assert "人均筹劳 11 天超过上限 10 天" in r.text
    assert 'value="20"' in r.text and 'value="11"' in r.text
    r = client.post(v.url("proposals/new"), data={**ROAD, "title": "  ", "labour_days": "两天", "csrf_token": token})
    assert r.status_code == 422 and "人均筹劳天数应为整数" in r.text


def test_edit_a_draft_and_refusals(client, v):
    draft = v.draft()
    token = login(client, v.people[0])
    form = client.get(v.url(f"proposals/{draft.id}/edit")).text
    assert 'value="修村口的路"' in form and "村口的路坑洼不平。" in form
    r = client.post(v.url(f"proposals/{draft.id}/edit"), data={**ROAD, "title": "修村口的路（改）",
                                                                "csrf_token": token})
    page = follow(client, r)
    assert "草稿已保存" in flash(page.text) and "修村口的路（改）" in page.text
    r = client.post(v.url(f"proposals/{draft.id}/edit"), data={**ROAD, "per_capita": "abc", "csrf_token": token})
    assert r.status_code == 422 and "金额格式不对" in r.text and 'value="abc"' in r.text
    # once submitted, it cannot be edited
    client.post(v.url(f"proposals/{draft.id}/transition"), data={"action": "submit", "csrf_token": token})
    r = client.get(v.url(f"proposals/{draft.id}/edit"))
    assert r.status_code == 409 and "不能再修改" in r.text
    client.cookies.clear()
    login(client, v.people[1])
    assert client.get(v.url(f"proposals/{draft.id}/edit")).status_code == 403


# --- the list ---------------------------------------------------------------------------------

def test_list_filters_and_search(client, v):
    road = v.submitted(title="硬化道路", category="facilities")
    land = v.submitted(author=v.people[1], title="土地流转", category="land")
    committee_simple = v.submitted(author=v.committee, title="春节晚会", category="other", procedure="simple")
    mine_draft = v.draft(title="我的草稿")
    login(client, v.people[0])

    def titles(query: str = "") -> set[str]:
        html = client.get(v.url("proposals") + query).text
        return set(re.findall(r'class="title" href="[^"]+">([^<]+)</a>', html))

    assert titles() == {"硬化道路", "土地流转", "春节晚会", "我的草稿"}
    assert titles("?category=land") == {"土地流转"}
    assert titles("?q=道路") == {"硬化道路"}
    assert titles("?q=%25") == set()  # LIKE wildcards are text
    assert titles("?mine=1") == {"硬化道路", "我的草稿"}
    assert titles("?state=draft") == {"我的草稿"}
    # the stage filter: deliberation is shared by 一事一议 and the simple procedure
    assert titles("?state=deliberation") == {"硬化道路", "土地流转", "春节晚会"}
    assert titles("?state=no-such-state") == titles()  # an unknown stage is ignored
    html = client.get(v.url("proposals?state=deliberation&category=facilities")).text
    assert '<option value="deliberation" selected>' in html and '<option value="facilities" selected>' in html
    assert "看全部" in html
    assert 'label="四议两公开"' in html and "商事（公开商议）／简易程序：商议" in html
    row = main(html)
    assert "商事（公开商议）" in row and "提议人 村民0" in row and "联署 1" in row and "意见 0" in row
    assert {road.id, land.id, committee_simple.id, mine_draft.id}


def test_a_long_list_counts_only_a_few_pages_ahead_and_the_api_keeps_the_total(client, v, monkeypatch):
    """The list page counts at most LIST_LOOK_AHEAD pages past the one shown (here none, to keep the test
    small): beyond, the pager says 条以上 and still links on; the API's total stays exact."""
    from app.services import proposal_views
    from tests.factories import bearer

    monkeypatch.setattr(proposal_views, "LIST_LOOK_AHEAD", 0)
    for i in range(25):
        v.submitted(author=v.people[i % len(v.people)], title=f"事项{i}")
    headers = bearer(client, v.people[0])
    login(client, v.people[0])
    first = client.get(v.url("proposals")).text
    assert "第 1 页，20 条以上" in first and 'href="?page=2"' in first
    second = client.get(v.url("proposals"), params={"page": 2}).text
    assert "第 2 / 2 页，共 25 条" in second and "下一页" not in second
    listed = client.get(f"/api/v1/villages/{v.village.id}/proposals", headers=headers).json()
    assert listed["total"] == 25


def test_list_runs_a_constant_number_of_queries(client, world, app, v):
    authors = v.people + [v.committee]
    for i in range(3):
        v.submitted(author=authors[i % len(authors)], title=f"事项{i}")
    login(client, v.people[0])
    url = v.url("proposals")
    with count_queries(app.state.engine) as small:
        r = client.get(url)
    assert r.status_code == 200 and "共 3 条" in r.text
    for i in range(3, 30):
        v.submitted(author=authors[i % len(authors)], title=f"事项{i}")
    with count_queries(app.state.engine) as large:
        r = client.get(url)
    assert r.status_code == 200 and "第 1 / 2 页，共 30 条" in r.text
    assert large.count == small.count, f"3 proposals: {small}\n30 proposals: {large}"
    assert small.count <= 8, str(small)
    with count_queries(app.state.engine) as filtered:
        r = client.get(url, params={"state": "deliberation", "q": "事项", "page": 2})
    assert r.status_code == 200 and "第 2 / 2 页" in r.text and "state=deliberation&amp;q=" in r.text
    assert filtered.count == small.count


# --- moving a proposal on ---------------------------------------------------------------------

def test_submit_cosign_and_withdraw_a_cosignature(client, world):
    big = Village(world, adults=20)  # 21 adults with the committee member: 3 co-signers needed
    draft = big.draft()
    token = login(client, big.people[0])
    page = follow(client, client.post(big.url(f"proposals/{draft.id}/transition"),
                                      data={"action": "submit", "csrf_token": token}))
    assert flash(page.text) == "ok: 已提交，现在是「提事（联署）」：请村民联署"
    assert "已联署 1 / 需 3" in page.text and "你是提议人" in page.text
    assert 'aria-current="step"' in page.text

    client.cookies.clear()
    token = login(client, big.people[1])
    page = client.get(big.url(f"proposals/{draft.id}")).text
    assert ">联署</button>" in page
    page = follow(client, client.post(big.url(f"proposals/{draft.id}/cosign"), data={"csrf_token": token}))
    assert flash(page.text) == "ok: 已联署，谢谢你的支持" and "已联署 2 / 需 3" in page.text
    assert "撤回联署</button>" in page.text
    page = follow(client, client.post(big.url(f"proposals/{draft.id}/cosign"), data={"csrf_token": token}))
    assert flash(page.text) == "error: 你已经联署过了"
    page = follow(client, client.post(big.url(f"proposals/{draft.id}/uncosign"), data={"csrf_token": token}))
    assert flash(page.text) == "ok: 已撤回联署" and "已联署 1 / 需 3" in page.text
    follow(client, client.post(big.url(f"proposals/{draft.id}/cosign"), data={"csrf_token": token}))

    client.cookies.clear()
    token = login(client, big.people[2])
    page = follow(client, client.post(big.url(f"proposals/{draft.id}/cosign"), data={"csrf_token": token}))
    assert "联署人数已够" in flash(page.text) and "商事（公开商议）" in flash(page.text)
    # co-signing is over: a second try is refused with the reason
    page = follow(client, client.post(big.url(f"proposals/{draft.id}/uncosign"), data={"csrf_token": token}))
    assert flash(page.text) == "error: 联署阶段已经结束，不能再撤回联署"
    history = main(page.text).split("经过", 1)[1]
    assert "村民0 提交" in history and "联署人数达到要求" in history and "联署 3 人（需 3 人）" in history


def test_transitions_show_the_refusal_reason(client, v):
    proposal = v.submitted()  # tiny village: straight into deliberation
    token = login(client, v.committee)
    page = client.get(v.url(f"proposals/{proposal.id}")).text
    assert "推进到下一步" in page and "退回修改" in page and "不予通过" in page
    r = client.post(v.url(f"proposals/{proposal.id}/transition"), data={"action": "advance", "csrf_token": token})
    assert r.headers["location"].endswith("#actions")
    page = follow(client, r)
    assert "至少要 7 天" in flash(page.text) and flash(page.text).startswith("error:")

    # a return without a reason re-shows the page with the message, the reason form open
    r = client.post(v.url(f"proposals/{proposal.id}/transition"),
                    data={"action": "return", "note": "  ", "csrf_token": token})
    assert r.status_code == 422 and "请写明理由" in r.text
    assert re.search(r'<details class="action" open>\s*<summary>退回修改', r.text)

    # a villager may not move the committee's stage
    client.cookies.clear()
    villager_token = login(client, v.people[1])
    page = follow(client, client.post(v.url(f"proposals/{proposal.id}/transition"),
                                      data={"action": "advance", "csrf_token": villager_token}))
    assert flash(page.text) == "error: 这一步需要村委会来推进"

    client.cookies.clear()
    token = login(client, v.committee)
    page = follow(client, client.post(v.url(f"proposals/{proposal.id}/transition"),
                                      data={"action": "return", "note": "请补充预算明细", "csrf_token": token}))
    assert flash(page.text) == "ok: 已退回提议人修改"
    assert "请补充预算明细" in page.text and "草稿" in main(page.text)


def test_settings_shorten_a_stage_and_comments_close_after_deliberation(client, world, v):
    proposal = v.submitted()
    token = login(client, v.committee)
    form = client.get(v.url("settings")).text
    assert 'name="days.yishiyiyi.deliberation" inputmode="numeric" maxlength="3" value="7"' in form
    assert 'value="15.00"' in form
    data = dict(re.findall(r'name="(days\.[\w.]+)"[^>]*value="(\d+)"', form))
    bad = client.post(v.url("settings"), data={**data, "days.yishiyiyi.deliberation": "100", "per_capita_cap": "12",
                                               "labour_days_cap": "8", "csrf_token": token})
    assert bad.status_code == 422 and "0 到 90" in bad.text and 'value="100"' in bad.text
    assert 'id="days.yishiyiyi.deliberation-error"' in bad.text
    bad = client.post(v.url("settings"), data={**data, "per_capita_cap": "十二", "labour_days_cap": "8",
                                               "csrf_token": token})
    assert bad.status_code == 422 and "金额格式不对" in bad.text and 'value="十二"' in bad.text
    page = follow(client, client.post(v.url("settings"), data={
        **data, "days.yishiyiyi.deliberation": "0", "per_capita_cap": "12", "labour_days_cap": "8",
        "csrf_token": token}))
    assert flash(page.text) == "ok: 设置已保存" and 'value="12.00"' in page.text
    page = follow(client, client.post(v.url(f"proposals/{proposal.id}/transition"),
                                      data={"action": "advance", "csrf_token": token}))
    assert flash(page.text) == "ok: 已推进，现在是「决事（表决）」"
    assert "商议已结束，评论已关闭" in page.text and 'id="new-comment"' not in page.text
    r = client.post(v.url(f"proposals/{proposal.id}/comments"), data={"body": "晚了", "csrf_token": token})
    assert flash(follow(client, r).text) == "error: 商议已经结束，不能再发表意见"


def test_queue_lists_what_waits_for_the_committee(client, v, world):
    waiting = v.submitted(title="等村委会推进")
    v.draft(title="还是草稿")
    login(client, v.committee)
    text = main(client.get(v.url("queue")).text)
    assert "等村委会推进" in text and "还是草稿" not in text and "已在本阶段 0 天" in text
    assert "没有被举报的评论" in text
    assert waiting.id


# --- comments ---------------------------------------------------------------------------------

def test_comment_reply_edit_and_versions(client, v):
    proposal = v.submitted()
    url = v.url(f"proposals/{proposal.id}")
    token = login(client, v.people[0])
    r = client.post(url + "/comments", data={"body": "我同意，**早点修**。", "csrf_token": token})
    cid = int(r.headers["location"].rsplit("#c", 1)[1])
    page = follow(client, r)
    assert flash(page.text) == "ok: 意见已发表"
    assert f'id="c{cid}"' in page.text and "<strong>早点修</strong>" in page.text and "意见（1）" in page.text

    # an empty comment re-shows the page with the message
    r = client.post(url + "/comments", data={"body": "   ", "csrf_token": token})
    assert r.status_code == 422 and "意见内容不能为空" in r.text

    client.cookies.clear()
    token1 = login(client, v.people[1])
    r = client.post(url + "/comments", data={"body": "钱从哪里来？", "parent_id": str(cid), "csrf_token": token1})
    reply = int(r.headers["location"].rsplit("#c", 1)[1])
    page = follow(client, r)
    assert flash(page.text) == "ok: 已回复"
    assert re.search(rf'class="comment indent-1" id="c{reply}"', page.text)
    # each comment links to its own reply page, which shows the comment above the form
    page = client.get(url).text
    assert f'href="/v/{v.slug}/comments/{cid}/reply" aria-label="回复 {v.people[0].name}"' in page
    assert "<textarea" not in page.split('id="comments"')[1].split('id="new-comment"')[0]  # no form per comment
    form = client.get(v.url(f"comments/{cid}/reply"))
    assert form.status_code == 200 and "<h1>回复意见</h1>" in form.text and "早点修" in main(form.text)
    assert f'<input type="hidden" name="parent_id" value="{cid}">' in form.text
    # an empty reply comes back to that page with the message
    r = client.post(url + "/comments", data={"body": "  ", "parent_id": str(cid), "csrf_token": token1})
    assert r.status_code == 422 and "<h1>回复意见</h1>" in r.text and "意见内容不能为空" in r.text
    assert f'<input type="hidden" name="parent_id" value="{cid}">' in r.text
    # nobody edits someone else's comment: no link, the page refuses, the form is refused
    assert f"comments/{cid}/edit" not in client.get(url).text
    assert client.get(v.url(f"comments/{cid}/edit")).status_code == 403
    r = client.post(v.url(f"comments/{cid}/edit"), data={"body": "改掉", "csrf_token": token1})
    assert flash(follow(client, r).text) == "error: 只能修改自己的评论"

    client.cookies.clear()
    token = login(client, v.people[0])
    form = client.get(v.url(f"comments/{cid}/edit")).text
    assert "<h1>修改我的意见</h1>" in form and "我同意，**早点修**。</textarea>" in form  # today's text to change
    empty = client.post(v.url(f"comments/{cid}/edit"), data={"body": "", "csrf_token": token})
    assert empty.status_code == 422 and "<h1>修改我的意见</h1>" in empty.text
    page = follow(client, client.post(v.url(f"comments/{cid}/edit"), data={"body": "我同意，月底前修。",
                                                                           "csrf_token": token}))
    assert "评论已修改" in flash(page.text) and "月底前修" in page.text
    assert f'href="/v/{v.slug}/comments/{cid}/versions">已编辑</a>' in page.text
    versions = client.get(v.url(f"comments/{cid}/versions"))
    assert versions.status_code == 200
    text = main(versions.text)
    assert "第 1 版" in text and "早点修" in text and "现在的内容" in text and "月底前修" in text
    assert text.index("早点修") < text.index("月底前修")


def test_the_matter_page_runs_the_same_statements_for_3_and_for_30_comments(client, world, app, v):
    """Replies, edits, reports and a hidden comment: the page reads the thread in the same statements
    whatever its length, for a villager and for the committee (who see reports and hidden text)."""
    from app.services import comments

    db = world.db
    proposal = v.submitted()
    people = [load_actor(db, p) for p in v.people]
    chair = load_actor(db, v.committee)
    url = v.url(f"proposals/{proposal.id}")

    def grow(upto: int) -> None:
        for i in range(len(comments.list_for(db, chair, proposal, v.village)), upto):
            author = people[i % len(people)]
            parent = None if i % 3 == 0 else comments.list_for(db, chair, proposal, v.village)[-1].id
            made = comments.add(db, author, proposal.id, f"第{i}条：**同意**", parent)
            if i % 4 == 1:
                comments.edit(db, author, made.id, f"第{i}条（改过）")
            if i % 5 == 2:
                comments.report(db, people[(i + 1) % len(people)], made.id, "跑题")
            if i == 7:
                comments.hide(db, chair, made.id, "广告")

    counts = {}
    for upto in (3, 30):
        grow(upto)
        for who in (v.people[0], v.committee):
            client.cookies.clear()
            login(client, who)
            with count_queries(app.state.engine) as counter:
                page = client.get(url)
            assert page.status_code == 200 and f"意见（{upto}）" in page.text
            assert page.text.count('<article class="comment') == upto
            counts[(upto, who.name)] = counter
    for who in (v.people[0], v.committee):
        small, large = counts[(3, who.name)], counts[(30, who.name)]
        assert large.count == small.count, f"3 comments: {small}\n30 comments: {large}"
    assert "此评论已被村委会隐藏，理由：广告" in page.text and "被举报 1 次" in page.text


def test_a_comment_action_page_is_for_those_who_may_act(client, world, v):
    """Anonymous: the login form; another village's member: no such comment (404); the township's
    monitor, who reads the thread: refused with the reason (403); an unknown comment or action: 404."""
    proposal = v.submitted()
    token = login(client, v.people[0])
    r = client.post(v.url(f"proposals/{proposal.id}/comments"), data={"body": "同意。", "csrf_token": token})
    cid = int(r.headers["location"].rsplit("#c", 1)[1])
    client.cookies.clear()
    anonymous = client.get(v.url(f"comments/{cid}/reply"))
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next=/v/{v.slug}/comments/{cid}/reply"
    other = Village(world)
    login(client, other.people[0])
    assert client.get(v.url(f"comments/{cid}/reply")).status_code == 404
    assert client.get(other.url(f"comments/{cid}/reply")).status_code == 404
    client.cookies.clear()
    login(client, world.monitor(v.village.township_id))
    refused = client.get(v.url(f"comments/{cid}/reply"))
    assert refused.status_code == 403 and "现在不能回复这条意见" in refused.text
    assert client.get(v.url("comments/99999999/reply")).status_code == 404
    client.cookies.clear()
    login(client, v.people[1])
    assert client.get(v.url(f"comments/{cid}/reply")).status_code == 200
    unknown = client.get(v.url(f"comments/{cid}/delete"))  # not an action on a comment
    assert unknown.status_code == 404 and "找不到这个页面" in unknown.text
    assert "修改记录" in client.get(v.url(f"comments/{cid}/versions")).text


def test_committee_hides_a_comment_with_a_reason(client, v):
    proposal = v.submitted()
    url = v.url(f"proposals/{proposal.id}")
    author, reader = v.people[0], v.people[1]
    token = login(client, author)
    r = client.post(url + "/comments", data={"body": "某某家的事大家都知道", "csrf_token": token})
    cid = int(r.headers["location"].rsplit("#c", 1)[1])

    client.cookies.clear()
    token = login(client, reader)
    page = follow(client, client.post(v.url(f"comments/{cid}/report"),
                                      data={"reason": "涉及隐私", "csrf_token": token}))
    assert flash(page.text) == "ok: 已举报，村委会会尽快查看"
    again = follow(client, client.post(v.url(f"comments/{cid}/report"), data={"csrf_token": token}))
    assert flash(again.text) == "error: 你已经举报过这条评论"
    assert f"comments/{cid}/report" not in client.get(url).text  # reported once: no link, and the page says why
    refused = client.get(v.url(f"comments/{cid}/report"))
    assert refused.status_code == 403 and "已经举报过的不能再举报" in refused.text

    client.cookies.clear()
    token = login(client, v.committee)
    queue = main(client.get(v.url("queue")).text)
    assert "被举报的评论（1）" in queue and "某某家的事" in queue and "涉及隐私" in queue
    page = client.get(url).text
    assert "被举报 1 次" in page and f'href="/v/{v.slug}/comments/{cid}/hide"' in page
    form = client.get(v.url(f"comments/{cid}/hide")).text
    assert "<h1>隐藏意见</h1>" in form and f'action="/v/{v.slug}/comments/{cid}/hide"' in form
    missing = client.post(v.url(f"comments/{cid}/hide"), data={"reason": " ", "csrf_token": token})
    assert missing.status_code == 422 and "请写明隐藏理由" in missing.text
    assert "<h1>隐藏意见</h1>" in missing.text and "某某家的事" in main(missing.text)
    page = follow(client, client.post(v.url(f"comments/{cid}/hide"), data={"reason": "涉及他人隐私",
                                                                           "csrf_token": token}))
    assert "评论已隐藏" in flash(page.text)
    assert "此评论已被村委会隐藏，理由：涉及他人隐私" in page.text
    assert "查看原文" in page.text  # the committee can still read it
    assert "被举报的评论（0）" in main(client.get(v.url("queue")).text)

    client.cookies.clear()
    login(client, reader)
    page = client.get(url).text
    assert "此评论已被村委会隐藏，理由：涉及他人隐私" in page and "某某家的事" not in page

    client.cookies.clear()
    token = login(client, author)
    messages = client.get("/me/notifications").text
    assert "1 条未读" in messages and "涉及他人隐私" in messages
    assert f'href="/v/{v.slug}/proposals/{proposal.id}#c{cid}"' in messages
    page = follow(client, client.post("/me/notifications/read", data={"csrf_token": token}))
    assert flash(page.text) == "ok: 已全部标为已读" and "条未读" not in page.text


def test_comment_routes_refuse_outsiders(client, world, v):
    proposal = v.submitted()
    token = login(client, v.people[0])
    r = client.post(v.url(f"proposals/{proposal.id}/comments"), data={"body": "内部意见", "csrf_token": token})
    cid = int(r.headers["location"].rsplit("#c", 1)[1])
    other = Village(world, adults=1)
    client.cookies.clear()
    token = login(client, other.people[0])
    for tail in ("edit", "hide", "report"):
        r = client.post(v.url(f"comments/{cid}/{tail}"), data={"body": "x", "reason": "x", "csrf_token": token})
        assert r.status_code == 404, tail
    assert client.get(v.url(f"comments/{cid}/versions")).status_code == 404
    r = client.post(v.url(f"proposals/{proposal.id}/comments"), data={"body": "x", "csrf_token": token})
    assert r.status_code == 404
    # and the committee of this village cannot reach the comment through another village's address
    client.cookies.clear()
    login(client, v.committee)
    assert client.get(other.url(f"comments/{cid}/versions")).status_code == 404


# --- attachments ------------------------------------------------------------------------------

def test_upload_and_download_an_attachment(client, world, v):
    proposal = v.submitted()
    url = v.url(f"proposals/{proposal.id}")
    token = login(client, v.people[0])
    data = png()
    r = client.post(url + "/attachments", data={"csrf_token": token},
                    files={"file": ("村口路况.png", data, "application/octet-stream")})
    page = follow(client, r)
    assert flash(page.text) == "ok: 已上传附件：村口路况.png"
    link = re.search(rf'href="(/v/{v.slug}/attachments/\d+)">村口路况.png</a>', page.text)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-type"] == "image/png"
    assert "filename*=UTF-8''%E6%9D%91%E5%8F%A3%E8%B7%AF%E5%86%B5.png" in download.headers["content-disposition"]

    bad = follow(client, client.post(url + "/attachments", data={"csrf_token": token},
                                     files={"file": ("脚本.html", b"<script>alert(1)</script>", "text/html")}))
    assert flash(bad.text) == "error: 只能上传图片、PDF 或 Office 文档"
    none = follow(client, client.post(url + "/attachments", data={"csrf_token": token}))
    assert flash(none.text) == "error: 请选择要上传的文件"

    # another villager sees and downloads it, but is not offered the upload form
    client.cookies.clear()
    login(client, v.people[1])
    page = client.get(url).text
    assert "村口路况.png" in page and 'name="file"' not in page
    assert client.get(link.group(1)).status_code == 200

    other = Village(world, adults=1)
    client.cookies.clear()
    login(client, other.people[0])
    assert client.get(link.group(1)).status_code == 404
    assert client.get(link.group(1).replace(v.slug, other.slug)).status_code == 404


def test_old_stage_entry_lets_the_committee_advance(client, world, v):
    """The minimum is counted from when the stage began."""
    proposal = v.submitted()
    world.db.execute(update(Proposal).where(Proposal.id == proposal.id)
                     .values(stage_entered_at=proposal.stage_entered_at - timedelta(days=8)))
    world.db.commit()
    token = login(client, v.committee)
    page = follow(client, client.post(v.url(f"proposals/{proposal.id}/transition"),
                                      data={"action": "advance", "csrf_token": token}))
    assert flash(page.text) == "ok: 已推进，现在是「决事（表决）」"
    assert re.search(r'<li class="done">\s*<span class="mark" aria-hidden="true">✓</span>\s*<span>商事', page.text)
