"""Comments on proposals (民主商事) and notifications: every path and every refusal."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select, update

from app.models import AuditEvent, Proposal, User, Village
from tests.factories import bearer, items, proposal_in_deliberation
from tests.querycount import count_queries


@dataclass
class Thread:
    village: Village
    township: int
    pid: int
    committee: User
    supervisor: User
    alice: User  # villager
    bob: User  # villager
    h: dict[str, dict[str, str]]  # bearer headers by person

    def url(self) -> str:
        return f"/api/v1/proposals/{self.pid}/comments"


@pytest.fixture
def thread(client, world) -> Thread:
    township = world.township()
    village = world.village(township)
    committee = world.member(village, "committee", name="李主任")
    supervisor = world.member(village, "supervisor", name="赵监委")
    alice = world.member(village, name="张阿姨")
    bob = world.member(village, name="王大伯")
    pid = proposal_in_deliberation(client, world, village, committee)
    headers = {name: bearer(client, user) for name, user in
               (("committee", committee), ("supervisor", supervisor), ("alice", alice), ("bob", bob))}
    return Thread(village, township, pid, committee, supervisor, alice, bob, headers)


def post(client, t: Thread, who: str, body: str, parent_id: int | None = None, status: int = 201) -> dict:
    r = client.post(t.url(), headers=t.h[who], json={"body": body, "parent_id": parent_id})
    assert r.status_code == status, r.text
    return r.json()


def listing(client, t: Thread, who: str) -> list[dict]:
    r = client.get(t.url(), headers=t.h[who])
    assert r.status_code == 200, r.text
    return items(r)


def assert_chain_ok(client, village: Village) -> None:
    r = client.get(f"/api/v1/villages/{village.id}/audit/verify")
    assert r.status_code == 200 and r.json()["ok"], r.text


def last_event(db, village_id: int) -> AuditEvent:
    db.rollback()
    return db.execute(
        select(AuditEvent).where(AuditEvent.village_id == village_id).order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one()


def outsider(world) -> tuple[User, User]:
    """A villager and a committee member of a village in another township."""
    other = world.village()
    return world.member(other, name="外村人"), world.member(other, "committee", name="外村主任")


# --- the thread -----------------------------------------------------------------------------


def test_thread_order_depth_and_count(client, db, thread):
    t = thread
    c1 = post(client, t, "alice", "我赞成修路。")
    c2 = post(client, t, "bob", "预算是不是高了？")
    r1 = post(client, t, "bob", "同意，**早该修了**", c1["id"])
    r2 = post(client, t, "alice", "那就这么定", r1["id"])
    r3 = post(client, t, "committee", "村委会会公布明细。", c1["id"])
    assert (c1["depth"], r1["depth"], r2["depth"], r3["depth"]) == (0, 1, 2, 1)
    assert r1["parent_id"] == c1["id"] and r1["body_html"] == "<p>同意，<strong>早该修了</strong></p>\n"
    # a long chain of replies: the true depth is kept, the indent stops at 4
    parent = r2["id"]
    chain = []
    for _ in range(4):
        parent = post(client, t, "alice", "接着说", parent)["id"]
        chain.append(parent)

    r = client.get(t.url(), headers=t.h["bob"])
    assert r.status_code == 200
    thread = items(r)
    assert r.json()["total"] == len(thread) and r.json()["page"] == 1
    order = [c["id"] for c in thread]
    assert order == [c1["id"], r1["id"], r2["id"], *chain, r3["id"], c2["id"]]
    assert [c["depth"] for c in thread] == [0, 1, 2, 3, 4, 5, 6, 1, 0]
    assert [c["indent"] for c in thread] == [0, 1, 2, 3, 4, 4, 4, 1, 0]
    # one page at a time, in the same reading order
    second = client.get(t.url(), headers=t.h["bob"], params={"page": 2, "per_page": 4}).json()
    assert [c["id"] for c in second["items"]] == order[4:8] and second["total"] == len(order)
    assert thread[0]["author_name"] == "张阿姨" and thread[0]["can_reply"] and thread[0]["can_report"]
    assert not thread[0]["can_edit"] and not thread[0]["can_hide"]
    assert thread[-1]["can_edit"] and not thread[-1]["can_report"]  # bob's own comment
    assert r.headers["X-Total-Count"] == "9"

    proposal = client.get(f"/api/v1/proposals/{t.pid}", headers=t.h["alice"]).json()
    assert proposal["comment_count"] == 9
    db.rollback()
    assert db.get(Proposal, t.pid).comment_count == 9

    event = last_event(db, t.village.id)
    data = json.loads(event.payload)
    assert event.action == "comment.create" and data["data"]["parent_id"] == chain[-2]
    assert data["data"]["length"] == len("接着说") and "接着说" not in event.payload.decode()
    assert_chain_ok(client, t.village)


def test_reply_must_be_to_a_comment_of_the_same_proposal(client, world, thread):
    t = thread
    other_pid = proposal_in_deliberation(client, world, t.village, t.committee, title="修水渠")
    elsewhere = client.post(f"/api/v1/proposals/{other_pid}/comments", headers=t.h["bob"],
                            json={"body": "水渠要清淤"}).json()
    r = client.post(t.url(), headers=t.h["alice"], json={"body": "回复", "parent_id": elsewhere["id"]})
    assert r.status_code == 422 and "不在这个事项下" in r.json()["detail"]
    r = client.post(t.url(), headers=t.h["alice"], json={"body": "回复", "parent_id": 99_999_999})
    assert r.status_code == 422
    assert listing(client, t, "alice") == []
    assert_chain_ok(client, t.village)


def test_body_is_checked(client, thread):
    t = thread
    for bad in ("", "   \n ", "字" * 5001):
        r = client.post(t.url(), headers=t.h["alice"], json={"body": bad})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert not r.json()["detail"].isascii()
    r = client.post(t.url(), headers=t.h["alice"], json={})
    assert r.status_code == 422
    ok = post(client, t, "alice", "  " + "字" * 5000 + "  ")
    assert ok["body"] == "字" * 5000
    assert len(listing(client, t, "bob")) == 1


def test_login_required(client, thread):
    t = thread
    c = post(client, t, "alice", "意见")
    assert client.get(t.url()).status_code == 401
    assert client.post(t.url(), json={"body": "匿名"}).status_code == 401
    assert client.patch(f"/api/v1/comments/{c['id']}", json={"body": "改"}).status_code == 401
    assert client.post(f"/api/v1/comments/{c['id']}/hide", json={"reason": "x"}).status_code == 401
    assert client.post(f"/api/v1/comments/{c['id']}/report", json={}).status_code == 401
    assert client.get(f"/api/v1/comments/{c['id']}/versions").status_code == 401
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert client.post("/api/v1/me/notifications/read").status_code == 401


def test_another_village_sees_nothing(client, world, thread):
    t = thread
    c = post(client, t, "alice", "本村的事")
    stranger, stranger_committee = outsider(world)
    for user in (stranger, stranger_committee):
        h = bearer(client, user)
        assert client.get(t.url(), headers=h).status_code == 404
        assert client.post(t.url(), headers=h, json={"body": "插一句"}).status_code == 404
        assert client.patch(f"/api/v1/comments/{c['id']}", headers=h, json={"body": "改"}).status_code == 404
        assert client.post(f"/api/v1/comments/{c['id']}/hide", headers=h, json={"reason": "不好"}).status_code == 404
        assert client.post(f"/api/v1/comments/{c['id']}/report", headers=h, json={}).status_code == 404
        r = client.get(f"/api/v1/comments/{c['id']}/versions", headers=h)
        assert r.status_code == 404 and "本村的事" not in r.text
        r = client.get(f"/api/v1/villages/{t.village.id}/reported-comments", headers=h)
        assert r.status_code == 404
    assert client.get("/api/v1/comments/99999999/versions", headers=t.h["alice"]).status_code == 404
    assert len(listing(client, t, "alice")) == 1
    assert_chain_ok(client, t.village)


def test_township_monitor_reads_but_does_not_write(client, world, thread):
    t = thread
    c = post(client, t, "alice", "路灯也要修")
    monitor = bearer(client, world.monitor(t.township))
    seen = items(client.get(t.url(), headers=monitor))
    assert [i["body"] for i in seen] == ["路灯也要修"]
    assert not any(seen[0][k] for k in ("can_edit", "can_hide", "can_report", "can_reply"))
    r = client.post(t.url(), headers=monitor, json={"body": "监督员意见"})
    assert r.status_code == 403 and r.json()["detail"] == "只有本村村民可以发表意见"
    assert client.post(f"/api/v1/comments/{c['id']}/hide", headers=monitor, json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/comments/{c['id']}/report", headers=monitor, json={}).status_code == 403
    assert client.get(f"/api/v1/comments/{c['id']}/versions", headers=monitor).status_code == 200
    # a monitor of another township does not see the village at all
    other = bearer(client, world.monitor(world.township()))
    assert client.get(t.url(), headers=other).status_code == 404
    assert len(listing(client, t, "bob")) == 1


# --- comments close when deliberation ends ----------------------------------------------------


def test_comments_close_when_the_proposal_leaves_deliberation(client, db, thread):
    t = thread
    c = post(client, t, "alice", "先说一句")
    r = client.post(f"/api/v1/proposals/{t.pid}/transitions", headers=t.h["committee"],
                    json={"action": "withdraw", "note": "另行安排"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    r = client.post(t.url(), headers=t.h["bob"], json={"body": "晚了吗"})
    assert r.status_code == 409 and r.json()["detail"] == "商议已经结束，不能再发表意见"
    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["alice"], json={"body": "改一下"})
    assert r.status_code == 409
    items = listing(client, t, "alice")
    assert len(items) == 1 and not items[0]["can_reply"] and not items[0]["can_edit"]
    # hiding is allowed whatever the stage
    r = client.post(f"/api/v1/comments/{c['id']}/hide", headers=t.h["committee"], json={"reason": "与本事项无关"})
    assert r.status_code == 200 and r.json()["hidden"]
    assert_chain_ok(client, t.village)


def test_comments_closed_during_the_vote(client, db, thread):
    t = thread
    post(client, t, "alice", "商议中")
    db.execute(update(Proposal).where(Proposal.id == t.pid).values(state="vote"))
    db.commit()
    r = client.post(t.url(), headers=t.h["alice"], json={"body": "表决中还能说吗"})
    assert r.status_code == 409
    assert client.get(f"/api/v1/proposals/{t.pid}", headers=t.h["alice"]).json()["comment_count"] == 1


# --- editing ----------------------------------------------------------------------------------


def test_edit_keeps_every_version(client, world, thread):
    t = thread
    c = post(client, t, "alice", "预算五万")
    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["bob"], json={"body": "改别人的"})
    assert r.status_code == 403
    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["committee"], json={"body": "村委会也不能改"})
    assert r.status_code == 403
    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["alice"], json={"body": " "})
    assert r.status_code == 422
    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["alice"], json={"body": "预算六万"})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert edited["body"] == "预算六万" and edited["edited_at"] and edited["versions"] == 1
    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["alice"], json={"body": "预算七万"})
    assert r.json()["versions"] == 2
    # the same text again is no new version
    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["alice"], json={"body": "预算七万"})
    assert r.status_code == 200 and r.json()["versions"] == 2

    r = client.get(f"/api/v1/comments/{c['id']}/versions", headers=t.h["bob"])
    assert r.status_code == 200
    history = items(r)
    assert [v["body"] for v in history] == ["预算五万", "预算六万", "预算七万"]
    assert history[0]["written_at"] == c["created_at"]
    assert history[0]["written_at"] <= history[1]["written_at"] <= history[2]["written_at"]
    stranger, _ = outsider(world)
    assert client.get(f"/api/v1/comments/{c['id']}/versions", headers=bearer(client, stranger)).status_code == 404
    item = listing(client, t, "bob")[0]
    assert item["body"] == "预算七万" and item["versions"] == 2 and item["edited_at"]
    assert_chain_ok(client, t.village)


# --- hiding, notifications ----------------------------------------------------------------------


def test_hide_and_what_each_person_sees(client, world, db, thread):
    t = thread
    secret = "某某家的电话是13800001111"
    c = post(client, t, "alice", secret)
    post(client, t, "bob", "别这样", c["id"])
    hide_url = f"/api/v1/comments/{c['id']}/hide"
    r = client.post(hide_url, headers=t.h["bob"], json={"reason": "泄露隐私"})
    assert r.status_code == 403
    r = client.post(hide_url, headers=t.h["supervisor"], json={"reason": "泄露隐私"})
    assert r.status_code == 403
    for bad in ({}, {"reason": ""}, {"reason": "   "}):
        r = client.post(hide_url, headers=t.h["committee"], json=bad)
        assert r.status_code == 422 and r.json()["detail"] == "请写明隐藏理由"
    r = client.get("/api/v1/me/notifications/unread", headers=t.h["alice"])
    assert r.json() == {"unread": 0}

    r = client.post(hide_url, headers=t.h["committee"], json={"reason": "泄露他人隐私"})
    assert r.status_code == 200, r.text
    assert r.json()["hidden"] and r.json()["body"] == secret  # the committee still sees it
    r = client.post(hide_url, headers=t.h["committee"], json={"reason": "再隐藏一次"})
    assert r.status_code == 409

    event = last_event(db, t.village.id)
    assert event.action == "comment.hide" and json.loads(event.payload)["data"]["reason"] == "泄露他人隐私"

    for who in ("bob", "alice"):  # villagers, the author included
        r = client.get(t.url(), headers=t.h[who])
        assert secret not in r.text and "13800001111" not in r.text
        hidden = r.json()["items"][0]
        assert hidden["hidden"] and hidden["body"] is None and hidden["body_html"] == ""
        assert hidden["hidden_reason"] == "泄露他人隐私"
        assert hidden["hidden_notice"] == "此评论已被村委会隐藏，理由：泄露他人隐私"
        assert not hidden["can_edit"] and not hidden["can_report"] and not hidden["can_hide"]
        assert r.json()["items"][1]["body"] == "别这样"  # replies stay
        r = client.get(f"/api/v1/comments/{c['id']}/versions", headers=t.h[who])
        assert r.status_code == 403 and secret not in r.text
    for who in ("committee", "supervisor"):
        assert listing(client, t, who)[0]["body"] == secret
    monitor = bearer(client, world.monitor(t.township))
    assert client.get(t.url(), headers=monitor).json()["items"][0]["body"] == secret
    assert client.get(f"/api/v1/comments/{c['id']}/versions", headers=monitor).status_code == 200

    r = client.patch(f"/api/v1/comments/{c['id']}", headers=t.h["alice"], json={"body": "我改改"})
    assert r.status_code == 409 and r.json()["detail"] == "已被隐藏的评论不能修改"
    r = client.post(f"/api/v1/comments/{c['id']}/report", headers=t.h["bob"], json={})
    assert r.status_code == 409

    # the author is told
    r = client.get("/api/v1/me/notifications", headers=t.h["alice"])
    assert r.status_code == 200
    page = r.json()
    assert set(page) == {"items", "total", "page", "per_page"} and page["total"] == 1
    note = page["items"][0]
    assert note["text"] == "你在《修村口的路》下的评论已被村委会隐藏，理由：泄露他人隐私"
    assert note["link"] == f"/v/{t.village.slug}/proposals/{t.pid}#c{c['id']}" and note["read_at"] is None
    assert client.get("/api/v1/me/notifications/unread", headers=t.h["alice"]).json() == {"unread": 1}
    assert client.get("/api/v1/me/notifications", headers=t.h["bob"]).json()["total"] == 0
    r = client.post("/api/v1/me/notifications/read", headers=t.h["alice"])
    assert r.status_code == 200 and r.json() == {"marked": 1, "unread": 0}
    assert client.get("/api/v1/me/notifications/unread", headers=t.h["alice"]).json() == {"unread": 0}
    assert client.get("/api/v1/me/notifications", headers=t.h["alice"]).json()["items"][0]["read_at"]
    assert client.post("/api/v1/me/notifications/read", headers=t.h["alice"]).json()["marked"] == 0
    assert_chain_ok(client, t.village)


def test_notifications_page_newest_first(client, thread):
    t = thread
    ids = [post(client, t, "alice", f"第{i}条")["id"] for i in range(3)]
    for i, cid in enumerate(ids):
        r = client.post(f"/api/v1/comments/{cid}/hide", headers=t.h["committee"], json={"reason": f"理由{i}"})
        assert r.status_code == 200
    r = client.get("/api/v1/me/notifications", headers=t.h["alice"], params={"per_page": 2})
    page = r.json()
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 1, 2, 2)
    assert [n["text"][-3:] for n in page["items"]] == ["理由2", "理由1"]
    page2 = client.get("/api/v1/me/notifications", headers=t.h["alice"], params={"page": 2, "per_page": 2}).json()
    assert [n["text"][-3:] for n in page2["items"]] == ["理由0"]
    # a committee member hiding their own comment is not told about it
    own = post(client, t, "committee", "我说错了")
    client.post(f"/api/v1/comments/{own['id']}/hide", headers=t.h["committee"], json={"reason": "说错了"})
    assert client.get("/api/v1/me/notifications", headers=t.h["committee"]).json()["total"] == 0


# --- reports ----------------------------------------------------------------------------------


def test_report_once_and_the_committee_queue(client, world, db, thread):
    t = thread
    c = post(client, t, "alice", "骂人的话")
    ok = post(client, t, "alice", "正常的话")
    report_url = f"/api/v1/comments/{c['id']}/report"
    r = client.post(report_url, headers=t.h["alice"], json={})
    assert r.status_code == 403  # not one's own
    r = client.post(report_url, headers=t.h["bob"], json={"reason": "人身攻击"})
    assert r.status_code == 201, r.text
    r = client.post(report_url, headers=t.h["bob"], json={"reason": "再举报"})
    assert r.status_code == 409 and r.json()["detail"] == "你已经举报过这条评论"
    r = client.post(report_url, headers=t.h["supervisor"])  # no body at all: the reason is optional
    assert r.status_code == 201, r.text
    event = last_event(db, t.village.id)
    assert event.action == "comment.report" and event.entity_id == str(c["id"])

    bob_view = {i["id"]: i for i in listing(client, t, "bob")}
    assert not bob_view[c["id"]]["can_report"] and bob_view[ok["id"]]["can_report"]
    assert bob_view[c["id"]]["reports"] == 0  # only the committee sees the count
    assert {i["id"]: i for i in listing(client, t, "committee")}[c["id"]]["reports"] == 2

    queue_url = f"/api/v1/villages/{t.village.id}/reported-comments"
    assert client.get(queue_url, headers=t.h["bob"]).status_code == 403
    assert client.get(queue_url, headers=bearer(client, world.monitor(t.township))).status_code == 403
    r = client.get(queue_url, headers=t.h["committee"])
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["id"] == c["id"] and item["reports"] == 2 and item["reasons"] == ["人身攻击"]
    assert item["body"] == "骂人的话" and item["proposal_title"] == "修村口的路" and item["author_name"] == "张阿姨"

    client.post(f"/api/v1/comments/{ok['id']}/report", headers=t.h["bob"], json={})
    items = client.get(queue_url, headers=t.h["committee"]).json()["items"]
    assert [i["id"] for i in items] == [ok["id"], c["id"]]  # newest report first
    client.post(f"/api/v1/comments/{c['id']}/hide", headers=t.h["committee"], json={"reason": "人身攻击"})
    assert [i["id"] for i in client.get(queue_url, headers=t.h["committee"]).json()["items"]] == [ok["id"]]
    assert_chain_ok(client, t.village)


# --- performance --------------------------------------------------------------------------------


def test_thread_runs_a_constant_number_of_queries(app, client, thread):
    t = thread

    def fill(n: int) -> None:
        ids = [i["id"] for i in listing(client, t, "alice")]
        for i in range(n):
            parent = ids[i % len(ids)] if ids and i % 2 else None
            ids.append(post(client, t, "bob" if i % 3 else "alice", f"意见{i}", parent)["id"])

    fill(3)
    client.patch(f"/api/v1/comments/{listing(client, t, 'alice')[0]['id']}", headers=t.h["alice"],
                 json={"body": "改过"})
    listing(client, t, "alice")  # warm-up
    with count_queries(app.state.engine) as small:
        assert len(listing(client, t, "alice")) == 3
    fill(37)
    first = listing(client, t, "alice")
    client.post(f"/api/v1/comments/{first[5]['id']}/hide", headers=t.h["committee"], json={"reason": "重复"})
    client.post(f"/api/v1/comments/{first[6]['id']}/report", headers=t.h["alice"], json={})
    with count_queries(app.state.engine) as large:
        assert len(listing(client, t, "alice")) == 40
    assert large.count == small.count, f"3 comments: {small}\n40 comments: {large}"
    assert small.count <= 8, str(small)  # auth (4), proposal and village (2), the thread (2)
