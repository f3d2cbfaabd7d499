"""The sandbox store's own mail server: accepts everything on loopback and keeps it as ``.eml`` files.

A real store's SMTP relay sits here in production; in the demo this is where the customer's email
lands, so a newcomer can open what was sent. Its customers also read it (``reviewers``): now and then
one rates an item from a review request or answers the check-in's NPS question.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from connectors.sandbox.reviewers import Reviewers

log = logging.getLogger("aftercare.sandbox.mailbox")


class MailboxHandler:
    """aiosmtpd handler writing each accepted message to ``folder``."""

    def __init__(self, folder: Path, reviewers: Reviewers | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._count = 0
        self.reviewers = reviewers
        self.acting: list[threading.Thread] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        self._count += 1
        data: bytes = envelope.original_content or envelope.content
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{self._count:05d}.eml"
        path.write_bytes(data)
        parsed = message_from_bytes(data, policy=policy.default)
        log.info("mail for %s: %s (%s)", ", ".join(envelope.rcpt_tos), parsed["Subject"], path)
        if self.reviewers is not None:
            actions = self.reviewers.decide(parsed)
            if actions:  # the customer clicks later, not inside our SMTP answer
                log.info("a customer of %s acts on it: %s", ", ".join(envelope.rcpt_tos), actions)
                worker = threading.Thread(target=self._act, args=(actions,), daemon=True)
                self.acting.append(worker)
                worker.start()
        return "250 Message accepted for delivery"

    def _act(self, actions: list) -> None:
        try:
            assert self.reviewers is not None  # noqa: S101 - only started with reviewers
            self.reviewers.perform(actions)
        except Exception:  # noqa: BLE001 - a customer's click failing must not stop the mail server
            log.exception("a sandbox customer's click failed")


def main() -> None:
    parser = argparse.ArgumentParser(description="The sandbox store's SMTP server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default="var/mailbox", help="where received messages are written")
    parser.add_argument(
        "--no-customers", action="store_true", help="nobody rates or answers anything from the mail"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    reviewers = None if args.no_customers else Reviewers()
    controller = Controller(MailboxHandler(Path(args.dir), reviewers), hostname=args.host, port=args.port)
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
