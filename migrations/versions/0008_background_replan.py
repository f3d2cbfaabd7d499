"""Settings changes on a large store are applied to its scheduled messages by the worker.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        batch.add_column(sa.Column("replan_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("replan_result", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        batch.drop_column("replan_result")
        batch.drop_column("replan_requested_at")
