"""Tracking beyond the platform: accounts at tracking sources, how each parcel is followed, and the
store's tracking page brand.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-01 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipment_events") as batch:
        batch.add_column(sa.Column("source", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("location", sa.String(length=255), nullable=True))
    op.create_table(
        "tracking_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=False),  # encrypted
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "source"),
    )
    op.create_table(
        "parcel_tracks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("remote_id", sa.String(length=255), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("estimate_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("estimate_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_estimate", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shipment_id"),
    )
    op.create_index("ix_parcel_tracks_store_poll", "parcel_tracks", ["store_id", "next_poll_at"])
    op.create_table(
        "tracking_brands",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("logo_url", sa.String(length=2048), nullable=True),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("help_url", sa.String(length=2048), nullable=True),
        sa.Column("returns_url", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("store_id"),
    )


def downgrade() -> None:
    op.drop_table("tracking_brands")
    op.drop_index("ix_parcel_tracks_store_poll", table_name="parcel_tracks")
    op.drop_table("parcel_tracks")
    op.drop_table("tracking_accounts")
    with op.batch_alter_table("shipment_events") as batch:
        batch.drop_column("location")
        batch.drop_column("source")
