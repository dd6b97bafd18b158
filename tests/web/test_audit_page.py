"""The audit page as a villager reads it: Chinese names of what happened, who (role and a masked
name), a link to the object, the seal, and no horizontal table on a phone."""

from __future__ import annotations

from app.domain.proposals import ProposalDraft
from app.services import proposals, seals
from app.services.access import load_actor
from tests.factories import Staff, login


def test_the_audit_page_says_what_happened_who_did_it_and_where(client, world, db, settings):
    staff = Staff(world)
    chair = load_actor(db, staff.committee)
    p = proposals.create(db, chair, staff.village, ProposalDraft(title="修水渠", body="方案", category="facilities",
                                                                 procedure="yishiyiyi"))
    proposals.transition(db, chair, p.id, "submit")
    seals.seal_chain(db, settings, staff.village.id)
    db.commit()
    login(client, staff.villager)
    page = client.get(f"/v/{staff.village.slug}/audit").text
    events = page.split('class="list audit-events"', 1)[1]
    assert "提交事项" in events and "proposal.submit" not in events  # the action's name, not its code
    assert "村委会 主*" in page and "主任" not in page.split("audit-events", 1)[1]  # the name is masked
    assert f'<a href="/v/{staff.village.slug}/proposals/{p.id}">查看</a>' in page
    assert "登记村民" in page and "已封存到第" in page and "<table" not in page
    assert f"/v/{staff.village.slug}/members/" not in page  # the roll is not a villager's to open
    client.cookies.clear()
    login(client, staff.committee)
    page = client.get(f"/v/{staff.village.slug}/audit").text
    member = f'<a href="/v/{staff.village.slug}/members/{staff.villager.id}">查看</a>'
    assert member in page and client.get(member.split('"')[1]).status_code == 200  # the committee's is


def test_the_audit_record_filters_by_action_and_downloads_as_csv(client, world, db):
    import csv
    import io

    staff = Staff(world)
    chair = load_actor(db, staff.committee)
    p = proposals.create(db, chair, staff.village, ProposalDraft(title="修水渠", body="方案", category="facilities",
                                                                 procedure="yishiyiyi"))
    proposals.transition(db, chair, p.id, "submit")
    login(client, staff.villager)
    page = client.get(f"/v/{staff.village.slug}/audit?action=proposal.submit").text
    assert "提交事项" in page and "登记村民" not in page.split("audit-events", 1)[1]
    assert "?action=proposal.submit" in page or "action=proposal.submit" in page
    r = client.get(f"/v/{staff.village.slug}/audit.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["序号", "时间（北京）", "操作代码", "操作"]
    assert any(row[3] == "提交事项" and row[4] == "村委会 主*" for row in rows[1:])
    assert "村民甲" not in r.text  # no personal field in the file
    client.cookies.clear()
    assert client.get(f"/v/{staff.village.slug}/audit.csv").headers["location"].startswith("/login")


def test_the_audit_page_links_only_to_what_the_reader_can_open(client, world, db, clock):
    """A draft voucher and a notice still in draft are in the record for everyone, but only the people
    who handle them get a link; a villager is not sent to a page that answers 找不到."""
    from app.services import notices
    from tests.factories import books_in_may

    staff = Staff(world)
    _, (voucher,) = books_in_may(db, staff, clock)
    notice = notices.create(db, load_actor(db, staff.committee), staff.village, category="village", title="修路方案",
                            body="方案")
    slug = staff.village.slug
    links = (f'href="/v/{slug}/accounts/vouchers/{voucher.id}"', f'href="/v/{slug}/notices/{notice.id}"')
    login(client, staff.villager)
    page = client.get(f"/v/{slug}/audit").text
    assert "填制凭证" in page and "起草公开" in page  # the events are there
    assert not any(link in page for link in links)
    for url in (f"/v/{slug}/accounts/vouchers/{voucher.id}", f"/v/{slug}/notices/{notice.id}"):
        assert client.get(url).status_code == 404  # what the link would have led to
    client.cookies.clear()
    login(client, staff.committee)
    page = client.get(f"/v/{slug}/audit").text
    assert all(link in page for link in links)
