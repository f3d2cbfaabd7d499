"""Platform name -> connector. Adding a platform is one folder under ``connectors/`` and one line here."""

from __future__ import annotations

from connectors.base import Connector
from connectors.sandbox import SandboxConnector
from connectors.woocommerce import WooCommerceConnector

CONNECTORS: dict[str, type[Connector]] = {
    "sandbox": SandboxConnector,
    "woocommerce": WooCommerceConnector,
}


def build() -> dict[str, Connector]:
    """One instance of every connector, keyed by platform name."""
    return {name: cls() for name, cls in CONNECTORS.items()}
