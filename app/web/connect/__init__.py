"""Installing and connecting a store: one module a platform, each one blueprint.

These are the only views that name a platform: each drives its platform's own install or key
exchange and saves the store. The connectors stay pure; these views hold the database and the
session. Adding a platform with pages of its own is one module here and one line below.
"""

from __future__ import annotations

from app.web.connect import shopify, woocommerce

BLUEPRINTS = (woocommerce.bp, shopify.bp)
