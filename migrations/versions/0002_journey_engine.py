"""Journey engine: per-store journey settings, held messages per shipment, refunded quantities,
check-in answers, paused marketing, reviews, and per-store job leases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:30:11.330591
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_leases",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job", "store_id"),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("product_external_id", sa.String(length=255), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reviews_customer_product", ["store_id", "customer_id", "product_external_id"], unique=False
        )

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marketing_paused", sa.Text(), nullable=True))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_messages_shipment_id", "shipments", ["shipment_id"], ["id"], ondelete="CASCADE"
        )

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refunded_quantity", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_in_answer", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("check_in_answered_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journey", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("journey")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("check_in_answered_at")
        batch_op.drop_column("check_in_answer")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("refunded_quantity")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_messages_shipment_id", type_="foreignkey")
        batch_op.drop_column("shipment_id")

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("marketing_paused")

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_customer_product")

    op.drop_table("reviews")
    op.drop_table("job_leases")
