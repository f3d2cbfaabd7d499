"""The migrations build exactly the models' schema, and tear it down again, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import migrate
from app.db import make_engine
from app.models import Base
from tests.conftest import POSTGRES_URL


@pytest.fixture
def empty_database(backend, tmp_path) -> Iterator[str]:
    if backend[0] == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"aftercare_migr_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_upgrade_matches_models_and_downgrade_removes_everything(empty_database):
    migrate.upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        assert differences == []
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)

        migrate.downgrade(empty_database)
        engine.dispose()
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        migrate.upgrade(empty_database)  # and up again: the downgrade left nothing in the way
        engine.dispose()
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_0015_moves_the_channel_columns_into_encrypted_channel_settings(empty_database):
    """A store saved before channels were a layer: its SMTP server, Twilio account and webhook become
    channel settings (whole rows encrypted), its sender address its Reply-To, its default channel the
    first choice of every step; and back down again."""
    from cryptography.fernet import Fernet
    from sqlalchemy import text

    from app import channel_settings, crypto
    from app.db import Database
    from app.models import Store

    crypto.configure([Fernet.generate_key().decode()])
    migrate.upgrade(empty_database, "0011")
    engine = make_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO stores (platform, external_id, name, status, default_locale, timezone,"
                    " currency, channel, sender_name, sender_email, smtp_host, smtp_port, smtp_security,"
                    " smtp_username, smtp_password, twilio_account_sid, twilio_auth_token, sms_from,"
                    " hook_url, hook_secret, journey, created_at, updated_at) VALUES ('sandbox', 's1',"
                    " 'Tea', 'active', 'en', 'UTC', 'USD', 'webhook', 'Tea & Things', 'hi@tea.example',"
                    " 'smtp.tea.example', 587, 'starttls', 'tea', :password, 'AC1', :token, '+14155550100',"
                    " 'https://hooks.tea.example/in', :secret, '', :now, :now)"
                ),
                {
                    "password": crypto.encrypt("smtp-pass"),
                    "token": crypto.encrypt("twilio-token"),
                    "secret": crypto.encrypt("hook-secret"),
                    "now": "2026-11-30 10:00:00+00:00",
                },
            )
            connection.execute(  # a row that belongs to the store: rebuilding ``stores`` must keep it
                text(
                    "INSERT INTO job_leases (job, store_id, holder, lease_until)"
                    " SELECT 'replan', id, 'w1', '2026-11-30 10:00:00+00:00' FROM stores"
                )
            )
        migrate.upgrade(empty_database)
        engine.dispose()
        with engine.connect() as connection:
            raw = connection.execute(text("SELECT channel, settings FROM channel_settings")).all()
        assert sorted(channel for channel, _ in raw) == ["sms", "smtp", "webhook"]
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM job_leases")).scalar_one() == 1
        assert all("smtp-pass" not in value and "AC1" not in value for _, value in raw)
        db = Database(empty_database)
        with db.session() as session:
            store = session.query(Store).one()
            ctx = channel_settings.context(session, store)
            assert (ctx.settings["smtp"].host, ctx.settings["smtp"].password) == (
                "smtp.tea.example",
                "smtp-pass",
            )
            assert (
                ctx.settings["sms"].number == "+14155550100"
                and ctx.settings["webhook"].secret == "hook-secret"
            )
            assert store.reply_to == "hi@tea.example" and "whatsapp" not in ctx.settings
            assert '"channels": ["webhook"]' in store.journey
        db.dispose()
        migrate.downgrade(empty_database, "0011")
        engine.dispose()
        with engine.connect() as connection:
            row = connection.execute(text("SELECT smtp_host, smtp_password, hook_url FROM stores")).one()
        assert (
            row[0] == "smtp.tea.example" and crypto.decrypt(row[1]) == "smtp-pass" and row[2].endswith("/in")
        )
    finally:
        engine.dispose()
