"""Channel name -> implementation. A new channel is one module here and one line in ``build``."""

from __future__ import annotations

from app.config import Settings
from scheduler.channels.base import Channel
from scheduler.channels.outbox import OutboxChannel
from scheduler.channels.smtp import SmtpChannel


def build(settings: Settings) -> dict[str, Channel]:
    return {
        "smtp": SmtpChannel(),
        "outbox": OutboxChannel(settings.outbox_dir),
    }
