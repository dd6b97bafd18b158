"""Vote pages as the committee, villagers, monitors and outsiders meet them: the vote form, opening,
casting (receipt shown once), turnout without counts, closing (result with the rule and its citation),
the ballot box and "查我的回执", proxies, the paper tally (recorded by one committee member, confirmed by
another) and the printable sheet."""

from __future__ import annotations

import re

from app.services import ballots as ballot_service
from app.services import paper_tallies as paper_service
from app.services import votes as vote_service
from tests.web.vote_town import (
    ASSEMBLY_CITATION,
    RECEIPT_RE,
    Browser,
    Town,
    cast,
    flash,
    main,
    open_vote,
    town_fixture,  # noqa: F401  (the `town` fixture)
    vote_form,
)

# --- the vote, from the form to the result ----------------------------------------------------

def test_create_open_cast_close_and_find_the_receipt(town):
    chair, voter, neighbour = town.as_(town.chair), town.as_(town.people[0]), town.as_(town.people[1])
    town.council()
    proposal = town.in_vote()

    # the proposal page offers the committee "发起表决", not the villager
    page = chair.get(town.url(f"proposals/{proposal.id}"))
    assert "发起表决" in page.text and f"/proposals/{proposal.id}/votes/new" in page.text
    page = voter.get(town.url(f"proposals/{proposal.id}"))
    assert "这个阶段还没有表决" in page.text and "发起表决" not in page.text
    assert voter.get(town.url(f"proposals/{proposal.id}/votes/new")).status_code == 403

    form = chair.get(town.url(f"proposals/{proposal.id}/votes/new")).text
    assert "是否同意《修村口的路》？" in form and "同意\n反对\n弃权" in form
    assert 'type="datetime-local"' in form

    # closing before opening: the form comes back with the message and what was typed
    data = vote_form(town, proposal.id, chair, question="是否同意修路？")
    bad = chair.post(town.url(f"proposals/{proposal.id}/votes/new"), {**data, "closes_at": data["opens_at"]})
    assert bad.status_code == 422 and "结束时间要晚于开始时间" in bad.text and "是否同意修路？" in bad.text

    page = chair.follow(chair.post(town.url(f"proposals/{proposal.id}/votes/new"), data))
    assert flash(page.text) == "ok: 表决已创建。核对无误后，请点“开始表决”"
    sid = int(re.search(r"/votes/(\d+)", page.url.path).group(1))
    assert "未开始" in page.text and "开始表决" in page.text and "修改表决内容" in page.text
    assert 'name="choice"' not in voter.get(town.url(f"votes/{sid}")).text

    page = chair.follow(chair.post(town.url(f"votes/{sid}/open")))
    assert flash(page.text) == "ok: 表决已开始：名单 6 人已确定，表决事项已锁定"
    fingerprint = re.search(r'<code class="hash">([0-9a-f]{64})</code>', page.text).group(1)
    assert "已投票 0 人" in main(page.text)

    # the villager votes: the receipt is shown once, prominently
    page = voter.get(town.url(f"votes/{sid}"))
    assert fingerprint in page.text and 'name="choice"' in page.text
    page = voter.follow(voter.post(town.url(f"votes/{sid}/cast"), {"choice": "0"}))
    assert flash(page.text) == "ok: 投票成功"
    assert "请记下您的回执码" in page.text and "只显示这一次" in page.text
    assert "您投的是：同意" in main(page.text)  # the confirmation right after casting, and only there
    receipt = "".join(RECEIPT_RE.search(page.text).groups())
    assert page.headers["cache-control"] == "no-store"
    again = voter.get(town.url(f"votes/{sid}"))
    assert receipt not in again.text and RECEIPT_RE.search(again.text) is None
    assert "您已投票" in again.text and 'name="choice"' not in again.text and "您投的是" not in again.text
    # a second ballot is refused with a message
    page = voter.follow(voter.post(town.url(f"votes/{sid}/cast"), {"choice": "1"}))
    assert flash(page.text) == "error: 已经投过票了，无记名投票不能改票"
    cast(neighbour, town, sid, 1)

    # before close: turnout only, no counts for anyone — the committee included
    page = chair.get(town.url(f"votes/{sid}"))
    text = main(page.text)
    assert "已投票 2 人" in text
    assert "表决结果" not in text and 'id="result"' not in page.text and 'id="box"' not in page.text
    assert 'class="tally"' not in page.text and "同意 1" not in text and "反对 1" not in text
    assert "查我的回执" not in text
    assert town.url(f"votes/{sid}/print") not in page.text
    # the proposal page too
    summary = main(chair.get(town.url(f"proposals/{proposal.id}")).text)
    assert "进行中" in summary and "已投票 2 人" in summary and "同意 1" not in summary

    page = chair.follow(chair.post(town.url(f"votes/{sid}/close")))
    assert flash(page.text) == "ok: 表决已结束，结果：未通过"  # 2 of 6 present: no quorum
    text = main(page.text)
    assert "表决结果： 未通过" in text
    assert ASSEMBLY_CITATION in text
    assert "法定到会人数 4 人" in text and "到会人数 未达到" in text and "到会（参加表决） 2 人" in text
    assert f"{receipt[:5]}-{receipt[5:]}" in text and "票箱（共 2 张网上投票）" in text
    # the receipts and the choices are shown apart: no row pairs them
    assert not re.search(rf"<tr>[^\n]*{receipt[:5]}-{receipt[5:]}", page.text)
    assert "您投的是" not in text

    # anyone in the village finds their ballot by its receipt: it was counted, not what it said
    found = voter.get(town.url(f"votes/{sid}"), params={"receipt": receipt.lower()})
    status = re.search(r'<p class="big ok-text" role="status">(.*?)</p>', found.text).group(1)
    assert status == f"回执码 {receipt[:5]}-{receipt[5:]} 在票箱中：这张票已经计入。"
    missing = voter.get(town.url(f"votes/{sid}"), params={"receipt": "AAAAA-BBBBB"})
    assert "没有找到这个回执码" in main(missing.text)

    summary = main(chair.get(town.url(f"proposals/{proposal.id}")).text)
    assert "已结束" in summary and "未通过" in summary and "同意 1" in summary and "反对 1" in summary


def test_result_passes_with_quorum_and_the_print_sheet(town):
    chair = town.as_(town.chair)
    sid, proposal = open_vote(town, chair)
    assert chair.get(town.url(f"votes/{sid}/print")).status_code == 303  # not before close
    for person in [town.chair, town.clerk, *town.people[:2]]:
        cast(town.as_(person), town, sid, 0 if person is not town.people[1] else 2)
    page = chair.follow(chair.post(town.url(f"votes/{sid}/close")))
    assert flash(page.text) == "ok: 表决已结束，结果：通过"
    text = main(page.text)
    assert "表决结果： 通过" in text and "同意 3" in text and "弃权 1" in text and ASSEMBLY_CITATION in text

    sheet = chair.get(town.url(f"votes/{sid}/print"))
    assert sheet.status_code == 200
    assert 'class="village-nav"' not in sheet.text and 'class="top"' not in sheet.text
    text = " ".join(re.sub(r"<[^>]+>", " ", sheet.text).split())
    for expected in (town.village.name, "修村口的路", "是否同意《修村口的路》？", ASSEMBLY_CITATION, "记录人（签字）",
                     "确认人（签字）", "通过"):
        assert expected in text, expected
    vs = vote_service.get_session(town.world.db, town.actor(town.chair), sid)[0]
    assert vs.fingerprint in sheet.text


def test_roll_call_with_change_shows_choice_and_names_after_close(town):
    chair, voter = town.as_(town.chair), town.as_(town.people[0])
    sid, _ = open_vote(town, chair, ballot="roll_call", allow_change="1", options="甲方案\n乙方案")
    receipt = cast(voter, town, sid, 0)
    page = voter.get(town.url(f"votes/{sid}"))
    # my ballot: voted, with the roll-call receipt, but not the choice (only the confirmation shows it)
    assert "您已投票" in main(page.text) and f"{receipt[:5]}-{receipt[5:]}" in page.text
    assert "您投的是" not in main(page.text)
    assert "改票" in page.text
    page = voter.follow(voter.post(town.url(f"votes/{sid}/cast"), {"choice": "1"}))
    assert flash(page.text) == "ok: 已改票" and "您投的是：乙方案" in main(page.text)
    chair.post(town.url(f"votes/{sid}/close"))
    box = main(voter.get(town.url(f"votes/{sid}")).text)
    assert "村民0 乙方案" in box  # roll-call: names and choices, for the village's members
    assert f"{receipt[:5]}-{receipt[5:]}" in box and f"{receipt[:5]}-{receipt[5:]} 乙方案" not in box


def test_paper_tally_recorded_by_one_and_confirmed_by_another(town):
    chair, clerk, voter = town.as_(town.chair), town.as_(town.clerk), town.as_(town.people[0])
    sid, _ = open_vote(town, chair)
    cast(voter, town, sid, 1)  # 村民0 votes online, then also signs in at the meeting
    page = clerk.get(town.url(f"votes/{sid}"))
    assert "录入签到表和纸质计票" in page.text
    present = [town.people[0], town.people[1], town.people[2], town.people[3]]
    data = {"present": [str(p.id) for p in present], "count_0": "3", "count_1": "1", "count_2": "1", "invalid": "0",
            "minutes": "村委会议室，19:00 开会"}
    # the counts must add up: 村民0 already voted online and gets no paper ballot, so 4 ballots from
    # the 3 others are refused, and the form keeps what was typed
    bad = clerk.post(town.url(f"votes/{sid}/paper"), {**data, "count_2": "0"})
    assert bad.status_code == 422 and "超过签到人数 3 人" in bad.text and "1 人已在网上投票" in bad.text
    assert 'value="3"' in bad.text and "村委会议室，19:00 开会" in bad.text
    data = {**data, "count_1": "0", "count_2": "0"}
    assert all(f'value="{p.id}" checked' in bad.text for p in present)

    page = clerk.follow(clerk.post(town.url(f"votes/{sid}/paper"), data))
    assert flash(page.text) == "ok: 纸质计票已录入，须由另一名村委会成员核对确认后才计入结果"
    assert "待确认" in main(page.text) and "确认纸质计票" not in page.text
    # the recorder cannot confirm (the button is not there, and the service says why)
    page = clerk.follow(clerk.post(town.url(f"votes/{sid}/paper/confirm")))
    assert flash(page.text) == "error: 须由另一名村委会成员确认"
    # closing waits for the confirmation
    page = chair.follow(chair.post(town.url(f"votes/{sid}/close")))
    assert flash(page.text) == "error: 纸质计票还没有经第二名村委会成员确认"
    # a plain villager sees none of it before close
    assert "会场纸质投票" not in voter.get(town.url(f"votes/{sid}")).text

    page = chair.get(town.url(f"votes/{sid}"))
    assert "确认纸质计票" in page.text and "王文书 于" in main(page.text)
    page = chair.follow(chair.post(town.url(f"votes/{sid}/paper/confirm")))
    assert flash(page.text) == "ok: 纸质计票已确认，结束表决时计入结果"
    assert "已确认" in main(page.text) and "李主任 于" in main(page.text)
    assert "录入签到表和纸质计票" not in page.text and "重新录入" not in page.text

    page = chair.follow(chair.post(town.url(f"votes/{sid}/close")))
    text = main(page.text)
    # 4 present (村民0 counted once): 3 paper 同意, 1 online 反对
    assert "到会（参加表决） 4 人" in text and "同意 3" in text and "反对 1" in text
    assert "表决结果： 通过" in text and ASSEMBLY_CITATION in text
    assert "既在网上投票又在会场签到的（只计一次）： 村民0" in text
    # the villager sees the result and the tally, not the list of double voters
    text = main(voter.get(town.url(f"votes/{sid}")).text)
    assert "表决结果： 通过" in text and "已确认" in text and "只计一次" not in text
    sheet = chair.get(town.url(f"votes/{sid}/print")).text
    assert "王文书 录入，李主任 确认" in sheet


def test_proxy_recorded_with_a_scan_and_cast_for_the_principal(town, app):
    chair, clerk = town.as_(town.chair), town.as_(town.clerk)
    sid, proposal = open_vote(town, chair)
    principal, holder = town.people[2], town.people[3]
    scan = ("委托书.png", b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00"
            b"\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82",
            "image/png")
    page = clerk.follow(clerk.post(town.url(f"votes/{sid}/proxies"),
                                   {"voter_id": str(principal.id), "proxy_id": str(holder.id)}, files={"scan": scan}))
    assert flash(page.text) == "ok: 委托已登记", flash(page.text)
    assert "村民2 委托 村民3" in main(page.text) and "委托书" in main(page.text)
    # a villager cannot record one
    villager = town.as_(town.people[0])
    assert villager.post(town.url(f"votes/{sid}/proxies"),
                         {"voter_id": str(town.people[1].id), "proxy_id": str(town.people[0].id)}).status_code == 403

    proxy = town.as_(holder)
    page = proxy.get(town.url(f"votes/{sid}"))
    assert "村民2 委托您代为投票" in main(page.text) and "代村民2投票" in page.text
    page = proxy.follow(proxy.post(town.url(f"votes/{sid}/cast"), {"choice": "0", "on_behalf_of": str(principal.id)}))
    assert flash(page.text) == "ok: 已代村民2投票" and "村民2的回执码" in page.text
    assert "村民2 委托您代为投票： 已投" in main(page.text)
    # the proxy still votes for themself
    cast(proxy, town, sid, 1)
    page = town.as_(principal).get(town.url(f"votes/{sid}"))
    assert "您已投票（由受托人代投）" in main(page.text)


def test_edit_only_before_opening(town):
    chair = town.as_(town.chair)
    town.council()
    proposal = town.in_vote()
    page = chair.follow(chair.post(town.url(f"proposals/{proposal.id}/votes/new"),
                                   vote_form(town, proposal.id, chair)))
    sid = int(re.search(r"/votes/(\d+)", page.url.path).group(1))
    form = chair.get(town.url(f"votes/{sid}/edit"))
    assert form.status_code == 200 and "保存修改" in form.text
    data = vote_form(town, proposal.id, chair, question="是否同意硬化村口道路？")
    page = chair.follow(chair.post(town.url(f"votes/{sid}/edit"), data))
    assert flash(page.text) == "ok: 表决内容已修改" and "是否同意硬化村口道路？" in page.text
    chair.post(town.url(f"votes/{sid}/open"))
    page = chair.follow(chair.get(town.url(f"votes/{sid}/edit")))
    assert flash(page.text) == "error: 表决已经开始，名单和表决事项已锁定，不能修改"
    page = chair.follow(chair.post(town.url(f"votes/{sid}/edit"), {**data, "question": "改了"}))
    assert flash(page.text) == "error: 表决已经开始，名单和表决事项已锁定，不能修改"
    # one unfinished vote per stage: the proposal page no longer offers to start another
    assert "本阶段已有一次未结束的表决" in chair.get(town.url(f"proposals/{proposal.id}")).text


def test_who_may_do_what_on_the_vote_page(town, world, app, client):
    chair = town.as_(town.chair)
    sid, proposal = open_vote(town, chair)
    villager = town.as_(town.people[0])
    assert villager.post(town.url(f"votes/{sid}/close")).status_code == 403
    assert villager.post(town.url(f"votes/{sid}/paper"), {"count_0": "0", "count_1": "0", "count_2": "0"}
                         ).status_code == 403
    page = villager.get(town.url(f"votes/{sid}"))
    assert "村委会操作" not in page.text and "录入签到表" not in page.text

    # the child is a member but not in the electorate
    child = town.as_(town.minor)
    page = child.get(town.url(f"votes/{sid}"))
    assert "您不在本次表决的名单中" in main(page.text) and 'name="choice"' not in page.text
    page = child.follow(child.post(town.url(f"votes/{sid}/cast"), {"choice": "0"}))
    assert flash(page.text) == "error: 不在本次表决的名单中（名单在表决开始时确定）"

    monitor = Browser(app, world.monitor(town.village.township_id))
    town.browsers.append(monitor)
    page = monitor.get(town.url(f"votes/{sid}"))
    assert page.status_code == 200 and 'name="choice"' not in page.text and "村委会操作" not in page.text
    assert monitor.post(town.url(f"votes/{sid}/close")).status_code == 403

    other = Town(world, app)
    outsider = town.as_(other.people[0])
    assert outsider.get(town.url(f"votes/{sid}")).status_code == 404
    assert outsider.post(town.url(f"votes/{sid}/cast"), {"choice": "0"}).status_code == 404
    # a vote is found only under its own village
    assert chair.get(other.url(f"votes/{sid}")).status_code == 404

    r = client.get(town.url(f"votes/{sid}"))
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_vote_page_queries_do_not_grow_with_ballots(world, app):
    """The closed vote page (result, ballot box, proxies, paper tally) runs the same number of
    statements for 2 ballots as for 10."""
    from tests.querycount import count_queries

    counts = []
    for extra in (0, 8):
        town = Town(world, app)
        town.people += [world.member(town.village, name=f"新村民{i}", household=f"H2{i}") for i in range(extra)]
        chair = town.as_(town.chair)
        sid, _ = open_vote(town, chair, ballot="roll_call")
        for person in town.people[:2 + extra]:
            ballot_service.cast(world.db, town.actor(person), sid, 0)
        paper_service.record_proxy(world.db, town.actor(town.clerk), sid, town.people[-1].id, town.chair.id)
        vote_service.close_session(world.db, town.actor(town.chair), sid)
        chair.get(town.url(f"votes/{sid}"))  # warm
        with count_queries(app.state.engine) as counter:
            page = chair.get(town.url(f"votes/{sid}"))
        assert page.status_code == 200 and f"票箱（共 {2 + extra} 张网上投票）" in page.text
        counts.append(counter.count)
        for browser in town.browsers:
            browser.close()
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts  # 16 today, auth and session included
