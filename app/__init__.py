"""Aftercare: post-purchase journeys for Shopify and WooCommerce stores.

``create_app`` is the only place that wires things together: settings, the database, the
connectors, the blueprints and the command-line commands. The scheduler process builds the same
application to get the same wiring.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from app import crypto
from app.config import Settings, load_settings
from app.db import Database
from connectors import netguard, registry
from connectors.base import Connector

QUIET_LOGGERS = ("alembic.runtime.plugins", "apscheduler.scheduler", "apscheduler.executors.default")


@dataclass
class Services:
    """What views, commands and jobs need; reachable as ``app.extensions["aftercare"]``."""

    settings: Settings
    db: Database
    connectors: dict[str, Connector]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides config.toml and the environment (tests use it)."""
    settings = load_settings(config)
    crypto.configure(settings.encryption_keys)
    netguard.configure(public_only=settings.is_production)  # nothing fetched from our own network
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in QUIET_LOGGERS:  # one line per job run or plugin is noise, not information
        logging.getLogger(chatty).setLevel(logging.WARNING)

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.webhook_max_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_NAME="aftercare_session",
    )
    app.extensions["aftercare"] = Services(
        settings=settings,
        db=Database(settings.database_url),
        connectors=registry.build(settings.connector_options()),
    )

    from app import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app


def services(app: Flask) -> Services:
    return app.extensions["aftercare"]
