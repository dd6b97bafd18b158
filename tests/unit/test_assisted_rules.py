"""Assisted participation (代办): what a new record needs, who may decide it and when, the reason of a
rejection, the mark a confirmed record shows (app/domain/assisted.py)."""

from __future__ import annotations

import pytest

from app.domain import assisted as A

CHAIR, CLERK, ELDER = 1, 2, 3


def problems(kind: str, *, person: int | None = ELDER, target: int | None = 10, body: str = "",
             scan: bool = False) -> dict[str, str]:
    return A.record_problems(kind, recorder_id=CHAIR, person_id=person, target_id=target, body=body, has_scan=scan)


@pytest.mark.parametrize(("kind", "person", "target", "body", "scan", "fields"), [
    ("cosign", ELDER, 10, "", True, set()),
    ("cosign", ELDER, 10, "", False, {"scan"}),  # a paper co-sign needs the sheet's scan
    ("cosign", ELDER, 10, "口述的话不需要", True, set()),  # (the body of a co-sign is not asked for)
    ("cosign", None, None, "", False, {"user_id", "target_id", "scan"}),  # every missing field at once
    ("cosign", CHAIR, 10, "", True, {"user_id"}),  # not for oneself
    ("objection", ELDER, 10, "钱花到哪里去了？", False, set()),
    ("objection", ELDER, 10, "", False, {"body"}),
    ("objection", ELDER, 10, "问" * 2000, False, set()),  # the online limit, included
    ("objection", ELDER, 10, "问" * 2001, False, {"body"}),
    ("comment", ELDER, 10, "同意", False, set()),
    ("comment", ELDER, 10, "意" * 5000, False, set()),
    ("comment", ELDER, 10, "意" * 5001, False, {"body"}),
    ("comment", ELDER, None, "同意", False, {"target_id"}),
])
def test_what_a_new_record_needs(kind, person, target, body, scan, fields):
    assert set(problems(kind, person=person, target=target, body=body, scan=scan)) == fields


def test_an_unknown_kind_is_named_alone():
    assert problems("vote", person=None, target=None) == {"kind": "请选择代录的内容：纸质联署、质询或意见"}


def test_the_messages_say_what_is_missing_in_chinese():
    assert problems("cosign")["scan"] == "纸质联署须上传村民签字的联署单扫描件或照片"
    assert problems("objection", target=None)["target_id"] == "请选择要质询的公开"
    assert problems("comment", body="")["body"] == "请写明村民口述的意见"


@pytest.mark.parametrize(("action", "state", "decider", "answer"), [
    (A.CONFIRM, A.PENDING, CLERK, None),
    (A.CONFIRM, A.PENDING, CHAIR, 403),  # the recorder cannot confirm their own record
    (A.REJECT, A.PENDING, CHAIR, None),  # but may take it back
    (A.REJECT, A.PENDING, CLERK, None),
    (A.CONFIRM, A.CONFIRMED, CLERK, 409),  # decided once
    (A.REJECT, A.CONFIRMED, CLERK, 409),
    (A.CONFIRM, A.REJECTED, CLERK, 409),
    (A.REJECT, A.REJECTED, CHAIR, 409),
])
def test_who_decides_a_record_and_when(action, state, decider, answer):
    problem = A.decide_problem(action, state=state, recorder_id=CHAIR, decider_id=decider)
    assert (problem[0] if problem else None) == answer


@pytest.mark.parametrize(("reason", "ok"), [("", False), ("签名看不清", True), ("理" * 500, True), ("理" * 501, False)])
def test_a_rejection_needs_a_reason(reason, ok):
    assert (A.reason_problem(reason) is None) is ok


def test_the_mark_names_who_recorded_and_who_confirmed():
    assert A.mark("李建国", "王秀英") == "由李建国代录、王秀英确认"
