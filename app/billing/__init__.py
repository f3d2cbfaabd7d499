"""The store's plan: what it may send each month, what it pays, and how the platform charges it.

``plans`` names the plans; ``usage`` counts a month's messages; ``state`` is the only writer of a
store's plan columns and says when a store is over its plan; ``providers`` charges through the
platform (Shopify's Billing API) or the operator's own billing hook (WooCommerce, the sandbox).
"""
