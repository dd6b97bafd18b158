"""The home after login (我的待办, /me): open votes I may still cast, matters gathering co-signs,
notices in their window, replies to me, and the work my roles bring; login lands there."""

from __future__ import annotations

from app.domain.proposals import ProposalDraft
from app.services import comments as comment_service
from app.services import notices as notice_service
from app.services import objections as objection_service
from app.services import proposals as proposal_service
from tests.conftest import page_csrf
from tests.factories import PASSWORD, unique_client
from tests.querycount import count_queries
from tests.web.vote_town import (
    Town,
    cast,
    main,
    open_vote,
    town_fixture,  # noqa: F401  (the `town` fixture)
)


def crowd(town: Town, n: int = 20) -> None:
    """More adult villagers, so that one co-signature (the author's) is not yet a tenth of them."""
    for i in range(n):
        town.world.member(town.village, name=f"乡亲{i}")


def cosign_matter(town: Town, author, title: str):
    """A villager's matter, submitted: it waits in its co-sign stage."""
    actor = town.actor(author)
    proposal = proposal_service.create(town.world.db, actor, town.village, ProposalDraft(
        title=title, body="村里的路灯坏了好几盏。", category="facilities", procedure="yishiyiyi"))
    proposal = proposal_service.transition(town.world.db, actor, proposal.id, "submit")
    assert proposal.state == "cosign"
    return proposal


def notice(town: Town, title: str, *, publish: bool = True):
    """A party notice (no review needed), published unless told otherwise."""
    if not hasattr(town, "secretary"):
        town.secretary = town.world.member(town.village, "party_committee", name="党支书")
    db, chair = town.world.db, town.actor(town.secretary)
    row = notice_service.create(db, chair, town.village, category="party", title=title, body="内容")
    if publish:
        row = notice_service.publish(db, chair, row.id)
    return row


def test_login_lands_on_my_home(app, town):
    with unique_client(app, follow_redirects=False) as client:
        token = page_csrf(client, "/login")
        form = {"phone": town.people[0].phone, "password": PASSWORD, "csrf_token": token}
        r = client.post("/login", data=form)
        assert r.status_code == 303 and r.headers["location"] == "/me"
        client.cookies.clear()
        token = page_csrf(client, "/login")
        r = client.post("/login", data={**form, "csrf_token": token, "next": "/v/x/proposals"})
        assert r.status_code == 303 and r.headers["location"] == "/v/x/proposals"  # `next` still wins
    # the page names the person and carries the nav link to it
    page = town.as_(town.people[0]).get("/me")
    assert page.status_code == 200 and "<h1>我的待办</h1>" in page.text and '<a href="/me">我的待办</a>' in page.text


def test_anonymous_is_sent_to_login(app):
    with unique_client(app, follow_redirects=False) as client:
        r = client.get("/me")
    assert r.status_code in (302, 303, 401)
    if r.status_code in (302, 303):
        assert r.headers["location"].startswith("/login?next=")
    else:
        assert "登录" in r.text


def test_villager_sees_an_open_vote_until_they_vote(town):
    chair, voter, minor = town.as_(town.chair), town.as_(town.people[0]), town.as_(town.minor)
    home = main(voter.get("/me").text)
    assert "我的待办" in home and "没有需要您投票的事项" in home

    sid, _ = open_vote(town, chair, title="修村口的路")
    page = voter.get("/me")
    assert page.status_code == 200
    text = main(page.text)
    assert "是否同意《修村口的路》？" in text and "截止" in text and "北京时间" in text
    assert f'href="/v/{town.slug}/votes/{sid}#cast"' in page.text
    # the minor is not in the frozen electorate: nothing to vote on
    assert "没有需要您投票的事项" in main(minor.get("/me").text)

    cast(voter, town, sid, 0)
    text = main(voter.get("/me").text)
    assert "是否同意《修村口的路》？" not in text and "没有需要您投票的事项" in text


def test_cosign_matters_notices_and_replies(town):
    db = town.world.db
    author, neighbour = town.people[0], town.people[1]
    crowd(town)
    proposal = cosign_matter(town, author, "修路灯")
    published = notice(town, "党员大会决议公开")
    notice(town, "还没发布的草稿", publish=False)
    # a neighbour answers the author's comment; the committee answers the author's objection
    mine = comment_service.add(db, town.actor(author), proposal.id, "我先说两句")
    comment_service.add(db, town.actor(neighbour), proposal.id, "我同意", parent_id=mine.id)
    objection = objection_service.raise_objection(db, town.actor(author), published.id, "这笔钱怎么花的？")
    objection_service.reply(db, town.actor(town.secretary), objection.id, "已在附件中列明。")

    page = town.as_(author).get("/me")
    text = main(page.text)
    assert "修路灯" in text and "还差" in text and f'href="/v/{town.slug}/proposals/{proposal.id}"' in page.text
    assert "党员大会决议公开" in text and "公示到" in text and "还没发布的草稿" not in text
    assert "回复了您在《修路灯》下的评论" in text
    assert "村委会答复了您对《党员大会决议公开》的质询" in text
    # someone else's home does not show the author's replies
    other = main(town.as_(town.people[2]).get("/me").text)
    assert "修路灯" in other and "回复了您" not in other and "还没有人回复" in other


def test_supervisor_sees_reviews_waiting(town):
    supervisor = town.world.member(town.village, "supervisor", name="赵监委")
    db, chair = town.world.db, town.actor(town.chair)
    for title in ("三季度村务公开", "十月财务公开"):
        row = notice_service.create(db, chair, town.village, category="village", title=title, body="内容")
        notice_service.submit(db, chair, row.id)
    page = town.as_(supervisor).get("/me")
    assert "待审核的公开：2 件" in main(page.text)
    assert f'href="/v/{town.slug}/notices/manage"' in page.text
    # a plain villager has no work list
    assert "我的工作" not in main(town.as_(town.people[0]).get("/me").text)


def test_committee_sees_its_queue(town):
    town.in_vote()  # waits for the committee to open a vote
    page = town.as_(town.chair).get("/me")
    text = main(page.text)
    assert "待村委会处理的事项：1 件" in text and "待发布或可结束的公开：0 件" in text
    assert f'href="/v/{town.slug}/queue"' in page.text


def test_monitor_sees_the_dashboard_link(town):
    monitor = town.world.monitor(town.village.township_id)
    page = town.as_(monitor).get("/me")
    assert page.status_code == 200
    text = main(page.text)
    assert "乡镇公开监督" in text and "您还不是任何村的村民" in text
    assert f'href="/townships/{town.village.township_id}/dashboard"' in page.text


def test_home_runs_a_fixed_number_of_queries(app, town):
    chair = town.as_(town.chair)
    supervisor = town.world.member(town.village, "committee", "supervisor", name="兼职监委")
    browser = town.as_(supervisor)
    author = town.people[0]
    crowd(town)

    def measure() -> int:
        browser.get("/me")  # warm up
        with count_queries(app.state.engine) as counter:
            r = browser.get("/me")
        assert r.status_code == 200
        return counter.count

    open_vote(town, chair, title="修村口的路")
    cosign_matter(town, author, "修路灯")
    notice(town, "公开一")
    small = measure()
    for i in range(4):
        cosign_matter(town, author, f"事项{i}")
        notice(town, f"公开{i + 2}")
    large = measure()
    assert small == large, f"{small} != {large}"
    assert large <= 20, large


def test_vote_page_puts_the_ballot_first_while_i_may_vote(town):
    chair, voter = town.as_(town.chair), town.as_(town.people[0])
    sid, _ = open_vote(town, chair)
    html = voter.get(town.url(f"votes/{sid}")).text
    # the ballot, then the status with the rules and the fingerprint folded away
    assert html.index('id="cast"') < html.index('id="h-status"') < html.index('<details class="rules-fold">') \
        < html.index('class="fingerprint"')
    assert html.count('id="cast"') == 1
    # once the vote is cast, the page keeps its old order, unfolded
    cast(voter, town, sid, 0)
    html = voter.get(town.url(f"votes/{sid}")).text
    assert 'class="rules-fold"' not in html and html.index('id="h-status"') < html.index('id="cast"')
    assert "您已投票" in html


def test_the_books_work_waits_on_the_home_of_who_does_it(client, world, db, clock):
    from datetime import date

    from tests.factories import Staff, books_in_may, login

    staff = Staff(world)
    for who in (staff.committee, staff.accountant):  # no books yet: opening them, not empty voucher lists
        client.cookies.clear()
        login(client, who)
        page = client.get("/me").text
        assert f'<a href="/v/{staff.village.slug}/accounts">还没有建账</a>' in page and "vouchers?state" not in page
        assert client.get(f"/v/{staff.village.slug}/accounts").status_code == 200
    client.cookies.clear()
    books_in_may(db, staff, clock, date(2026, 5, 2), date(2026, 5, 3))
    login(client, staff.committee)
    page = client.get("/me").text
    assert "待审核的凭证" in page and f"/v/{staff.village.slug}/accounts/vouchers?state=draft" in page
    client.cookies.clear()
    login(client, staff.accountant)
    page = client.get("/me").text
    assert "过完了还没结账的月份" in page and "待审核的凭证" not in page


def test_the_api_answers_the_same_home_with_the_ids_for_the_next_call(town):
    """GET /api/v1/me/home: what /me shows, as JSON; an open vote's id casts through the API."""
    author = town.people[0]
    crowd(town)
    proposal = cosign_matter(town, author, "修路灯")
    published = notice(town, "党员大会决议公开")
    sid, _ = open_vote(town, town.as_(town.chair), title="修村口的路")
    with unique_client(town.app) as client:
        assert client.get("/api/v1/me/home").status_code == 401
        token = client.post("/api/v1/auth/token", json={"phone": author.phone, "password": PASSWORD}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        with count_queries(town.app.state.engine) as few:
            home = client.get("/api/v1/me/home", headers=bearer).json()
        assert home["name"] == author.name and home["village_slug"] == town.slug
        assert [(v["id"], v["question"]) for v in home["votes"]] == [(sid, "是否同意《修村口的路》？")]
        matter = next(m for m in home["cosigns"] if m["id"] == proposal.id)
        assert matter["signed_by_me"] is True and matter["villagers_missing"] > 0
        assert any(n["id"] == published.id and n["category_name"] == "党务公开" for n in home["notices"])
        r = client.post(f"/api/v1/votes/{sid}/ballots", headers=bearer, json={"choice": 0})
        assert r.status_code == 201
        assert client.get("/api/v1/me/home", headers=bearer).json()["votes"] == []  # cast: nothing left
        chair = client.post("/api/v1/auth/token", json={"phone": town.chair.phone, "password": PASSWORD}).json()
        tasks = client.get("/api/v1/me/home", headers={"Authorization": f"Bearer {chair['access_token']}"}).json()
        assert any(t["label"] == "待村委会处理的事项" and t["href"] == f"/v/{town.slug}/queue" for t in tasks["tasks"])
    assert 5 <= few.count <= 20, few  # a fixed number, whatever the village holds
