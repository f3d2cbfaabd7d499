"""Reviews collected by us: moderation, publishing to the store, photos, and the check-in's NPS answer.

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0015"
branch_labels = None
depends_on = None

NEW_REVIEW_COLUMNS = (
    ("source", sa.String(length=16), "aftercare"),
    ("product_title", sa.String(length=500), ""),
    ("title", sa.String(length=200), ""),
    ("display_name", sa.String(length=80), ""),
    ("status", sa.String(length=16), "approved"),  # rows from before moderation were published as given
    ("featured", sa.Boolean(), sa.false()),
    ("reply", sa.Text(), ""),
    ("publish_state", sa.String(length=16), ""),
    ("publish_attempts", sa.Integer(), "0"),
)


def upgrade() -> None:
    # One review per person and product: keep the newest of any duplicates before the constraint.
    op.execute(
        "DELETE FROM reviews WHERE id NOT IN (SELECT MAX(id) FROM reviews "
        "GROUP BY store_id, email, product_external_id)"
    )
    with op.batch_alter_table("reviews", schema=None) as batch:
        for name, kind, default in NEW_REVIEW_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        for name in ("submitted_at", "moderated_at", "publish_after", "published_at"):
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("publish_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("remote_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("reward_code", sa.String(length=64), nullable=True))
        batch.drop_index("ix_reviews_email_product")
        batch.create_unique_constraint(
            "uq_reviews_store_email_product", ["store_id", "email", "product_external_id"]
        )
        batch.create_index("ix_reviews_store_status", ["store_id", "status", "created_at"], unique=False)
        batch.create_index("ix_reviews_publish", ["publish_state", "publish_after"], unique=False)
    op.execute("UPDATE reviews SET updated_at = created_at")
    with op.batch_alter_table("reviews", schema=None) as batch:
        batch.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        for name, _, _ in NEW_REVIEW_COLUMNS:
            batch.alter_column(name, server_default=None)
    op.create_table(
        "review_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("review_photos", schema=None) as batch:
        batch.create_index("ix_review_photos_review", ["store_id", "review_id"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.add_column(sa.Column("nps_score", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("nps_answered_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.drop_column("nps_answered_at")
        batch.drop_column("nps_score")
    with op.batch_alter_table("review_photos", schema=None) as batch:
        batch.drop_index("ix_review_photos_review")
    op.drop_table("review_photos")
    with op.batch_alter_table("reviews", schema=None) as batch:
        batch.drop_index("ix_reviews_publish")
        batch.drop_index("ix_reviews_store_status")
        batch.drop_constraint("uq_reviews_store_email_product", type_="unique")
        batch.create_index("ix_reviews_email_product", ["store_id", "email", "product_external_id"])
        for name in ("reward_code", "remote_id", "publish_error", "published_at", "publish_after"):
            batch.drop_column(name)
        for name in ("moderated_at", "submitted_at", "updated_at"):
            batch.drop_column(name)
        for name, _, _ in reversed(NEW_REVIEW_COLUMNS):
            batch.drop_column(name)
