"""Development channel: writes each email as an ``.eml`` file instead of sending it."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from channels import mime
from channels.base import (
    ChannelSettings,
    Outgoing,
    Reach,
    StoreContext,
    TransientChannelError,
    Undeliverable,
)


class OutboxChannel:
    name: ClassVar[str] = "outbox"
    title: ClassVar[str] = "Files (development)"
    reaches: ClassVar[Reach] = "email"
    Settings: ClassVar[type[ChannelSettings] | None] = None

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def configured(cls, store: StoreContext) -> bool:
        return True

    def send(self, store: StoreContext, outgoing: Outgoing) -> str:
        if not outgoing.to_address:
            raise Undeliverable("the customer has no email address we may write to")
        safe_id = "".join(
            ch if ch.isalnum() or ch in "-_." else "_" for ch in outgoing.message_id.strip("<>")
        )
        path = self.folder / f"{safe_id}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            address = store.address or f"store-{store.store_id}@aftercare.invalid"
            path.write_bytes(mime.to_bytes(store.name, address, outgoing, linesep="\n"))
        except OSError as exc:
            raise TransientChannelError(f"cannot write {path}: {exc}") from exc
        return str(path)
