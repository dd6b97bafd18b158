"""Receipt-freeness of secret ballots (issue 14, item 9): after close the receipts and the choices are
published apart, so a receipt proves that one's ballot was counted, never what it said — nobody can
sell their vote or be made to show it (贿选, a boss). Only the answer to the cast names the choice.

Checked where it matters: no API answer, page or look-up pairs a receipt with a choice, and the stored
box rows were dealt new receipts at close, so even the database no longer keeps the voters' pairs."""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import select

from app.models import BallotBox
from tests.api.vote_setup import cast, new_council, new_vote, proposal_at_vote, village_of
from tests.factories import items, login, ok, refused

OPTIONS = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"]


def _pairs_in(value, found: list) -> None:
    """Every JSON object that carries a receipt and a choice together."""
    if isinstance(value, dict):
        if "receipt" in value and ({"choice", "choice_label"} & set(value)):
            found.append(value)
        for v in value.values():
            _pairs_in(v, found)
    elif isinstance(value, list):
        for v in value:
            _pairs_in(v, found)


def test_the_stored_box_and_every_answer_keep_receipts_and_choices_apart(api, world, db, client):
    village, committee, clerk, people = village_of(world, 28)
    voters = [committee, clerk, *people]  # 30 voters, 10 options, 3 ballots each
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    vote = new_vote(api, pid, committee, council["id"], options=OPTIONS)
    sid = ok(api.post(f"/votes/{vote['id']}/open", committee))["id"]
    cast_pairs = {}
    for i, user in enumerate(voters):
        answer = ok(cast(api, sid, user, i % len(OPTIONS)), 201)
        # the confirmation right after casting is the one answer that names the choice
        assert (answer["choice"], answer["choice_label"]) == (i % 10, OPTIONS[i % 10])
        cast_pairs[answer["receipt"]] = i % 10
    before = dict(db.execute(select(BallotBox.receipt, BallotBox.choice).where(BallotBox.vote_session_id == sid)).all())
    assert before == cast_pairs  # while open, each row is what its voter cast

    ok(api.post(f"/votes/{sid}/close", committee))

    # the database: same receipts, same count of each choice, but the rows' pairs were dealt anew
    db.expire_all()
    after = dict(db.execute(select(BallotBox.receipt, BallotBox.choice).where(BallotBox.vote_session_id == sid)).all())
    assert set(after) == set(cast_pairs)
    assert Counter(after.values()) == Counter(cast_pairs.values())
    kept = sum(after[r] == c for r, c in cast_pairs.items())
    # a random deal keeps about 3 of 30 by chance (each receipt lands on its own choice 1 time in 10);
    # keeping half or more would happen less than once in a billion closes
    assert kept < len(cast_pairs) // 2, kept

    # the API: the box has choices without receipts, the receipts come alone, sorted
    box = items(api.get(f"/votes/{sid}/ballot-box", per_page=200))
    assert all("receipt" not in b for b in box)
    assert Counter(b["choice"] for b in box) == Counter(cast_pairs.values())
    assert [b["choice_label"] for b in box if b["choice"] == 3][0] == "丁"
    receipts = [r["receipt"] for r in items(api.get(f"/votes/{sid}/receipts", per_page=200))]
    assert receipts == sorted(cast_pairs)
    mine = receipts[0]
    assert ok(api.get(f"/votes/{sid}/receipts/{mine}")) == {"receipt": mine, "included": True}
    refused(api.get(f"/votes/{sid}/receipts/AAAAABBBBB"), 404)

    # nothing any voter or anyone else can read pairs a receipt with a choice
    answers = []
    for user in (None, committee, people[0]):
        for path in (f"/votes/{sid}", f"/votes/{sid}/result", f"/votes/{sid}/ballot-box",
                     f"/votes/{sid}/receipts", f"/votes/{sid}/receipts/{mine}", f"/villages/{village.id}/votes"):
            answers.append(ok(api.get(path, user)))
        if user is not None:
            answers.append(ok(api.get(f"/votes/{sid}/my-ballot", user)))
            answers.append(ok(api.get(f"/proposals/{pid}/votes", user)))
    paired: list = []
    _pairs_in(answers, paired)
    assert paired == []
    assert all("choice" not in a for a in answers if set(a) >= {"voted", "secret"})  # my-ballot

    # the page: every receipt is shown in the list of receipts, in no row beside a choice
    login(client, people[0])
    page = client.get(f"/v/{village.slug}/votes/{sid}")
    assert page.status_code == 200
    listed = re.findall(r'<li class="code">([A-Z0-9]{5})-([A-Z0-9]{5})</li>', page.text)
    assert sorted(a + b for a, b in listed) == sorted(cast_pairs)
    for code in cast_pairs:
        shown = f"{code[:5]}-{code[5:]}"
        assert page.text.count(shown) == page.text.count(f'<li class="code">{shown}</li>')
    found = client.get(f"/v/{village.slug}/votes/{sid}", params={"receipt": mine})
    status = re.search(r'<p class="big ok-text" role="status">(.*?)</p>', found.text).group(1)
    assert "已经计入" in status and not any(o in status for o in OPTIONS)


def test_a_roll_call_receipt_proves_inclusion_only(api, world, db):
    village, committee, clerk, people = village_of(world, 3)
    pid = proposal_at_vote(api, db, village, committee)
    council = new_council(api, village, committee)
    vote = new_vote(api, pid, committee, council["id"], secret=False)
    sid = ok(api.post(f"/votes/{vote['id']}/open", committee))["id"]
    receipt = ok(cast(api, sid, people[0], "反对"), 201)["receipt"]  # by label
    ok(cast(api, sid, people[1], 0), 201)
    assert "choice" not in ok(api.get(f"/votes/{sid}/my-ballot", people[0]))
    ok(api.post(f"/votes/{sid}/close", committee))
    assert ok(api.get(f"/votes/{sid}/receipts/{receipt}")) == {"receipt": receipt, "included": True}
    # public by nature: the village's members see who chose what, but not by receipt
    named = items(api.get(f"/votes/{sid}/ballot-box", people[2]))
    assert sorted((b["voter"], b["choice_label"]) for b in named) == [("村民0", "反对"), ("村民1", "同意")]
    paired: list = []
    _pairs_in([named, items(api.get(f"/votes/{sid}/ballot-box")), items(api.get(f"/votes/{sid}/receipts"))], paired)
    assert paired == []
