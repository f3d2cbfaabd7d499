"""Marketing opt-ins that WooCommerce marketing plugins record on the order, read from its ``meta_data``.

WooCommerce core records no marketing consent (its checkout blocks have no opt-in of their own), so a
store's customers only have one through a plugin. Where each widely used plugin writes it was read in
the plugin's own source:

- Mailchimp for WooCommerce (``mailchimp/mc-woocommerce``): ``mailchimp_woocommerce_is_subscribed``
  on the order, from the classic checkout's box (``1``/``0``, ``MailChimp_Newsletter::handleStatus``)
  and from the checkout block (``true``/``false``, ``order_processed``); SMS, when the merchant turned
  it on, ``mailchimp_woocommerce_sms_subscribed`` (true) with the number the buyer typed in
  ``mailchimp_woocommerce_sms_phone`` (``handleSmsStatus``). Nothing is written when SMS is off.
- Kit, formerly ConvertKit, for WooCommerce: ``ckwc_opt_in``, ``yes`` or ``no``.
- MailerLite for WooCommerce: ``_woo_ml_subscribe`` (true) only when the box was ticked. WooCommerce's
  REST API returns underscored order meta (only the data store's own internal keys are left out).

MailPoet (``mailpoet/mailpoet``, ``WooCommerce\\Subscription``) and Klaviyo's plugin keep the checkout
box's answer in their own subscriber lists, not on the order, so nothing here can read them.

A box ticked at checkout was ticked when the order was placed: that is the evidence's time, so a later
update of the order (it shipped) restating an old "no" never overrides a "yes" given since.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.base import ConsentSnapshot

MAILCHIMP_EMAIL = "mailchimp_woocommerce_is_subscribed"
MAILCHIMP_SMS = "mailchimp_woocommerce_sms_subscribed"
MAILCHIMP_SMS_PHONE = "mailchimp_woocommerce_sms_phone"
KIT = "ckwc_opt_in"
MAILERLITE = "_woo_ml_subscribe"

YES = ("1", "yes", "true", "on")
NO = ("0", "no", "false", "off", "")


def _flag(value: Any) -> bool | None:
    """A plugin's stored answer: true, false, or None when it is not an answer at all."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value == 1 if value in (0, 1) else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YES:
            return True
        if word in NO:
            return False
    return None


def consents(meta: Mapping[str, Any], placed_at: datetime) -> tuple[ConsentSnapshot, ...]:
    """The opt-ins the order's meta holds, per channel; the first plugin with an answer speaks for a
    channel (a store runs one marketing plugin)."""
    found: dict[str, ConsentSnapshot] = {}
    for key, source in (
        (MAILCHIMP_EMAIL, "mailchimp-for-woocommerce"),
        (KIT, "kit-for-woocommerce"),
        (MAILERLITE, "mailerlite-woocommerce"),
    ):
        answer = _flag(meta.get(key)) if key in meta else None
        if answer is None or "email" in found:
            continue
        found["email"] = ConsentSnapshot("email", answer, source, at=placed_at)
    if _flag(meta.get(MAILCHIMP_SMS)) is True:
        phone = meta.get(MAILCHIMP_SMS_PHONE)
        number = phone.strip() if isinstance(phone, str) and phone.strip() else None
        if number is None or len(number) <= 32:
            found["sms"] = ConsentSnapshot(
                "sms", True, "mailchimp-for-woocommerce", at=placed_at, address=number
            )
    return tuple(found.values())
