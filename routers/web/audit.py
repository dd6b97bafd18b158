"""The village's audit chain for members and township monitors, with a live verification."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from app.domain import bounds
from app.domain.audit_chain import ACTION_LABELS, ENTITY_LABELS
from app.domain.spreadsheet import safe_row
from app.services import access, audit, notices, periods, places, seals, vouchers
from routers.deps import DbSession, PageActor, PageNo, SettingsDep
from routers.templating import render
from routers.web.attachments import content_disposition

router = APIRouter()

# Where an event's object is shown, by its entity (the page checks who may see it).
LINKS = {"proposal": "proposals/{}", "notice": "notices/{}", "vote": "votes/{}", "council": "councils/{}",
         "voucher": "accounts/vouchers/{}", "period": "accounts/periods/{}", "contract": "accounts/contracts/{}",
         "ledger": "accounts", "account": "accounts/chart", "asset": "accounts/assets", "user": "members/{}",
         "village_rule": "charter/{}"}


def entity_link(actor, village, entity: str, entity_id: str | None) -> str | None:
    """Where the event's object is shown, when this person is let into that kind of page at all (a
    villager is not shown links into the roll). Whether they may see that one object (a draft voucher)
    `_links` asks first, for the kinds whose objects differ."""
    pattern = LINKS.get(entity)
    if pattern is None or ("{}" in pattern and not entity_id) or not access.opens_page(actor, village, pattern):
        return None
    return f"/v/{village.slug}/" + pattern.format(entity_id)


def _links(db, actor, village, events) -> Callable:
    """The 查看 link of each event on the page, only where this person can open that object: each kind's
    own rule (a draft voucher, a notice under review, a month not yet public are not everyone's), one
    or two queries a kind for the whole page."""
    ids: dict[str, set[str]] = {"voucher": set(), "notice": set(), "period": set()}
    for row in events:
        if row.event.entity in ids and row.event.entity_id:
            ids[row.event.entity].add(row.event.entity_id)
    numbers = {kind: {int(i) for i in ids[kind] if i.isdigit() and 0 < int(i) <= bounds.MAX_ID}
               for kind in ("voucher", "notice")}
    opens = {"voucher": {str(i) for i in vouchers.visible_ids(db, actor, village, numbers["voucher"])},
             "notice": {str(i) for i in notices.visible_ids(db, actor, village, numbers["notice"])},
             "period": periods.readable_periods(db, actor, village, ids["period"])}

    def link(event) -> str | None:
        if event.entity in opens and event.entity_id not in opens[event.entity]:
            return None
        return entity_link(actor, village, event.entity, event.entity_id)
    return link


@router.get("/v/{slug}/audit")
def audit_page(
    slug: str,
    request: Request,
    db: DbSession,
    actor: PageActor,
    settings: SettingsDep,
    page: PageNo = 1,
    action: str = Query(default="", max_length=60),
    entity: str = Query(default="", max_length=40),
):
    village = places.get_village_by_slug(db, slug)
    action = action if action in ACTION_LABELS else ""
    entity = entity if entity in ENTITY_LABELS else ""
    view = audit.chain_page(db, actor, village, page, verifier=lambda chain: seals.verify(db, settings, chain),
                            action=action or None, entity=entity or None)
    query = urlencode({k: v for k, v in (("action", action), ("entity", entity)) if v})
    return render(request, "audit/chain.html", {"village": village, "result": view.result, "events": view.events,
                                                 "page": view.page, "pages": view.pages,
                                                 "seal": seals.latest_for(db, village),
                                                 "check": seals.last_checks(db, [village.id]).get(village.id),
                                                 "link": _links(db, actor, village, view.events),
                                                 "actions": ACTION_LABELS, "entities": ENTITY_LABELS, "action": action,
                                                 "entity": entity, "query": query + "&" if query else ""})


@router.get("/v/{slug}/audit.csv")
def audit_csv(slug: str, db: DbSession, actor: PageActor, action: str = Query(default="", max_length=60),
              entity: str = Query(default="", max_length=40)):
    """The audit record as CSV (Excel-safe cells; no payload, so no personal field), with the filters."""
    village = places.get_village_by_slug(db, slug)
    rows = audit.export_rows(db, actor, village, action=action if action in ACTION_LABELS else None,
                             entity=entity if entity in ENTITY_LABELS else None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(safe_row(row))
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": content_disposition(f"{village.name}审计记录.csv", False),
        "Cache-Control": "private, no-store"})


@router.get("/.well-known/cunyi-seal-key.pem")
def seal_key(settings: SettingsDep):
    """The public key every seal verifies with, for anyone to keep."""
    return Response(seals.public_pem(settings), media_type="application/x-pem-file",
                    headers={"Cache-Control": "public, max-age=86400"})
