"""The rulebook, public: every threshold and provision the system applies, with the editions of the
law it comes from, their dates and the article cited in each."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app import clock
from app.domain import law, rulebook
from routers.templating import render

router = APIRouter()


@router.get("/rules")
def rules_page(request: Request):
    today = clock.local_today()
    return render(request, "rules/index.html", {
        "entries": rulebook.catalogue(),
        "editions": law.EDITIONS,
        "today": today,
        "in_force": {(e.law, e.name) for e in law.EDITIONS if e.in_force(today)},
    })
