"""A village's settings (minimum days per stage, the 一事一议 caps, the proxy cap, objection reply
days), with the province rules its township fixes taking precedence. The rules of what is valid
live in domain/village_settings.py."""

from __future__ import annotations

from sqlmodel import Session

from app.domain.roles import COMMITTEE
from app.domain.village_settings import VillageSettings, validate
from app.models import Township, Village
from app.services import audit, places
from app.services.access import Actor, require
from app.services.errors import Invalid


def settings_of(session: Session, village: Village) -> VillageSettings:
    """The village's settings, with the province rules its township sets taking precedence."""
    township = session.get(Township, village.township_id)
    return VillageSettings.from_json(village.settings, township.settings if township else None)


def settings_for(session: Session, actor: Actor | None, village: Village) -> VillageSettings:
    """The settings as the village's members and the township's monitors read them."""
    require(actor, village, monitor=True)
    return settings_of(session, village)


def settings_form(session: Session, actor: Actor | None, slug: str) -> tuple[Village, VillageSettings]:
    """The village in the address and its settings, for the committee's settings page."""
    village = places.get_village_by_slug(session, slug)
    require(actor, village, COMMITTEE)
    return village, settings_of(session, village)


def update_settings(session: Session, actor: Actor | None, village: Village, *, min_days: dict,
                    per_capita_cap_fen, labour_days_cap, proxy_cap=None, objection_reply_days=None
                    ) -> VillageSettings:
    require(actor, village, COMMITTEE)
    current = settings_of(session, village)
    # what the township sets stays as it is: the village's form shows it, it cannot change it
    if "per_capita_cap_fen" in current.fixed:
        per_capita_cap_fen = current.per_capita_cap_fen
    if "labour_days_cap" in current.fixed:
        labour_days_cap = current.labour_days_cap
    if "proxy_cap" in current.fixed:
        proxy_cap = current.proxy_cap
    new, errors = validate(min_days, per_capita_cap_fen, labour_days_cap,
                           current.proxy_cap if proxy_cap is None else proxy_cap,
                           current.objection_reply_days if objection_reply_days is None else objection_reply_days)
    if errors:
        raise Invalid("设置有误：" + "；".join(errors.values()),
                      errors=[{"field": k, "message": v} for k, v in errors.items()])
    old = current.to_json()
    stored = {k: v for k, v in new.to_json().items() if k not in current.fixed}
    # keep the keys other features store there (the publication calendar)
    village.settings = {**(village.settings or {}), **stored}
    session.add(village)
    audit.record(session, village_id=village.id, actor_id=actor.id, action="village.settings", entity="village",
                 entity_id=village.id, data={"before": old, "after": village.settings})
    session.commit()
    return settings_of(session, village)
