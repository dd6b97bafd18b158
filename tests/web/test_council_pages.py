"""Council pages as the committee, villagers, monitors and outsiders meet them: setting one up
through the form, the list, a council's page, and who may see which."""

from __future__ import annotations

from app.domain import rulebook as R
from tests.web.vote_town import (
    Browser,
    Town,
    flash,
    main,
    town_fixture,  # noqa: F401  (the `town` fixture)
)

# --- councils ---------------------------------------------------------------------------------

def test_committee_sets_up_councils_through_the_form(town):
    chair = town.as_(town.chair)
    page = chair.get(town.url("councils"))
    assert page.status_code == 200 and "还没有设立议事机构" in page.text and 'id="new-council"' in page.text
    assert f'href="/v/{town.slug}/councils"' in page.text  # the village menu links here

    page = chair.follow(chair.post(town.url("councils"), {"kind": "representatives", "name": ""}))
    assert flash(page.text) == "ok: 已设立：村民代表会议"
    page = chair.follow(chair.post(town.url("councils"), {"kind": "assembly", "name": "全体村民会议"}))
    assert flash(page.text) == "ok: 已设立：全体村民会议"
    text = main(page.text)
    assert "现有人数 6 人" in text  # adults only: the child is not in the assembly
    for name in ("李主任", "王文书", "村民0", "村民3"):
        assert name in text
    assert "小明" not in text
    assert "依据《村民委员会组织法》（2025年修正）第二十六条" in text

    # a custom body: a bad fraction re-shows the form with the ticked members kept
    members = [str(town.people[0].id), str(town.people[1].id), str(town.chair.id)]
    bad = chair.post(town.url("councils"), {"kind": "custom", "name": "村民理事会", "members": members,
                                             "quorum": "二分之一", "passing": "1/2"})
    assert bad.status_code == 422 and "分子/分母" in bad.text
    assert 'value="村民理事会"' in bad.text and 'value="二分之一"' in bad.text
    assert all(f'value="{m}" checked' in bad.text for m in members)
    page = chair.follow(chair.post(town.url("councils"), {"kind": "custom", "name": "村民理事会", "members": members,
                                                          "quorum": "2/3", "quorum_inclusive": "1",
                                                          "passing": "1/2"}))
    assert flash(page.text) == "ok: 已设立：村民理事会" and "现有人数 3 人" in main(page.text)
    assert "组成人员的三分之二以上" in main(page.text) and "到会人员的过半数同意" in main(page.text)

    listing = main(chair.get(town.url("councils")).text)
    assert "村民代表会议" in listing and "全体村民会议" in listing and "村民理事会" in listing
    assert "现有 6 人" in listing and "本村 18 周岁以上村民的过半数" in listing


def test_council_pages_for_villagers_monitors_and_outsiders(town, world, app):
    council = town.council(R.REPRESENTATIVES)
    villager = town.as_(town.people[0])
    page = villager.get(town.url("councils"))
    assert page.status_code == 200 and "村民代表会议" in page.text and 'id="new-council"' not in page.text
    assert villager.get(town.url(f"councils/{council.id}")).status_code == 200
    assert villager.post(town.url("councils"), {"kind": "assembly"}).status_code == 403

    monitor = Browser(app, world.monitor(town.village.township_id))
    town.browsers.append(monitor)
    assert monitor.get(town.url("councils")).status_code == 200
    assert monitor.get(town.url(f"councils/{council.id}")).status_code == 200

    other = Town(world, app)
    outsider = town.as_(other.people[0])
    assert outsider.get(town.url("councils")).status_code == 404
    assert outsider.get(town.url(f"councils/{council.id}")).status_code == 404
    # a council is found only under its own village
    chair = town.as_(town.chair)
    assert chair.get(other.url(f"councils/{council.id}")).status_code == 404


def test_the_council_page_title_is_plain_text_and_the_retire_form_shows_once(town):
    council = town.council(R.REPRESENTATIVES)
    page = town.as_(town.chair).get(town.url(f"councils/{council.id}"))
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "撤销" not in title and "<form" not in title and "村民代表会议" in title
    assert page.text.count("撤销这个议事机构") == 1
