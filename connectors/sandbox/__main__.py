"""Run the simulated store: ``python -m connectors.sandbox --config var/sandbox.json``.

Every few seconds it places an order; now and then it marks a cash-on-delivery order paid, cancels
an order, or delivers the same webhook twice, as real platforms do.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import requests

from connectors.sandbox.customers import Readers
from connectors.sandbox.store import SimulatedStore

log = logging.getLogger("aftercare.sandbox")


def main() -> None:
    parser = argparse.ArgumentParser(description="A simulated store sending orders to Aftercare")
    parser.add_argument(
        "--config", default="var/sandbox.json", help="written by `flask --app app demo-setup`"
    )
    parser.add_argument("--every", type=float, default=8.0, help="seconds between new orders")
    parser.add_argument("--count", type=int, default=0, help="stop after this many orders (0: never)")
    parser.add_argument(
        "--sign-in-file",
        default="var/sign-in-link.txt",
        help="the merchant's latest sign-in link, printed again now and then (`make link` renews it)",
    )
    parser.add_argument(
        "--mailbox", default="var/mailbox", help="where the sandbox mail server keeps what it receives"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    config = json.loads(Path(args.config).read_text())
    store = SimulatedStore(config["store_ref"], config["webhook_secret"], config["webhook_url"])
    log.info("sandbox store %s sending to %s", config["store_ref"], config["webhook_url"])
    if config.get("admin_url"):
        log.info("watch orders and emails arrive at %s", config["admin_url"])

    _wait_for(config["webhook_url"])
    for product in store.catalog_payloads():
        store.deliver("product.updated", product)

    app_url = config["webhook_url"].rsplit("/webhooks/", 1)[0]

    def buy_again(address: str) -> None:
        if address in store.customers:  # one of the store's customers, not the merchant's own test
            again = store.new_order(returning=address)
            store.deliver("order.created", again)
            parcels.append((again, store.shipment(again, "in_transit")))
            store.deliver("shipment.updated", parcels[-1][1])
            log.info("order %s: a customer came back after a click", again["number"])

    readers = Readers(Path(args.mailbox), app_url, store.rng, buy_again)
    waiting: list[dict] = []  # cash-on-delivery orders not yet paid
    parcels: list[tuple[dict, dict]] = []  # (order, parcel) on their way, moved one carrier step per round
    placed = 0
    reminded = 0.0
    while not args.count or placed < args.count:
        if time.monotonic() - reminded >= REMIND_SECONDS:
            _remind(Path(args.sign_in_file))
            reminded = time.monotonic()
        order = store.new_order()
        response = store.deliver("order.created", order)
        placed += 1
        log.info(
            "order %s (%s, %s) -> %s", order["number"], order["status"], order["locale"], response.status_code
        )
        if store.rng.random() < 0.1:
            log.info("delivering order %s again, as platforms sometimes do", order["number"])
            store.redeliver(response)
        if order["status"] == "pending":
            waiting.append(order)
        else:
            parcels.append((order, store.shipment(order, "in_transit")))
            store.deliver("shipment.updated", parcels[-1][1])
        if waiting and store.rng.random() < 0.3:
            earlier = waiting.pop(0)
            status = "cancelled" if store.rng.random() < 0.25 else "completed"
            store.deliver("order.updated", store.changed(earlier, status=status))
            log.info("order %s is now %s", earlier["number"], status)
        did = readers.round()
        if did["read"]:
            log.info(
                "customers read %(read)s emails: %(opened)s opened, %(clicked)s clicked, "
                "%(checked_in)s checked in, %(reviewed)s reviewed, %(ordered)s ordered again",
                did,
            )
        moved = [_advance(store, order, parcel) for order, parcel in parcels]
        parcels = [(order, parcel) for order, parcel in moved if parcel["status"] != "delivered"]
        time.sleep(args.every)


REMIND_SECONDS = 60.0


def _remind(path: Path) -> None:
    """The sign-in link scrolls away under the web's log: say it again, from the file, which `make
    link` renews (the link works once)."""
    if path.is_file():
        link = path.read_text().strip()
        log.info(
            "\n  Sign in to the sandbox store's pages: %s\n  (works once; `make link` prints a new one)\n",
            link,
        )


NEXT_STEP = {
    "in_transit": "out_for_delivery",
    "out_for_delivery": "delivered",
    "attempted_delivery": "delivered",
}


def _advance(store: SimulatedStore, order: dict, parcel: dict) -> tuple[dict, dict]:
    """Move a parcel one carrier step on; now and then the courier finds nobody home."""
    status = NEXT_STEP[parcel["status"]]
    if status == "delivered" and parcel["status"] == "out_for_delivery" and store.rng.random() < 0.15:
        status = "attempted_delivery"
    moved = store.shipment(order, status, previous=parcel)
    store.deliver("shipment.updated", moved)
    log.info("order %s: parcel %s", order["number"], status.replace("_", " "))
    return order, moved


def _wait_for(url: str, seconds: float = 60.0) -> None:
    """The web process may still be starting: refusing connections, or (gunicorn's socket is open
    before its workers have imported the app) accepting them and answering late. Wait for an answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url.rsplit("/webhooks/", 1)[0] + "/healthz", timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.5)
    raise SystemExit(f"Aftercare did not answer at {url} within {seconds:.0f}s")


if __name__ == "__main__":
    main()
