"""Platform name -> connector. Adding a platform is one folder under ``connectors/`` and one line here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Connector
from connectors.sandbox import SandboxConnector
from connectors.shopify import ShopifyConnector
from connectors.woocommerce import WooCommerceConnector

CONNECTORS: dict[str, type[Connector]] = {
    "sandbox": SandboxConnector,
    "shopify": ShopifyConnector,
    "woocommerce": WooCommerceConnector,
}


def build(options: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Connector]:
    """One instance of every connector, keyed by platform name; ``options[platform]`` are its
    keyword arguments (an app-wide API secret, say), from the settings."""
    options = options or {}
    return {name: cls(**options.get(name, {})) for name, cls in CONNECTORS.items()}
