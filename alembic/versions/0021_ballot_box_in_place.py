"""PostgreSQL: the ballot box keeps `choice` out of its indexes and half of each page free, so the deal
at close rewrites each row in place (a heap-only update) instead of writing three index entries a row

SQLite is unchanged (its tally reads the (session, choice) index; its deal writes only the rows whose
choice changes). Boxes already on disk keep their full pages: their rows are rewritten the old way at
close, correctly, only more slowly; rows written from now on get the free room.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('ALTER TABLE ballot_box SET (fillfactor = 50)')
    op.create_index('ix_ballot_box_session', 'ballot_box', ['vote_session_id'], unique=False)
    op.drop_index('ix_ballot_box_session_choice', table_name='ballot_box')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_index('ix_ballot_box_session_choice', 'ballot_box', ['vote_session_id', 'choice'], unique=False)
    op.drop_index('ix_ballot_box_session', table_name='ballot_box')
    op.execute('ALTER TABLE ballot_box RESET (fillfactor)')
