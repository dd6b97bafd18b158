"""the kept verdict's checks not met, by their labels: the township's queue reads them instead of
building each matter's decision file

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table copy on SQLite: other tables refer to proposal)
    op.add_column('proposal', sa.Column('failed_labels', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('proposal', 'failed_labels')
