"""The one-click check-in answer: ``/c/<token>?answer=happy|unhappy``.

Mail scanners open links before people do, so opening the link only shows the question with the
answer pre-selected; the answer is recorded by the button (a POST). The token names the store and
the order and is signed for this one purpose; a tampered or expired token changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app import feedback, signing
from app.links import Links
from app.messages.compose import choose_locale
from app.models import Customer, Order, Store
from app.web import current_services

bp = Blueprint("public", __name__, template_folder="templates")

WORDS = {
    "en": {
        "question": "Is everything right with your order {number}?",
        "happy": "Yes, all good",
        "unhappy": "Not quite",
        "thanks_happy": "Thank you! We're glad it's right.",
        "thanks_unhappy": "Thank you for telling us. Someone from {store} will be in touch soon.",
        "already": "Thank you, we already have your answer.",
        "dir": "ltr",
    },
    "ar": {
        "question": "هل كل شيء على ما يرام في طلبك {number}؟",
        "happy": "نعم، كل شيء ممتاز",
        "unhappy": "ليس تمامًا",
        "thanks_happy": "شكرًا لك! يسعدنا أن كل شيء على ما يرام.",
        "thanks_unhappy": "شكرًا لإخبارنا. سيتواصل معك فريق {store} قريبًا.",
        "already": "شكرًا لك، وصلتنا إجابتك من قبل.",
        "dir": "rtl",
    },
    "fa": {
        "question": "همه‌چیز دربارهٔ سفارش {number} درست است؟",
        "happy": "بله، همه‌چیز عالی است",
        "unhappy": "نه کاملاً",
        "thanks_happy": "ممنونیم! خوشحالیم که همه‌چیز درست است.",
        "thanks_unhappy": "ممنون که گفتید. همکاران {store} به‌زودی با شما تماس می‌گیرند.",
        "already": "ممنونیم، پاسخ شما را قبلاً دریافت کرده‌ایم.",
        "dir": "rtl",
    },
}


def _load(token: str) -> tuple[int, int]:
    try:
        return Links(current_services().settings).read_check_in(token)
    except signing.TokenInvalid as exc:
        abort(400, description=f"Sorry, {exc}.")


@bp.route("/c/<token>", methods=["GET", "POST"])
def check_in(token: str) -> str:
    store_id, order_id = _load(token)
    with current_services().db.session() as session:
        store = session.get(Store, store_id)
        order = session.get(Order, order_id)
        if store is None or order is None or order.store_id != store.id:
            abort(404, description="This order is no longer available.")
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        locale = choose_locale(order.locale, customer.locale if customer else None, store.default_locale)
        words = {
            key: value.format(number=order.number, store=store.name) for key, value in WORDS[locale].items()
        }
        answer = request.values.get("answer", "")
        if request.method == "POST":
            if answer not in feedback.ANSWERS:
                abort(400, description="Please choose one of the two answers.")
            recorded = feedback.record_check_in(session, store, order, answer)
            message = words[f"thanks_{answer}"] if recorded else words["already"]
            return render_template(
                "public/check_in.html", words=words, locale=locale, done=message, store=store
            )
        return render_template(
            "public/check_in.html", words=words, locale=locale, done=None, store=store, selected=answer
        )
