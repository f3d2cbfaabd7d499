"""The first-hour checklist and the store's plan (issue 19).

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-01 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = (
    ("setup", lambda: sa.Column("setup", sa.Text(), nullable=False, server_default="")),
    ("plan", lambda: sa.Column("plan", sa.String(32), nullable=False, server_default="free")),
    ("plan_status", lambda: sa.Column("plan_status", sa.String(16), nullable=False, server_default="active")),
    ("plan_pending", lambda: sa.Column("plan_pending", sa.String(32), nullable=True)),
    ("subscription_ref", lambda: sa.Column("subscription_ref", sa.String(255), nullable=True)),
    ("trial_ends_at", lambda: sa.Column("trial_ends_at", sa.DateTime(timezone=True), nullable=True)),
    ("plan_checked_at", lambda: sa.Column("plan_checked_at", sa.DateTime(timezone=True), nullable=True)),
    ("over_plan_told_at", lambda: sa.Column("over_plan_told_at", sa.DateTime(timezone=True), nullable=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        for _, column in COLUMNS:
            batch.add_column(column())


def downgrade() -> None:
    with op.batch_alter_table("stores") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
