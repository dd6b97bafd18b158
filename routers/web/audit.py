"""The village's audit chain for members and township monitors, with a live verification."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.services import audit, places, seals
from routers.deps import DbSession, PageActor, PageNo, SettingsDep
from routers.templating import render

router = APIRouter()

# Where an event's object is shown, by its entity (the page checks who may see it).
LINKS = {"proposal": "proposals/{}", "notice": "notices/{}", "vote": "votes/{}", "council": "councils/{}",
         "voucher": "accounts/vouchers/{}", "period": "accounts/periods/{}", "contract": "accounts/contracts/{}",
         "ledger": "accounts", "account": "accounts/chart", "asset": "accounts/assets", "user": "members/{}"}


def entity_link(slug: str, entity: str, entity_id: str | None) -> str | None:
    pattern = LINKS.get(entity)
    if pattern is None or ("{}" in pattern and not entity_id):
        return None
    return f"/v/{slug}/" + pattern.format(entity_id)


@router.get("/v/{slug}/audit")
def audit_page(
    slug: str,
    request: Request,
    db: DbSession,
    actor: PageActor,
    settings: SettingsDep,
    page: PageNo = 1,
):
    village = places.get_village_by_slug(db, slug)
    view = audit.chain_page(db, actor, village, page, verifier=lambda chain: seals.verify(db, settings, chain))
    return render(request, "audit/chain.html", {"village": village, "result": view.result, "events": view.events,
                                                 "page": view.page, "pages": view.pages,
                                                 "seal": seals.latest_for(db, village),
                                                 "link": lambda e: entity_link(village.slug, e.entity, e.entity_id)})


@router.get("/.well-known/cunyi-seal-key.pem")
def seal_key(settings: SettingsDep):
    """The public key every seal verifies with, for anyone to keep."""
    return Response(seals.public_pem(settings), media_type="application/x-pem-file",
                    headers={"Cache-Control": "public, max-age=86400"})
