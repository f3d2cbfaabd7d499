"""Recommendations: the per-store model (items, pairs), the merchant's curation, what each message
recommended (for the revenue it earned), the variant of each order line (for one-click reorder links)
and the state of the last build.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("order_lines", sa.Column("variant_external_id", sa.String(length=255), nullable=True))
    op.create_table(
        "recommend_items",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("product_external_id", sa.String(length=255), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("recent_orders", sa.Integer(), nullable=False),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("rebuyers", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Float(), nullable=True),
        sa.Column("cutoff", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("store_id", "product_external_id"),
    )
    op.create_index("ix_recommend_items_recent", "recommend_items", ["store_id", "recent_orders"])
    op.create_table(
        "recommend_pairs",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("product_external_id", sa.String(length=255), nullable=False),
        sa.Column("other_external_id", sa.String(length=255), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("store_id", "product_external_id", "other_external_id"),
    )
    op.create_index(
        "ix_recommend_pairs_rank", "recommend_pairs", ["store_id", "product_external_id", "score"]
    )
    op.create_table(
        "recommend_curation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("product_external_id", sa.String(length=255), nullable=False),
        sa.Column("other_external_id", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "kind", "product_external_id", "other_external_id"),
    )
    op.create_index(
        "ix_recommend_curation_product", "recommend_curation", ["store_id", "product_external_id"]
    )
    op.create_table(
        "recommend_picks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("product_external_id", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("reason_params", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "product_external_id"),
    )
    op.create_index("ix_recommend_picks_store", "recommend_picks", ["store_id", "product_external_id"])
    op.create_table(
        "recommend_builds",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("curation_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("store_id"),
    )


def downgrade() -> None:
    op.drop_table("recommend_builds")
    op.drop_index("ix_recommend_picks_store", table_name="recommend_picks")
    op.drop_table("recommend_picks")
    op.drop_index("ix_recommend_curation_product", table_name="recommend_curation")
    op.drop_table("recommend_curation")
    op.drop_index("ix_recommend_pairs_rank", table_name="recommend_pairs")
    op.drop_table("recommend_pairs")
    op.drop_index("ix_recommend_items_recent", table_name="recommend_items")
    op.drop_table("recommend_items")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("variant_external_id")
