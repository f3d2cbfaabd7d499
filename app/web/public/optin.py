"""Our own double opt-in: ``/optin/<token>``, the thank-you's "Yes, send me offers".

The link reached the customer at the address the order was placed with, so following it proves the
address is theirs; ticking a channel and pressing the button is the yes, recorded with its proof
(``app.evidence``): where (``aftercare_opt_in``), when, and the exact words on the page, in the
customer's language. Mail scanners open links before people do, so opening the page records nothing;
only the button (a POST) does. The token names the store and the order, signed for this one purpose:
it is the permission of that order's own contact, so the page needs no session (and no CSRF token).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app import clock, evidence, signing
from app.journeys import reconcile
from app.links import Links
from app.messages.compose import choose_locale
from app.models import Order, Store
from app.web import current_services

bp = Blueprint("optin", __name__, template_folder="templates")

WORDS = {
    "en": {
        "title": "Offers from {store}",
        "statement": "Yes, send me offers from {store}: recommendations and discount codes. "
        "I can stop them at any time with the link in every message.",
        "email": "By email to {address}",
        "sms": "By text message to {address}",
        "whatsapp": "On WhatsApp at {address}",
        "button": "Yes, send me offers",
        "done": "Thank you! {store} will send you offers from now on. You can stop them at any time.",
        "none": "Tick at least one way to reach you.",
        "dir": "ltr",
    },
    "ar": {
        "title": "عروض {store}",
        "statement": "نعم، أرسلوا إليّ عروض {store}: الاقتراحات ورموز الخصم. "
        "أستطيع إيقافها في أي وقت بالرابط الموجود في كل رسالة.",
        "email": "بالبريد الإلكتروني إلى {address}",
        "sms": "برسالة نصية إلى {address}",
        "whatsapp": "عبر واتساب على {address}",
        "button": "نعم، أرسلوا إليّ العروض",
        "done": "شكرًا لك! سيرسل إليك {store} العروض من الآن. يمكنك إيقافها في أي وقت.",
        "none": "اختر طريقة واحدة على الأقل للتواصل معك.",
        "dir": "rtl",
    },
    "fa": {
        "title": "پیشنهادهای {store}",
        "statement": "بله، پیشنهادهای {store} را برایم بفرستید: پیشنهاد محصول و کد تخفیف. "
        "هر وقت بخواهم با پیوند داخل هر پیام لغوشان می‌کنم.",
        "email": "با ایمیل به {address}",
        "sms": "با پیامک به {address}",
        "whatsapp": "در واتس‌اپ به {address}",
        "button": "بله، پیشنهادها را بفرستید",
        "done": "ممنونیم! {store} از این پس پیشنهادها را برایتان می‌فرستد. "
        "هر وقت بخواهید می‌توانید لغوشان کنید.",
        "none": "دست‌کم یک راه برای تماس با خودتان انتخاب کنید.",
        "dir": "rtl",
    },
}
LABEL = {locale: words["button"] for locale, words in WORDS.items()}  # the thank-you's link


def reachable(order: Order) -> dict[str, str]:
    """The channels the order's own contact can be asked about, with the address on each."""
    found = {}
    if order.email:
        found["email"] = order.email
    if order.phone:
        found["sms"] = order.phone
        found["whatsapp"] = order.phone
    return found


@bp.route("/optin/<token>", methods=["GET", "POST"])
def optin(token: str) -> str | tuple[str, int]:
    try:
        store_id, order_id = Links(current_services().settings).read_optin(token)
    except signing.TokenInvalid as exc:
        abort(400, description=f"Sorry, {exc}.")
    with current_services().db.session() as session:
        store = session.get(Store, store_id)
        order = session.get(Order, order_id)
        if store is None or order is None or order.store_id != store.id or not order.contact:
            abort(404, description="There is nothing to sign up for any more.")
        locale = choose_locale(order.locale, store.default_locale)
        words = {key: value.replace("{store}", store.name) for key, value in WORDS[locale].items()}
        channels = reachable(order)
        labels = {name: words[name].replace("{address}", address) for name, address in channels.items()}
        chosen = {"email"} if "email" in channels else set(channels)
        done = problem = None
        if request.method == "POST":
            chosen = {name for name in request.form.getlist("channel") if name in channels}
            if not chosen:
                problem = words["none"]
            else:
                now = clock.now()
                evidence.record(
                    session,
                    store,
                    [
                        evidence.Evidence(
                            address=channels[name].lower() if name == "email" else channels[name],
                            channel=name,
                            granted=True,
                            source=evidence.OPT_IN,
                            at=now,
                            # the exact words on the page the person agreed to, as they read them
                            words=f"{words['statement']} {labels[name]}. [{words['button']}]",
                            write_back=True,
                        )
                        for name in sorted(chosen)
                    ],
                )
                # their journeys now include marketing: plan it at once
                reconcile.refresh_related(session, store, [order])
                done = words["done"]
        page = render_template(
            "public/optin.html",
            words=words,
            locale=locale,
            labels=labels,
            chosen=chosen,
            done=done,
            problem=problem,
        )
        return (page, 400) if problem else page
