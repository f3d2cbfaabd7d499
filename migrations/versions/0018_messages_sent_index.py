"""An index for what a store sent and when: the plan's monthly volume is counted before every batch
of sends, and the dashboard reads sent messages by day; both scanned every message of the store.

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_messages_sent", "messages", ["store_id", "status", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_sent", table_name="messages")
