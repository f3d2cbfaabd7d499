"""Each contact's recommendations, ranked at the model's build and refreshed as their orders arrive:
a lookup reads one short list instead of scoring the contact's whole history.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recommend_lists",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=320), nullable=False),
        sa.Column("product_external_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=True),
        sa.Column("days", sa.Float(), nullable=True),
        sa.Column("variant_external_id", sa.String(length=255), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("store_id", "contact", "product_external_id"),
    )


def downgrade() -> None:
    op.drop_table("recommend_lists")
