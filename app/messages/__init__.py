"""Customer-facing messages: the default templates per locale, and rendering them safely."""
