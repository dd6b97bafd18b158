"""What the council and vote page tests share: one person's logged-in browser, a village with its
committee, villagers, a minor and a township monitor (`Town`), and the vote form filled in and sent."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.domain import rulebook as R
from app.domain.proposals import ProposalDraft
from app.models import Proposal
from app.services import councils as council_service
from app.services import proposals as proposal_service
from app.services import village_settings
from app.services.access import load_actor
from tests.factories import login, unique_client

# votes opened today (2026 on): the 2025 amendment
ASSEMBLY_CITATION = ("依据《村民委员会组织法》（2025年修正）第二十六条"
                     "：到会人员的过半数同意")
RECEIPT_RE = re.compile(r'<p class="receipt-code">([A-Z0-9]{5})-([A-Z0-9]{5})</p>')


# --- helpers ----------------------------------------------------------------------------------

def main(html: str) -> str:
    body = html[html.index("<main"):html.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def flash(html: str) -> str:
    match = re.search(r'<div class="flash flash-(\w+)"[^>]*>(.*?)</div>', html, re.S)
    return f"{match.group(1)}: {match.group(2).strip()}" if match else ""


class Browser:
    """One person's logged-in client (own cookies, own address) with the CSRF token of the session."""

    def __init__(self, app, user):
        self.client = unique_client(app, follow_redirects=False)
        self.client.__enter__()
        self.token = login(self.client, user)

    def get(self, url: str, **kw):
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, **kw):
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token}, **kw)

    def follow(self, response):
        assert response.status_code == 303, response.text
        return self.client.get(response.headers["location"])

    def close(self):
        self.client.__exit__(None, None, None)


class Town:
    """A village with two committee members, four adult villagers, a minor and a township monitor."""

    def __init__(self, world, app):
        self.world, self.app = world, app
        self.village = world.village()
        self.slug = self.village.slug
        self.chair = world.member(self.village, "committee", name="李主任", household="H01")
        self.clerk = world.member(self.village, "committee", name="王文书", household="H02")
        self.people = [world.member(self.village, name=f"村民{i}", household=f"H1{i}") for i in range(4)]
        self.minor = world.member(self.village, name="小明", household="H10", birth_date=date(2015, 1, 1))
        self.browsers: list[Browser] = []

    def url(self, tail: str = "") -> str:
        return f"/v/{self.slug}/{tail}"

    def as_(self, user) -> Browser:
        browser = Browser(self.app, user)
        self.browsers.append(browser)
        return browser

    def actor(self, user):
        return load_actor(self.world.db, user)

    def council(self, kind: str = R.ASSEMBLY, **kw):
        return council_service.create_council(self.world.db, self.actor(self.chair), self.village, kind=kind,
                                           name=kw.pop("name", ""), **kw)

    def in_vote(self, title: str = "修村口的路") -> Proposal:
        """A committee proposal moved straight into its vote stage (deliberation set to 0 days)."""
        db, chair = self.world.db, self.actor(self.chair)
        proposal = proposal_service.create(db, chair, self.village, ProposalDraft(
            title=title, body="村口的路坑洼不平。", category="facilities", procedure="yishiyiyi"))
        proposal_service.transition(db, chair, proposal.id, "submit")
        current = village_settings.settings_of(self.world.db, self.village)
        village_settings.update_settings(db, chair, self.village,
                                         min_days={**current.min_days, "yishiyiyi.deliberation": 0},
                                         per_capita_cap_fen=current.per_capita_cap_fen,
                                         labour_days_cap=current.labour_days_cap)
        proposal = proposal_service.transition(db, chair, proposal.id, "advance")
        assert proposal.state == "vote"
        return proposal


@pytest.fixture(name="town")
def town_fixture(world, app):
    t = Town(world, app)
    yield t
    for browser in t.browsers:
        browser.close()


def vote_form(town: Town, pid: int, chair: Browser, **changes) -> dict:
    """The new-vote form as the page fills it in, with changes."""
    html = chair.get(town.url(f"proposals/{pid}/votes/new")).text
    values = {name: value for name, value in re.findall(r'<input id="(\w+)" name="\w+" type="datetime-local"[^>]*'
                                                           r'value="([^"]*)"', html)}
    council = re.search(r'<option value="(\d+)"', html[html.index('id="council_id"'):])
    data = {"council_id": council.group(1), "question": f"是否同意《{changes.pop('title', '修村口的路')}》？",
            "options": "同意\n反对\n弃权", "ballot": "secret", **values}
    data.update(changes)
    return data


def open_vote(town: Town, chair: Browser, **changes) -> tuple[int, Proposal]:
    """Create through the form and open: returns the vote's id and its proposal."""
    town.council()
    proposal = town.in_vote()
    page = chair.follow(chair.post(town.url(f"proposals/{proposal.id}/votes/new"),
                                   vote_form(town, proposal.id, chair, **changes)))
    sid = int(re.search(r"/votes/(\d+)", page.url.path).group(1))
    page = chair.follow(chair.post(town.url(f"votes/{sid}/open")))
    assert flash(page.text).startswith("ok: 表决已开始"), flash(page.text)
    return sid, proposal


def cast(browser: Browser, town: Town, sid: int, choice: int, **extra) -> str:
    """Vote through the form; returns the receipt the next page shows."""
    page = browser.follow(browser.post(town.url(f"votes/{sid}/cast"), {"choice": str(choice), **extra}))
    match = RECEIPT_RE.search(page.text)
    assert match, main(page.text)
    return match.group(1) + match.group(2)
