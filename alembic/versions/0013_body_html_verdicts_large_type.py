"""stored body HTML, decision verdicts, large type per person

Proposals and comments keep their body rendered to sanitised HTML (re-rendered when the renderer's
version changes); proposals keep their decision file's compliance summary (kept by the `verdicts`
job); a person may ask for extra-large type.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 03:39:39.889185
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines (a batch would copy the user table, which rows elsewhere refer to).
    op.add_column('comment', sa.Column('body_html', sa.Text(), nullable=True))
    op.add_column('comment', sa.Column('body_html_version', sa.Integer(), nullable=True))
    op.add_column('proposal', sa.Column('body_html', sa.Text(), nullable=True))
    op.add_column('proposal', sa.Column('body_html_version', sa.Integer(), nullable=True))
    op.add_column('proposal', sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('proposal', sa.Column('failed_checks', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('proposal', sa.Column('verdict_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('user', sa.Column('large_type', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later): no copy of the tables others refer to.
    op.drop_column('user', 'large_type')
    for column in ('verdict_at', 'failed_checks', 'verdict', 'body_html_version', 'body_html'):
        op.drop_column('proposal', column)
    for column in ('body_html_version', 'body_html'):
        op.drop_column('comment', column)
