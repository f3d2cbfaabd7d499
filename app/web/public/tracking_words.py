"""The tracking page's words in English, Arabic and Persian, and each parcel status as a customer
reads it."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "dir": "ltr",
        "title": "Order {number}",
        "parcel": "Parcel {n} of {count}",
        "preparing": "We're getting your order ready. You'll hear from us as soon as it ships.",
        "estimate": "Expected {range}",
        "estimate_range": "between {earliest} and {latest}",
        "estimate_day": "on {earliest}",
        "delivered_on": "Delivered on {date}",
        "carrier": "Carrier",
        "number": "Tracking number",
        "carrier_link": "Follow it on {carrier}'s site",
        "history": "History",
        "no_history": "No scans yet: the carrier's first update usually comes within a day of shipping.",
        "items": "In this order",
        "help": "Help with this order",
        "returns": "Returns",
        "contact": "Contact {store}",
        "rate": "How would you rate {title}?",
        "stars": "{n} out of 5 stars",
        "recommend": "You might also like",
        "not_found_title": "We can't find this order",
        "not_found": (
            "This tracking link is not valid or has expired. "
            "Please use the latest link from your emails, or contact the store."
        ),
    },
    "ar": {
        "dir": "rtl",
        "title": "الطلب {number}",
        "parcel": "الشحنة {n} من {count}",
        "preparing": "نجهّز طلبك الآن، وسنراسلك فور شحنه.",
        "estimate": "الوصول المتوقع {range}",
        "estimate_range": "بين {earliest} و{latest}",
        "estimate_day": "في {earliest}",
        "delivered_on": "تم التسليم في {date}",
        "carrier": "شركة الشحن",
        "number": "رقم التتبع",
        "carrier_link": "تابعها على موقع {carrier}",
        "history": "سجل الشحنة",
        "no_history": "لا تحديثات بعد: يصل أول تحديث من شركة الشحن عادةً خلال يوم من الشحن.",
        "items": "محتويات الطلب",
        "help": "المساعدة في هذا الطلب",
        "returns": "الإرجاع",
        "contact": "تواصل مع {store}",
        "rate": "ما تقييمك لـ{title}؟",
        "stars": "{n} من 5 نجوم",
        "recommend": "قد يعجبك أيضًا",
        "not_found_title": "لم نجد هذا الطلب",
        "not_found": (
            "رابط التتبع هذا غير صالح أو انتهت صلاحيته. استخدم أحدث رابط في رسائلك أو تواصل مع المتجر."
        ),
    },
    "fa": {
        "dir": "rtl",
        "title": "سفارش {number}",
        "parcel": "مرسولهٔ {n} از {count}",
        "preparing": "سفارشتان در حال آماده‌سازی است و به محض ارسال خبرتان می‌کنیم.",
        "estimate": "زمان تقریبی رسیدن: {range}",
        "estimate_range": "بین {earliest} و {latest}",
        "estimate_day": "{earliest}",
        "delivered_on": "تحویل‌شده در {date}",
        "carrier": "شرکت حمل",
        "number": "کد رهگیری",
        "carrier_link": "پیگیری در سایت {carrier}",
        "history": "سابقهٔ مرسوله",
        "no_history": "هنوز خبری نیست: نخستین خبر شرکت حمل معمولاً تا یک روز پس از ارسال می‌رسد.",
        "items": "اقلام این سفارش",
        "help": "کمک دربارهٔ این سفارش",
        "returns": "مرجوعی",
        "contact": "تماس با {store}",
        "rate": "به {title} چه امتیازی می‌دهید؟",
        "stars": "{n} از ۵ ستاره",
        "recommend": "شاید این‌ها را هم بپسندید",
        "not_found_title": "این سفارش پیدا نشد",
        "not_found": (
            "این لینک پیگیری معتبر نیست یا منقضی شده است. "
            "از تازه‌ترین لینک ایمیل‌هایتان استفاده کنید یا با فروشگاه تماس بگیرید."
        ),
    },
}

STATUSES: dict[str, tuple[str, str, str]] = {
    "label_created": ("Label created", "تم إنشاء بوليصة الشحن", "برچسب ارسال صادر شد"),
    "in_transit": ("On its way", "في الطريق", "در راه"),
    "out_for_delivery": ("Out for delivery", "خرجت للتوصيل", "در مسیر تحویل"),
    "delivered": ("Delivered", "تم التسليم", "تحویل شد"),
    "attempted_delivery": ("Delivery attempted", "محاولة توصيل لم تنجح", "تلاش ناموفق برای تحویل"),
    "delayed": ("Delayed", "متأخرة", "با تأخیر"),
    "failure": ("Delivery problem", "مشكلة في التوصيل", "مشکل در تحویل"),
    "ready_for_pickup": ("Ready for pickup", "جاهزة للاستلام", "آمادهٔ تحویل حضوری"),
    "unknown": ("Update from the carrier", "تحديث من شركة الشحن", "خبر تازه از شرکت حمل"),
    "no_movement": (
        "No news from the carrier for a while",
        "لا جديد من شركة الشحن منذ مدة",
        "مدتی است خبری از شرکت حمل نیست",
    ),
}
LANGUAGES = ("en", "ar", "fa")


def status(word: str, locale: str) -> str:
    found = STATUSES.get(word)
    return found[LANGUAGES.index(locale)] if found else word.replace("_", " ")
