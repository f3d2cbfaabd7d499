"""Alembic environment: the URL comes from the caller (app.migrate) or from the app's settings."""

from __future__ import annotations

from alembic import context

from app.db import make_engine
from app.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from app.config import load_settings

    return load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations rebuild a table (copy, drop, rename); with foreign keys enforced, dropping
            # ``stores`` would cascade to every order and message. SQLite ignores this pragma inside a
            # transaction, so it goes to the driver first, before the migration's BEGIN.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # before any BEGIN
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
