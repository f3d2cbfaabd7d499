"""The sandbox store's own mail server: accepts everything on loopback and keeps it as ``.eml`` files.

A real store's SMTP relay sits here in production; in the demo this is where the customer's email
lands, so a newcomer can open what was sent.
"""

from __future__ import annotations

import argparse
import logging
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("aftercare.sandbox.mailbox")


class MailboxHandler:
    """aiosmtpd handler writing each accepted message to ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        self._count += 1
        data: bytes = envelope.original_content or envelope.content
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{self._count:05d}.eml"
        path.write_bytes(data)
        parsed = message_from_bytes(data, policy=policy.default)
        log.info("mail for %s: %s (%s)", ", ".join(envelope.rcpt_tos), parsed["Subject"], path)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description="The sandbox store's SMTP server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default="var/mailbox", help="where received messages are written")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    controller = Controller(MailboxHandler(Path(args.dir)), hostname=args.host, port=args.port)
    controller.start()
    log.info("sandbox mail server listening on %s:%s, writing to %s/", args.host, args.port, args.dir)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
