"""Merchants' own templates, the store's Twilio account and outgoing webhook, message opens.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STORE_COLUMNS = {
    "twilio_account_sid": sa.String(length=64),
    "twilio_auth_token": sa.Text(),  # encrypted
    "sms_from": sa.String(length=64),
    "whatsapp_from": sa.String(length=64),
    "hook_url": sa.String(length=2048),
    "hook_secret": sa.Text(),  # encrypted
}


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("short", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "step", "locale"),
    )
    with op.batch_alter_table("stores") as batch:
        for name, kind in STORE_COLUMNS.items():
            batch.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("opened_at")
    with op.batch_alter_table("stores") as batch:
        for name in reversed(STORE_COLUMNS):
            batch.drop_column(name)
    op.drop_table("message_templates")
