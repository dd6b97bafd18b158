"""Stored HTML of proposal and comment bodies kept current with the renderer.

A body is rendered when it is written and kept with the renderer's version (`markdown.VERSION`).
Rows written before that (NULL after migration 0013) or by an older renderer are shown rendered in
memory — a read never writes — until `refresh_stale`, a scheduled job, renders and stores them.

It works in batches of rows in id order, one commit per batch, so it holds no lock for long and
an interrupted run keeps what it did. A row is stored only if its text is still the one rendered:
an edit in the meantime has stored its own HTML already and wins. The bodies' history (the audit
chain, comment versions) does not change: the HTML is derived from the text, which stays as it is.
"""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select, update
from sqlmodel import Session

from app.domain import markdown
from app.models import Comment, Proposal


def _stale(model):
    return or_(model.body_html_version.is_(None), model.body_html_version != markdown.VERSION)


def _refresh(session: Session, model, batch: int) -> int:
    table = model.__table__
    store = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.body == bindparam("old_body"), _stale(table.c))
        .values(body_html=bindparam("html"), body_html_version=markdown.VERSION)
    )
    done, after = 0, 0
    while True:
        rows = session.execute(
            select(model.id, model.body).where(_stale(model), model.id > after).order_by(model.id).limit(batch)
        ).all()
        if not rows:
            return done
        params = [{"row_id": row_id, "old_body": body, "html": markdown.render(body)} for row_id, body in rows]
        done += session.connection().execute(store, params).rowcount
        session.commit()
        after = rows[-1].id


def refresh_stale(session: Session, *, batch: int = 500) -> int:
    """Render and store the HTML of every proposal and comment whose stored HTML is missing or from
    another renderer version; commits every `batch` rows. Returns how many rows it stored."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    return _refresh(session, Proposal, batch) + _refresh(session, Comment, batch)
