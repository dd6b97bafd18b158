"""notification outbox: channels per person, deliveries, the fan-out's cursor per audit chain

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 04:01:13.310842
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('fanout_cursor',
    sa.Column('chain', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), server_default=sa.func.current_timestamp(),
              nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_fanout_cursor'))
    )
    # The fan-out tells about what happens from now on: every chain that already has events starts at its head.
    op.execute("INSERT INTO fanout_cursor (chain, seq) SELECT village_id, seq FROM audit_head")
    op.create_table('notification_setting',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sms', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('email', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('digest', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('email_address', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), server_default=sa.func.current_timestamp(),
              nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_setting_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_setting'))
    )
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('destination', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), server_default=sa.func.current_timestamp(),
              nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], name=op.f('fk_delivery_notification_id_notification')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_delivery_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
    sa.UniqueConstraint('notification_id', 'channel', name=op.f('uq_delivery_notification_id_channel'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_channel_state', ['channel', 'state'], unique=False)
        batch_op.create_index('ix_delivery_state_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_delivery_user_channel_state', ['user_id', 'channel', 'state'], unique=False)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_notification_event_key_user_id'), ['event_key', 'user_id'])


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_notification_event_key_user_id'), type_='unique')
        batch_op.drop_column('event_key')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_user_channel_state')
        batch_op.drop_index('ix_delivery_state_due')
        batch_op.drop_index('ix_delivery_channel_state')

    op.drop_table('delivery')
    op.drop_table('notification_setting')
    op.drop_table('fanout_cursor')
