"""Channel name -> implementation. A new channel is one module here and one line in ``build``."""

from __future__ import annotations

from app.config import Settings
from connectors.base import Connector
from scheduler.channels.base import Channel
from scheduler.channels.outbox import OutboxChannel
from scheduler.channels.smtp import SmtpChannel
from scheduler.channels.store_note import StoreNoteChannel


def build(settings: Settings, connectors: dict[str, Connector] | None = None) -> dict[str, Channel]:
    return {
        "smtp": SmtpChannel(),
        "outbox": OutboxChannel(settings.outbox_dir),
        "store_note": StoreNoteChannel(connectors or {}),
    }
