"""JSON API under /api/v1."""

from fastapi import APIRouter, Depends

from routers.api import (
    assets,
    assisted,
    attachments,
    audit,
    auth,
    ballots,
    books,
    cases,
    comments,
    councils,
    decision_files,
    filings,
    funds,
    home,
    meetings,
    members,
    notices,
    notifications,
    objections,
    paper_tallies,
    periods,
    places,
    proposals,
    roster,
    seals,
    townships,
    village_rules,
    votes,
    vouchers,
)
from routers.deps import api_guard
from routers.flat import include_flat

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_guard)])
for module in (auth, home, places, members, audit, roster, proposals, comments, notifications, attachments, councils,
               votes, ballots, paper_tallies, notices, objections, townships, books, vouchers, periods, funds, assets,
               seals, decision_files, cases, filings, village_rules, meetings, assisted):
    include_flat(api_router, module.router)
