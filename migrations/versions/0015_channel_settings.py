"""Channels are a layer of their own: each channel's settings in ``channel_settings`` (encrypted, one
row per store and channel), the stores' authenticated sending domains (DKIM keys) and WhatsApp
templates; the channel columns of ``stores`` are moved there and dropped.

A store's old default channel (``stores.channel``, when not plain email) becomes the first choice of
every step that had none, so nothing it sent changes road.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0017"
branch_labels = None
depends_on = None

# The journey's steps when this migration was written (a migration does not follow later code).
STEPS = (
    "thank_you",
    "shipped",
    "out_for_delivery",
    "delivered",
    "delivery_problem",
    "check_in",
    "review_request",
    "review_reminder",
    "cross_sell",
    "win_back",
)
OLD_COLUMNS = {
    "channel": sa.String(length=32),
    "sender_email": sa.String(length=320),
    "smtp_host": sa.String(length=255),
    "smtp_port": sa.Integer(),
    "smtp_security": sa.String(length=16),
    "smtp_username": sa.String(length=255),
    "smtp_password": sa.Text(),  # encrypted
    "twilio_account_sid": sa.String(length=64),
    "twilio_auth_token": sa.Text(),  # encrypted
    "sms_from": sa.String(length=64),
    "whatsapp_from": sa.String(length=64),
    "hook_url": sa.String(length=2048),
    "hook_secret": sa.Text(),  # encrypted
}
SECRET_COLUMNS = ("smtp_password", "twilio_auth_token", "hook_secret")


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "channel_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),  # encrypted JSON
        *_timestamps(),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "channel"),
    )
    op.create_table(
        "sending_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("from_email", sa.String(length=320), nullable=False),
        sa.Column("selector", sa.String(length=63), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),  # encrypted
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problems", sa.Text(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "domain"),
    )
    op.create_table(
        "whatsapp_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("account_sid", sa.String(length=64), nullable=False),
        sa.Column("content_sid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["store_id"], ["stores.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("store_id", "step", "locale"),
    )
    # Read first, write after the columns are gone: SQLite's batch mode rebuilds ``stores``, and
    # dropping the old table would cascade to rows already written in ``channel_settings``.
    connection = op.get_bind()
    columns = ", ".join(["id", "sender_name", "reply_to", "journey", *OLD_COLUMNS])
    rows = connection.execute(sa.text(f"SELECT {columns} FROM stores")).fetchall()  # noqa: S608 - our names
    with op.batch_alter_table("stores") as batch:
        for name in OLD_COLUMNS:
            batch.drop_column(name)
    _move_settings(rows)


def _settings_of(row: Any, reveal: Any) -> dict[str, dict[str, Any]]:
    """What the old columns of one store say, per channel (as each channel's settings model reads it)."""
    found: dict[str, dict[str, Any]] = {}
    if row.smtp_host and row.sender_email:
        found["smtp"] = {
            "from_name": row.sender_name,
            "from_email": row.sender_email,
            "host": row.smtp_host,
            "port": row.smtp_port,
            "security": row.smtp_security or "starttls",
            "username": row.smtp_username,
            "password": reveal(row.smtp_password),
        }
    token = reveal(row.twilio_auth_token)
    if row.twilio_account_sid and token:
        for channel, number in (("sms", row.sms_from), ("whatsapp", row.whatsapp_from)):
            if number:
                found[channel] = {
                    "account_sid": row.twilio_account_sid,
                    "auth_token": token,
                    "number": number,
                }
    secret = reveal(row.hook_secret)
    if row.hook_url and secret:
        found["webhook"] = {"url": row.hook_url, "secret": secret}
    return found


def _journey_with_default(journey: str, channel: str) -> str:
    try:
        config = json.loads(journey) if journey else {}
    except ValueError:
        config = {}
    if not isinstance(config, dict):
        config = {}
    steps = config.setdefault("steps", {})
    for name in STEPS:
        step = steps.setdefault(name, {})
        if isinstance(step, dict) and not step.get("channels"):
            step["channels"] = [channel]
    return json.dumps(config)


def _move_settings(rows: list[Any]) -> None:
    connection = op.get_bind()
    if not rows:
        return
    from app import clock, crypto  # only when there is something to move: it needs the keys

    def reveal(token: str | None) -> str | None:
        return crypto.decrypt(token) if token else None

    now = clock.now()
    for row in rows:
        for channel, values in _settings_of(row, reveal).items():
            values = {key: value for key, value in values.items() if value is not None}
            connection.execute(
                sa.text(
                    "INSERT INTO channel_settings (store_id, channel, settings, created_at, updated_at) "
                    "VALUES (:store, :channel, :settings, :now, :now)"
                ),
                {
                    "store": row.id,
                    "channel": channel,
                    "settings": crypto.encrypt(json.dumps(values)),
                    "now": now,
                },
            )
        changes: dict[str, Any] = {}
        if not row.reply_to and row.sender_email:
            changes["reply_to"] = row.sender_email
        if row.channel and row.channel != "smtp":
            changes["journey"] = _journey_with_default(row.journey or "", row.channel)
        if changes:
            assignments = ", ".join(f"{key} = :{key}" for key in changes)
            connection.execute(
                sa.text(f"UPDATE stores SET {assignments} WHERE id = :id"),  # noqa: S608 - our names
                {**changes, "id": row.id},
            )


def downgrade() -> None:
    connection = op.get_bind()  # read before SQLite rebuilds ``stores`` (which cascades to them)
    rows = connection.execute(sa.text("SELECT store_id, channel, settings FROM channel_settings")).fetchall()
    with op.batch_alter_table("stores") as batch:
        for name, kind in OLD_COLUMNS.items():
            default = {"channel": sa.text("'smtp'"), "smtp_security": sa.text("'starttls'")}.get(name)
            batch.add_column(sa.Column(name, kind, nullable=default is None, server_default=default))
    if rows:
        from app import crypto

        for row in rows:
            values = json.loads(crypto.decrypt(row.settings))
            update = _old_columns(row.channel, values, crypto.encrypt)
            if update:
                assignments = ", ".join(f"{key} = :{key}" for key in update)
                connection.execute(
                    sa.text(f"UPDATE stores SET {assignments} WHERE id = :id"),  # noqa: S608 - our names
                    {**update, "id": row.store_id},
                )
    op.drop_table("whatsapp_templates")
    op.drop_table("sending_domains")
    op.drop_table("channel_settings")


def _old_columns(channel: str, values: dict[str, Any], hide: Any) -> dict[str, Any]:
    def secret(value: Any) -> Any:
        return hide(value) if value else None

    if channel == "smtp":
        return {
            "sender_email": values.get("from_email"),
            "smtp_host": values.get("host"),
            "smtp_port": values.get("port"),
            "smtp_security": values.get("security", "starttls"),
            "smtp_username": values.get("username"),
            "smtp_password": secret(values.get("password")),
        }
    if channel in ("sms", "whatsapp"):
        return {
            "twilio_account_sid": values.get("account_sid"),
            "twilio_auth_token": secret(values.get("auth_token")),
            f"{channel}_from": values.get("number"),
        }
    if channel == "webhook":
        return {"hook_url": values.get("url"), "hook_secret": secret(values.get("secret"))}
    return {}
