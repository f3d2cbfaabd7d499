"""Why something happened to a message, as a code with parameters, worded per language when shown.

The planner, the outbox and the dispatcher say *why* with a :class:`Reason` (``order_paid`` at a
time, ``unsubscribed`` from a kind, ``retrying`` after a server's reply) and never with prose, so the
merchant reads the same fact in English, Arabic or Persian, and a test or a query can ask for the code.
A reason's parameters are plain JSON (dates as ISO strings, nested reasons as ``{"code", "params"}``)
so it is stored as it is, on the message and on the order's timeline.

``words(reason, locale, zone)`` is the only place that turns one into a sentence. A code it does not
know (a newer release wrote it, or a row from before codes existed: ``legacy``) is shown by its
``text`` parameter or its code, never an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from babel.dates import format_date

from app.messages.localise import digits, number

LANGUAGES = ("en", "ar", "fa")


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        """A reason; datetimes become ISO strings and nested reasons plain mappings, so the result is
        JSON as it stands."""
        return cls(code, {key: _plain(value) for key, value in params.items() if value is not None})

    def with_(self, **params: Any) -> Reason:
        """The same reason with more parameters (a modifier such as ``window=True``)."""
        return Reason.of(self.code, **{**self.params, **params})

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}

    def dumps(self) -> str:
        return json.dumps(dict(self.params), ensure_ascii=False, sort_keys=True) if self.params else ""

    @classmethod
    def loads(cls, code: str | None, params: str | None) -> Reason:
        """A stored reason; an unreadable parameter column reads as no parameters."""
        try:
            loaded = json.loads(params) if params else {}
        except ValueError:
            loaded = {}
        return cls(code or "", loaded if isinstance(loaded, dict) else {})

    def __str__(self) -> str:
        return words(self, "en")


def legacy(text: str) -> Reason:
    """A sentence written before reasons had codes."""
    return Reason.of("legacy", text=text)


def text(words: str) -> Reason:
    """Words from outside that no catalogue can translate: a template's error, a server's reply."""
    return Reason.of("text", text=words)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Reason):
        return value.as_json()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# --- the words ---------------------------------------------------------------------------------------
# Each entry: English, Arabic, Persian. Placeholders: {at} a date, {because} a nested reason, {problem}
# a parcel problem, {kind} a kind of message, {status} an order status, anything else as given.

SENTENCES: dict[str, tuple[str, str, str]] = {
    # what the journey counts from
    "order_placed": ("order placed on {at}", "تم الطلب في {at}", "سفارش در {at} ثبت شد"),
    "order_placed_cod": (
        "order placed on {at} (cash on delivery)",
        "تم الطلب في {at} (الدفع عند الاستلام)",
        "سفارش در {at} ثبت شد (پرداخت در محل)",
    ),
    "order_paid": ("order paid on {at}", "دُفع الطلب في {at}", "سفارش در {at} پرداخت شد"),
    "order_shipped": ("order shipped on {at}", "شُحن الطلب في {at}", "سفارش در {at} ارسال شد"),
    "delivered": ("delivered on {at}", "تم التوصيل في {at}", "در {at} تحویل داده شد"),
    "assumed_delivered": (
        "assumed delivered on {at}, {days} days after shipping",
        "يُفترض أنه وصل في {at}، بعد {days} أيام من الشحن",
        "فرض بر این است که در {at}، {days} روز پس از ارسال، رسیده است",
    ),
    "group_arrived": (
        "the last of the customer's recent orders arrived on {at}",
        "وصل آخر طلبات العميل الأخيرة في {at}",
        "آخرین سفارش اخیر مشتری در {at} رسید",
    ),
    "parcel_left": (
        "the parcel left the warehouse on {at}",
        "غادرت الشحنة المستودع في {at}",
        "مرسوله در {at} از انبار خارج شد",
    ),
    "out_for_delivery": (
        "the parcel went out for delivery on {at}",
        "خرجت الشحنة للتوصيل في {at}",
        "مرسوله در {at} برای تحویل بیرون رفت",
    ),
    "carrier_delivered": (
        "the carrier delivered the parcel on {at}",
        "سلّمت شركة الشحن الطلب في {at}",
        "شرکت حمل مرسوله را در {at} تحویل داد",
    ),
    "carrier_problem": (
        "the carrier reported {problem} on {at}",
        "أبلغت شركة الشحن عن {problem} في {at}",
        "شرکت حمل در {at} {problem} را گزارش داد",
    ),
    "review_request_sent": (
        "review request sent on {at}",
        "أُرسل طلب التقييم في {at}",
        "درخواست نظر در {at} فرستاده شد",
    ),
    # holds and waits
    "parcel_problem": (
        "held: the parcel reported {problem} on {at}",
        "معلّق: أبلغت الشحنة عن {problem} في {at}",
        "در انتظار: برای مرسوله در {at} {problem} گزارش شد",
    ),
    "waiting_payment": ("waiting for the payment", "بانتظار الدفع", "در انتظار پرداخت"),
    "waiting_shipment": ("waiting for the order to ship", "بانتظار شحن الطلب", "در انتظار ارسال سفارش"),
    "waiting_delivery": ("waiting for the delivery", "بانتظار التوصيل", "در انتظار تحویل"),
    "waiting": ("waiting", "بالانتظار", "در انتظار"),
    "waiting_review_request": (
        "waiting for the review request to be sent",
        "بانتظار إرسال طلب التقييم",
        "در انتظار فرستادن درخواست نظر",
    ),
    # why not at all
    "step_off": (
        "the merchant turned this step off",
        "أوقف التاجر هذه الخطوة",
        "فروشنده این مرحله را خاموش کرده است",
    ),
    "store_uninstalled": (
        "the store uninstalled Aftercare",
        "أزال المتجر تطبيق Aftercare",
        "فروشگاه Aftercare را حذف کرد",
    ),
    "redacted": (
        "the customer's data was erased at the store's request",
        "حُذفت بيانات العميل بطلب من المتجر",
        "داده‌های مشتری به درخواست فروشگاه پاک شد",
    ),
    "suppressed": (
        "the customer's address is on the suppression list",
        "عنوان العميل في قائمة الحظر",
        "نشانی مشتری در فهرست مسدودها است",
    ),
    "no_address": (
        "the customer left no email address",
        "لم يترك العميل بريدًا إلكترونيًا",
        "مشتری نشانی ایمیلی نگذاشته است",
    ),
    "unsubscribed": (
        "the customer unsubscribed from {kind} emails",
        "ألغى العميل اشتراكه في رسائل {kind}",
        "مشتری اشتراک ایمیل‌های {kind} را لغو کرده است",
    ),
    "no_marketing_consent": (
        "the customer has not agreed to marketing on this step's channels",
        "لم يوافق العميل على الرسائل التسويقية",
        "مشتری با ایمیل‌های تبلیغاتی موافقت نکرده است",
    ),
    "marketing_paused": (
        "marketing is paused for this customer: {because}",
        "التسويق متوقف لهذا العميل: {because}",
        "تبلیغات برای این مشتری متوقف است: {because}",
    ),
    "unhappy_check_in": (
        "they said order {number} was not right on {at}",
        "قال إن الطلب {number} لم يكن على ما يرام في {at}",
        "گفت سفارش {number} در {at} درست نبود",
    ),
    "low_rating": (
        "they gave {product} {stars} stars on {at}",
        "منح {product} {stars} نجوم في {at}",
        "در {at} به {product} {stars} ستاره داد",
    ),
    "nps_detractor": (
        "they answered {score} out of 10 for order {number} on {at}",
        "أجاب بـ {score} من 10 عن الطلب {number} في {at}",
        "در {at} برای سفارش {number} نمرهٔ {score} از ۱۰ داد",
    ),
    "review_recorded": (
        "the customer rated {product} {stars} stars",
        "قيّم العميل {product} بـ {stars} نجوم",
        "مشتری به {product} {stars} ستاره داد",
    ),
    "low_rating_alert": (
        "the customer gave {product} {stars} stars (order {number})",
        "منح العميل {product} {stars} نجوم (الطلب {number})",
        "مشتری به {product} {stars} ستاره داد (سفارش {number})",
    ),
    "low_rating_reply": (
        "a reply to a low rating of {product}",
        "رد على تقييم منخفض لـ {product}",
        "پاسخ به امتیاز پایین {product}",
    ),
    "review_thanks": (
        "thanks for the review of {product}, with a code",
        "شكر على تقييم {product}، مع رمز خصم",
        "سپاس برای نظر دربارهٔ {product}، با کد تخفیف",
    ),
    "nps_recorded": (
        "the customer answered {score} out of 10",
        "أجاب العميل بـ {score} من 10",
        "مشتری نمرهٔ {score} از ۱۰ داد",
    ),
    "order_cancelled": ("the order was cancelled", "أُلغي الطلب", "سفارش لغو شد"),
    "order_refunded": ("the order was refunded", "استُرد مبلغ الطلب", "مبلغ سفارش بازپرداخت شد"),
    "payment_failed": ("the payment failed", "فشل الدفع", "پرداخت ناموفق بود"),
    "order_deleted": ("the order was deleted in the store", "حُذف الطلب في المتجر", "سفارش در فروشگاه حذف شد"),
    "merged_into": (
        "merged into the review request for order {number}",
        "دُمج في طلب تقييم الطلب {number}",
        "در درخواست نظر سفارش {number} ادغام شد",
    ),
    "merged_reminder": (
        "merged with another order's review request",
        "دُمج مع طلب تقييم طلب آخر",
        "با درخواست نظر سفارشی دیگر ادغام شد",
    ),
    "every_item_returned": (
        "every item was returned or refunded",
        "أُعيدت كل المنتجات أو استُرد ثمنها",
        "همهٔ کالاها برگشت داده یا بازپرداخت شدند",
    ),
    "every_item_reviewed": (
        "every item was already reviewed",
        "قُيّمت كل المنتجات من قبل",
        "همهٔ کالاها قبلاً نظر گرفته‌اند",
    ),
    "already_reviewed": (
        "the customer already left a review",
        "ترك العميل تقييمًا من قبل",
        "مشتری قبلاً نظر داده است",
    ),
    "review_request_not_sent": (
        "the review request was not sent",
        "لم يُرسل طلب التقييم",
        "درخواست نظر فرستاده نشد",
    ),
    "nothing_to_recommend": (
        "nothing to recommend that the customer has not bought",
        "لا شيء لاقتراحه لم يشتره العميل",
        "چیزی برای پیشنهاد نیست که مشتری نخریده باشد",
    ),
    # buy again
    "not_rebought": (
        "nothing in this order is something the store's customers buy again",
        "لا شيء في هذا الطلب مما يعيد عملاء المتجر شراءه",
        "در این سفارش چیزی نیست که مشتریان فروشگاه دوباره بخرند",
    ),
    "bought_again_since": (
        "the customer bought it again on {at}",
        "اشتراه العميل مجددًا في {at}",
        "مشتری در {at} دوباره آن را خرید",
    ),
    "rebuy_due": (
        "customers re-buy it every {days} days; bought on {at}",
        "يعيد العملاء شراءه كل {days} يومًا؛ اشتُري في {at}",
        "مشتریان هر {days} روز دوباره آن را می‌خرند؛ در {at} خریده شد",
    ),
    # why a product was recommended
    "rec_together": (
        "bought together in {orders} orders",
        "اشتُري معًا في {orders} طلبًا",
        "در {orders} سفارش با هم خریده شده",
    ),
    "rec_similar": (
        "bought by {customers} customers who buy what this customer buys",
        "اشتراه {customers} من العملاء الذين يشترون ما يشتريه هذا العميل",
        "{customers} مشتری که همان چیزهایی را می‌خرند که این مشتری می‌خرد آن را خریده‌اند",
    ),
    "rec_cross_sell": ("your cross-sell", "منتج البيع المتقاطع الذي اخترته", "فروش مکمل انتخابی شما"),
    "rec_upsell": ("your upsell", "منتج الترقية الذي اخترته", "پیشنهاد ارتقای انتخابی شما"),
    "rec_complementary": (
        "your complementary product in Search & Discovery",
        "منتجك المكمّل في Search & Discovery",
        "محصول مکمل شما در Search & Discovery",
    ),
    "rec_pinned": ("pinned by you", "ثبّتّه أنت", "سنجاق‌شده توسط شما"),
    "rec_rebought": (
        "re-bought every {days} days",
        "يُعاد شراؤه كل {days} يومًا",
        "هر {days} روز دوباره خریده می‌شود",
    ),
    "rec_best_seller": (
        "a best seller: {orders} orders in the last 4 weeks",
        "من الأكثر مبيعًا: {orders} طلبًا في آخر أربعة أسابيع",
        "پرفروش: {orders} سفارش در ۴ هفتهٔ اخیر",
    ),
    "ordered_again": (
        "the customer ordered again on {at}",
        "طلب العميل مجددًا في {at}",
        "مشتری در {at} دوباره سفارش داد",
    ),
    "no_tracking": ("the shipment has no tracking number", "الشحنة بلا رقم تتبع", "مرسوله کد رهگیری ندارد"),
    "already_delivered": (
        "the parcel was already delivered",
        "وصلت الشحنة من قبل",
        "مرسوله قبلاً تحویل شده است",
    ),
    "too_late": ("too late: {because}", "فات الأوان: {because}", "دیر شده است: {because}"),
    "replaced": ("a newer update replaced it", "حلّ محله تحديث أحدث", "به‌روزرسانی تازه‌تری جای آن را گرفت"),
    "no_order": ("the order no longer exists", "لم يعد الطلب موجودًا", "سفارش دیگر وجود ندارد"),
    "no_recipient": ("there is no one to send it to", "لا يوجد من يُرسل إليه", "کسی برای فرستادن نیست"),
    "no_alert_address": (
        "the store has no address to alert",
        "لا يملك المتجر عنوانًا للتنبيه",
        "فروشگاه نشانی‌ای برای هشدار ندارد",
    ),
    # the merchant's own hand
    "merchant_cancelled": ("cancelled by the merchant", "ألغاه التاجر", "فروشنده لغو کرد"),
    "merchant_send_now": ("sent now by the merchant", "أرسله التاجر الآن", "فروشنده همین حالا فرستاد"),
    "over_plan": (
        "the store is over its {plan} plan this month; this order's journey began after it was told",
        "تجاوز المتجر خطة {plan} هذا الشهر؛ وبدأت رحلة هذا الطلب بعد إعلامه",
        "فروشگاه این ماه از طرح {plan} فراتر رفته است؛ مسیر این سفارش پس از آگاه‌شدن آغاز شد",
    ),
    "over_plan_alert": (
        "the store sent more than the {limit} messages its {plan} plan includes this month",
        "أرسل المتجر هذا الشهر أكثر من {limit} رسالة تشملها خطة {plan}",
        "فروشگاه این ماه بیش از {limit} پیامِ طرح {plan} فرستاده است",
    ),
    "check_in_unhappy_alert": (
        "the customer said order {number} was not right",
        "قال العميل إن الطلب {number} لم يكن على ما يرام",
        "مشتری گفت سفارش {number} درست نبود",
    ),
    "no_movement_alert": (
        "order {number}'s parcel {label} has had no news from {carrier} since {at}",
        "لا جديد عن شحنة الطلب {number} ({label}) من {carrier} منذ {at}",
        "از {at} خبری از مرسولهٔ {label} سفارش {number} از {carrier} نرسیده است",
    ),
    # sending
    "unknown_channel": ("unknown channel {channel}", "قناة غير معروفة {channel}", "کانال ناشناخته {channel}"),
    "template_failed": (
        "the template could not be rendered: {error}",
        "تعذّر إنشاء الرسالة من القالب: {error}",
        "قالب ساخته نشد: {error}",
    ),
    "channel_waiting": (
        "waiting for the store's channel to come back ({tried})",
        "بانتظار عودة قناة المتجر ({tried})",
        "در انتظار بازگشت کانال فروشگاه ({tried})",
    ),
    "retrying": (
        "retrying after a failed attempt ({error})",
        "إعادة المحاولة بعد محاولة فاشلة ({error})",
        "تلاش دوباره پس از یک تلاش ناموفق ({error})",
    ),
    "refused": ("{error}", "{error}", "{error}"),
    "offer_refused": (
        "the store did not create the offer code, so the message was not sent: {error}",
        "لم ينشئ المتجر رمز العرض، فلم تُرسل الرسالة: {error}",
        "فروشگاه کد تخفیف را نساخت، پس پیام فرستاده نشد: {error}",
    ),
    "offer_waiting": (
        "waiting for the store to create the offer code ({error})",
        "بانتظار أن ينشئ المتجر رمز العرض ({error})",
        "در انتظار ساخت کد تخفیف در فروشگاه ({error})",
    ),
    "gave_up": (
        "gave up after {attempts} attempts: {error}",
        "توقفت المحاولة بعد {attempts} محاولات: {error}",
        "پس از {attempts} تلاش رها شد: {error}",
    ),
    "channel_fallback": (
        "sent by {used}: the step's earlier channels could not take it ({tried})",
        "أُرسلت عبر {used}: تعذّر على القنوات السابقة للخطوة إرسالها ({tried})",
        "با {used} فرستاده شد: کانال‌های پیشین این مرحله نتوانستند ({tried})",
    ),
    "no_channel": (
        "no channel could reach the customer: {tried}",
        "لم تصل أي قناة إلى العميل: {tried}",
        "هیچ کانالی به مشتری نرسید: {tried}",
    ),
    "legacy": ("{text}", "{text}", "{text}"),
    "text": ("{text}", "{text}", "{text}"),  # words from outside (a template's error, a server's reply)
}

# Clauses added to a reason to send: what moved it from its ideal moment.
MODIFIERS: dict[str, tuple[str, str, str]] = {
    "longer_delay": (
        " (a product in it asks for a longer wait before reviews)",
        " (أحد منتجاته يتطلب انتظارًا أطول قبل التقييم)",
        " (یکی از کالاهایش پیش از نظرخواهی صبر بیشتری می‌خواهد)",
    ),
    "window": (
        "; moved into the send window in the customer's time zone",
        "؛ نُقل إلى نافذة الإرسال بتوقيت العميل",
        "؛ به بازهٔ ارسال در ساعت محلی مشتری منتقل شد",
    ),
    "capped": (
        "; deferred so the customer gets at most one message per frequency cap",
        "؛ أُجّل كي لا يتلقى العميل أكثر من رسالة واحدة في كل فترة",
        "؛ به تعویق افتاد تا مشتری در هر بازه بیش از یک پیام نگیرد",
    ),
}

PROBLEM_WORDS: dict[str, tuple[str, str, str]] = {
    "attempted_delivery": ("a failed delivery attempt", "محاولة توصيل فاشلة", "تلاش ناموفق برای تحویل"),
    "delayed": ("a delay", "تأخيرًا", "تأخیر"),
    "failure": ("a delivery failure", "فشلًا في التوصيل", "شکست در تحویل"),
    "no_movement": ("no movement", "عدم تحرك الشحنة", "بی‌حرکتی مرسوله"),
}
KIND_WORDS: dict[str, tuple[str, str, str]] = {
    "service": ("service", "الخدمة", "خدماتی"),
    "review": ("review", "التقييم", "نظرخواهی"),
    "marketing": ("marketing", "التسويق", "تبلیغاتی"),
}


def words(reason: Reason, locale: str = "en", zone: str = "UTC") -> str:
    """The reason as a sentence in ``locale`` (en, ar or fa), dates in ``zone``."""
    index = LANGUAGES.index(locale) if locale in LANGUAGES else 0
    sentence = SENTENCES.get(reason.code)
    if sentence is None:
        return str(reason.params.get("text") or reason.code.replace("_", " "))
    values = {key: _value(key, value, index, zone) for key, value in reason.params.items()}
    try:
        text = sentence[index].format_map(_Blank(values))
    except (ValueError, IndexError):  # a stored sentence with stray braces: show it as given
        text = sentence[index]
    for flag, clause in MODIFIERS.items():
        if reason.params.get(flag):
            text += clause[index]
    return text


class _Blank(dict[str, str]):
    """Missing parameters read as nothing, so an older row never breaks a page."""

    def __missing__(self, key: str) -> str:
        return ""


def _value(key: str, value: Any, index: int, zone: str) -> str:
    locale = LANGUAGES[index]
    if isinstance(value, Mapping) and "code" in value:
        return words(Reason.loads(str(value["code"]), json.dumps(value.get("params") or {})), locale, zone)
    if key == "problem":
        return PROBLEM_WORDS.get(str(value), (str(value),) * 3)[index]
    if key == "kind":
        return KIND_WORDS.get(str(value), (str(value),) * 3)[index]
    if key == "at" and isinstance(value, str):
        return short_date(value, locale, zone)
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value, locale)
    return str(value)


def short_date(iso: str, locale: str, zone: str = "UTC") -> str:
    """Day and month: "5 Nov", "5 نوفمبر", "۱۴ آبان" (the Solar Hijri calendar for Persian)."""
    try:
        moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):
        return iso
    if locale == "fa":
        persian = jdatetime.date.fromgregorian(date=moment.date(), locale="fa_IR")
        return digits(f"{persian.day} {persian.strftime('%B')}", locale)
    if locale == "en":
        return f"{moment.day} {moment:%b}"
    return format_date(moment.date(), format="d MMM", locale=locale)
