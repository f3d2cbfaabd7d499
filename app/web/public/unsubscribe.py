"""One-click unsubscribe: ``/u/<token>``, the target of every refusable message's link and of its
``List-Unsubscribe`` header.

- ``POST`` with the body ``List-Unsubscribe=One-Click`` (RFC 8058, sent by the mail client without
  cookies or a page) stops that message's kind at once.
- ``GET`` only shows the page, in the customer's language, with each kind they may stop; mail scanners
  open links, so opening one changes nothing. Its form posts the customer's choice, which also lets
  them resume a kind they stopped.

The token names the store, the order and the kind, signed for this one purpose: it is the
permission of that order's own contact (the choice is kept on the address the order is known by, its
email or else its phone, and reaches nobody else sharing the account or a phone number), so the page
needs no session (and so no CSRF token).
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import Session

from app import consent, signing
from app.links import Links
from app.messages.compose import choose_locale
from app.models import Customer, Order, Store
from app.web import current_services

bp = Blueprint("unsubscribe", __name__, template_folder="templates")
ONE_CLICK = "List-Unsubscribe=One-Click"

WORDS = {
    "en": {
        "title": "Your emails from {store}",
        "intro": "Choose what you no longer want to receive. Order and delivery updates always reach you.",
        "service": "Check-ins after your parcel arrives",
        "review": "Requests to review what you bought",
        "marketing": "Recommendations and offers",
        "save": "Save my choice",
        "done": "Done. {store} will not send you these any more.",
        "saved": "Saved. Your choice applies from now on.",
        "dir": "ltr",
    },
    "ar": {
        "title": "رسائلك من {store}",
        "intro": "اختر ما لا تريد أن يصلك بعد الآن. تحديثات الطلب والتوصيل تصلك دائمًا.",
        "service": "رسائل الاطمئنان بعد وصول طلبك",
        "review": "طلبات تقييم ما اشتريته",
        "marketing": "الاقتراحات والعروض",
        "save": "حفظ اختياري",
        "done": "تم. لن يرسل إليك {store} هذه الرسائل بعد الآن.",
        "saved": "تم الحفظ. يسري اختيارك من الآن.",
        "dir": "rtl",
    },
    "fa": {
        "title": "ایمیل‌های شما از {store}",
        "intro": "انتخاب کنید چه چیزهایی دیگر برایتان فرستاده نشود. "
        "خبرهای سفارش و ارسال همیشه به دستتان می‌رسد.",
        "service": "پیام‌های احوال‌پرسی پس از رسیدن مرسوله",
        "review": "درخواست نظر دربارهٔ خریدتان",
        "marketing": "پیشنهادها و تخفیف‌ها",
        "save": "ذخیرهٔ انتخاب من",
        "done": "انجام شد. {store} دیگر این پیام‌ها را برایتان نمی‌فرستد.",
        "saved": "ذخیره شد. انتخاب شما از همین حالا اعمال می‌شود.",
        "dir": "rtl",
    },
}


@bp.route("/u/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> str | tuple[str, int]:
    try:
        store_id, holder, holder_id, kind = Links(current_services().settings).read_unsubscribe(token)
    except signing.TokenInvalid as exc:
        abort(400, description=f"Sorry, {exc}.")
    if kind not in consent.CHOOSABLE:
        abort(400, description="Sorry, this link is not valid.")
    with current_services().db.session() as session:
        store = session.get(Store, store_id)
        addresses, locale = _whose(session, store, holder, holder_id)
        if store is None or not addresses:
            abort(404, description="There is nothing to unsubscribe from any more.")
        locale = choose_locale(locale, store.default_locale)
        words = {key: value.format(store=store.name) for key, value in WORDS[locale].items()}
        stopped = consent.stopped(session, store, addresses)
        done = None
        if request.method == "POST":
            if request.get_data(as_text=True).strip() == ONE_CLICK:
                stopped = stopped | {kind}
                done = words["done"]
            else:
                stopped = {k for k in request.form.getlist("stop") if k in consent.CHOOSABLE}
                done = words["saved"]
            consent.choose(
                session,
                store,
                addresses,
                stopped & set(consent.CHOOSABLE),
                f"{words['title']}: {words['marketing']}",
            )
        return render_template(
            "public/unsubscribe.html",
            words=words,
            locale=locale,
            kinds=consent.CHOOSABLE,
            stopped=stopped if done else stopped | {kind},  # the link's own kind comes pre-ticked
            done=done,
        )


def _whose(
    session: Session, store: Store | None, holder: str, holder_id: int
) -> tuple[list[str], str | None]:
    """The addresses a link speaks for, and their language: the order's own contact; for links from
    before orders kept one, the customer row's."""
    if store is None:
        return [], None
    if holder == "order":
        order = session.get(Order, holder_id)
        if order is None or order.store_id != store.id or not order.email:
            return [], None
        return ([order.contact] if order.contact else []), order.locale
    customer = session.get(Customer, holder_id)
    if customer is None or customer.store_id != store.id or not customer.email:
        return [], None
    return [a for a in (customer.email.lower(), customer.phone or "") if a], customer.locale
