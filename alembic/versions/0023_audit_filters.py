"""The audit record's filters have indexes: one object's events (a matter's, end to end, as the
township's monitor reads it), one kind of object, one action — each in the chain's order.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 15:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_event_village_entity", "audit_event", ["village_id", "entity", "entity_id", "seq"])
    op.create_index("ix_audit_event_village_action", "audit_event", ["village_id", "action", "seq"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_village_action", table_name="audit_event")
    op.drop_index("ix_audit_event_village_entity", table_name="audit_event")
