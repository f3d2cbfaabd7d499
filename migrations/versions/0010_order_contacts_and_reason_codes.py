"""Every order keeps its own contact; consent is per address with its evidence; reasons are codes; one
row per send attempt; the indexes the per-contact and per-store queries need.

Existing rows are carried over: an order's contact from its customer row (the best we knew), the
customers' marketing flag as consent "migrated" for their email, reasons and timeline lines as
``legacy`` codes holding their old words.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _legacy(text: str | None) -> str:
    return json.dumps({"text": text or ""}, ensure_ascii=False)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("first_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("last_name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("contact", sa.String(length=320), nullable=True))
        batch.create_index("ix_orders_store_contact", ["store_id", "contact", "placed_at"])
        batch.create_index("ix_orders_store_customer", ["store_id", "customer_id"])
    customers = bind.execute(
        sa.text(
            "SELECT id, store_id, email, phone, first_name, last_name, accepts_marketing, updated_at "
            "FROM customers"
        )
    ).all()
    for row in customers:
        bind.execute(
            sa.text(
                "UPDATE orders SET email = :email, phone = :phone, first_name = :first, last_name = :last, "
                "contact = :contact WHERE customer_id = :id"
            ),
            {
                "email": row.email,
                "phone": row.phone,
                "first": row.first_name,
                "last": row.last_name,
                "contact": row.email or row.phone,
                "id": row.id,
            },
        )

    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "address", "channel"),
    )
    consents = sa.table(
        "consents",
        sa.column("store_id"),
        sa.column("address"),
        sa.column("channel"),
        sa.column("granted"),
        sa.column("source"),
        sa.column("recorded_at"),
        sa.column("words"),
    )
    granted = [
        {
            "store_id": row.store_id,
            "address": row.email,
            "channel": "email",
            "granted": True,
            "source": "migrated",
            "recorded_at": row.updated_at,
            "words": "",
        }
        for row in customers
        if row.accepts_marketing and row.email
    ]
    if granted:
        op.bulk_insert(consents, granted)
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("accepts_marketing")
        batch.drop_column("marketing_paused")

    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reason_code", sa.String(length=48), nullable=False, server_default=""))
        batch.add_column(sa.Column("reason_params", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("contact", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("members", sa.Text(), nullable=False, server_default=""))
        batch.create_index("ix_messages_contact", ["store_id", "contact", "status"])
        batch.drop_index("ix_messages_due")
        batch.create_index("ix_messages_due", ["status", "send_at", "id"])
    for row in bind.execute(sa.text("SELECT id, reason FROM messages")).all():
        bind.execute(
            sa.text("UPDATE messages SET reason_code = 'legacy', reason_params = :params WHERE id = :id"),
            {"params": _legacy(row.reason), "id": row.id},
        )
    bind.execute(
        sa.text(
            "UPDATE messages SET contact = (SELECT contact FROM orders WHERE orders.id = messages.order_id)"
        )
    )
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("reason")
        batch.alter_column("reason_code", server_default=None)
        batch.alter_column("reason_params", server_default=None)
        batch.alter_column("members", server_default=None)

    with op.batch_alter_table("timeline") as batch:
        batch.add_column(sa.Column("step", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("code", sa.String(length=48), nullable=False, server_default="legacy"))
        batch.add_column(sa.Column("params", sa.Text(), nullable=False, server_default=""))
    for row in bind.execute(sa.text("SELECT id, detail FROM timeline")).all():
        bind.execute(
            sa.text("UPDATE timeline SET params = :params WHERE id = :id"),
            {"params": _legacy(row.detail), "id": row.id},
        )
    with op.batch_alter_table("timeline") as batch:
        batch.drop_column("detail")
        batch.alter_column("step", server_default=None)
        batch.alter_column("code", server_default=None)
        batch.alter_column("params", server_default=None)

    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch.create_index("ix_reviews_email_product", ["store_id", "email", "product_external_id"])
    bind.execute(
        sa.text(
            "UPDATE reviews SET email = "
            "(SELECT email FROM customers WHERE customers.id = reviews.customer_id)"
        )
    )

    op.create_table(
        "message_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_attempts_message", "message_attempts", ["store_id", "message_id"])
    op.create_index("ix_order_lines_store_product", "order_lines", ["store_id", "product_external_id"])
    op.create_index("ix_shipments_store_order", "shipments", ["store_id", "order_id"])


def _text(params: str | None) -> str:
    try:
        found = json.loads(params) if params else {}
    except ValueError:
        return params or ""
    return str(found.get("text", "")) if isinstance(found, dict) else ""


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_shipments_store_order", table_name="shipments")
    op.drop_index("ix_order_lines_store_product", table_name="order_lines")
    op.drop_index("ix_message_attempts_message", table_name="message_attempts")
    op.drop_table("message_attempts")

    with op.batch_alter_table("reviews") as batch:
        batch.drop_index("ix_reviews_email_product")
        batch.drop_column("email")

    with op.batch_alter_table("timeline") as batch:
        batch.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default=""))
    for row in bind.execute(sa.text("SELECT id, code, params FROM timeline")).all():
        bind.execute(
            sa.text("UPDATE timeline SET detail = :detail WHERE id = :id"),
            {"detail": _text(row.params) if row.code == "legacy" else row.code, "id": row.id},
        )
    with op.batch_alter_table("timeline") as batch:
        batch.drop_column("params")
        batch.drop_column("code")
        batch.drop_column("step")
        batch.alter_column("detail", server_default=None)

    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))
    for row in bind.execute(sa.text("SELECT id, reason_code, reason_params FROM messages")).all():
        bind.execute(
            sa.text("UPDATE messages SET reason = :reason WHERE id = :id"),
            {
                "reason": _text(row.reason_params) if row.reason_code == "legacy" else row.reason_code,
                "id": row.id,
            },
        )
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_due")
        batch.create_index("ix_messages_due", ["status", "send_at"])
        batch.drop_index("ix_messages_contact")
        batch.drop_column("members")
        batch.drop_column("contact")
        batch.drop_column("reason_params")
        batch.drop_column("reason_code")
        batch.alter_column("reason", server_default=None)

    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("accepts_marketing", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("marketing_paused", sa.Text(), nullable=True))
    bind.execute(
        sa.text(
            "UPDATE customers SET accepts_marketing = :yes WHERE EXISTS (SELECT 1 FROM consents WHERE "
            "consents.store_id = customers.store_id AND consents.address = customers.email "
            "AND consents.channel = 'email' AND consents.granted = :yes)"
        ),
        {"yes": True},
    )
    with op.batch_alter_table("customers") as batch:
        batch.alter_column("accepts_marketing", server_default=None)
    op.drop_table("consents")

    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_store_customer")
        batch.drop_index("ix_orders_store_contact")
        batch.drop_column("contact")
        batch.drop_column("last_name")
        batch.drop_column("first_name")
        batch.drop_column("phone")
        batch.drop_column("email")
