"""Consent kept per channel and written back to the store; offer codes created in the store for one
message each, and the order that redeemed them.

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-01 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        # A choice the customer made with us (our opt-in, our unsubscribe page) is told to the store
        # where the platform keeps consent (Shopify): until then it waits here.
        batch.add_column(sa.Column("write_back", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("written_back_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("write_back_error", sa.Text(), nullable=True))
        batch.create_index("ix_consents_write_back", ["write_back", "store_id"])
    op.create_table(
        "offer_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("code_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("customer_external_id", sa.String(length=255), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_in_store_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_order_id", sa.Integer(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["redeemed_order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", name="uq_offer_codes_message"),
        sa.UniqueConstraint("store_id", "code_key", name="uq_offer_codes_store_code"),
    )
    op.create_index("ix_offer_codes_redeemed", "offer_codes", ["store_id", "redeemed_order_id"])


def downgrade() -> None:
    op.drop_index("ix_offer_codes_redeemed", table_name="offer_codes")
    op.drop_table("offer_codes")
    with op.batch_alter_table("consents") as batch:
        batch.drop_index("ix_consents_write_back")
        batch.drop_column("write_back_error")
        batch.drop_column("written_back_at")
        batch.drop_column("write_back")
