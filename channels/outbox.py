"""Development channel: writes each email as an ``.eml`` file instead of sending it."""

from __future__ import annotations

from pathlib import Path

from channels.base import Outgoing, Sender, TransientChannelError, Undeliverable, to_mime


class OutboxChannel:
    name = "outbox"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def send(self, sender: Sender, outgoing: Outgoing) -> str:
        if not outgoing.to_address:
            raise Undeliverable("the customer has no email address we may write to")
        safe_id = "".join(
            ch if ch.isalnum() or ch in "-_." else "_" for ch in outgoing.message_id.strip("<>")
        )
        path = self.folder / f"{safe_id}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(to_mime(sender, outgoing)))
        except OSError as exc:
            raise TransientChannelError(f"cannot write {path}: {exc}") from exc
        return str(path)
