"""assisted participation (代办): what the committee records for a villager without a phone

A paper co-signature (with the scan of the signed sheet), an objection or a comment the villager
dictated, recorded by one committee member and counted once a second one confirms it. Only a new
table: the co-signature, objection or comment it becomes is an ordinary row of its own table.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:46:53.182605
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING_COSIGN = "kind = 'cosign' AND state = 'pending'"


def upgrade() -> None:
    op.create_table('assisted_act',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('cosignature_id', sa.Integer(), nullable=True),
    sa.Column('objection_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_assisted_act_comment_id_comment')),
    sa.ForeignKeyConstraint(['cosignature_id'], ['cosignature.id'],
                            name=op.f('fk_assisted_act_cosignature_id_cosignature'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_assisted_act_decided_by_user')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_assisted_act_notice_id_notice')),
    sa.ForeignKeyConstraint(['objection_id'], ['objection.id'], name=op.f('fk_assisted_act_objection_id_objection')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_assisted_act_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], name=op.f('fk_assisted_act_recorded_by_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_assisted_act_user_id_user')),
    sa.ForeignKeyConstraint(['village_id'], ['village.id'], name=op.f('fk_assisted_act_village_id_village')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assisted_act')),
    sa.UniqueConstraint('comment_id', name=op.f('uq_assisted_act_comment_id')),
    sa.UniqueConstraint('cosignature_id', name=op.f('uq_assisted_act_cosignature_id')),
    sa.UniqueConstraint('objection_id', name=op.f('uq_assisted_act_objection_id'))
    )
    op.create_index(op.f('ix_assisted_act_notice_id'), 'assisted_act', ['notice_id'], unique=False)
    op.create_index(op.f('ix_assisted_act_proposal_id'), 'assisted_act', ['proposal_id'], unique=False)
    op.create_index(op.f('ix_assisted_act_user_id'), 'assisted_act', ['user_id'], unique=False)
    op.create_index('ix_assisted_act_village_state', 'assisted_act', ['village_id', 'state', 'id'], unique=False)
    op.create_index('uq_assisted_act_pending_cosign', 'assisted_act', ['proposal_id', 'user_id'], unique=True,
                    sqlite_where=sa.text(PENDING_COSIGN), postgresql_where=sa.text(PENDING_COSIGN))


def downgrade() -> None:
    op.drop_index('uq_assisted_act_pending_cosign', table_name='assisted_act')
    op.drop_index('ix_assisted_act_village_state', table_name='assisted_act')
    op.drop_index(op.f('ix_assisted_act_user_id'), table_name='assisted_act')
    op.drop_index(op.f('ix_assisted_act_proposal_id'), table_name='assisted_act')
    op.drop_index(op.f('ix_assisted_act_notice_id'), table_name='assisted_act')
    op.drop_table('assisted_act')
