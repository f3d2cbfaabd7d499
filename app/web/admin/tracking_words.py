"""The Tracking settings page's words in Arabic and Persian (English is the key)."""

from __future__ import annotations

from collections.abc import Callable

CATALOGUES: dict[str, dict[str, str]] = {
    "ar": {
        "Tracking": "التتبع",
        "Carrier events beyond the platform": "أحداث الشحن من خارج المنصة",
        "Connect a tracking source and its events join each parcel's history; the customer's "
        "tracking page and messages follow them.": "اربط مصدر تتبع لتنضم أحداثه إلى سجل كل شحنة، "
        "وتتبعها صفحة التتبع ورسائل العميل.",
        "Connected": "متصل",
        "Not connected": "غير متصل",
        "Needs attention": "يحتاج إلى انتباه",
        "Save and check": "حفظ وتحقق",
        "Disconnect": "فصل",
        "Leave blank to keep the saved one.": "اتركه فارغًا للإبقاء على المحفوظ.",
        "Webhook address (paste it in the source's webhook settings):": "عنوان الويب هوك (الصقه في إعدادات المصدر):",  # noqa: E501
        "Checked and saved: {source} accepted these details.": "تم التحقق والحفظ: قبل {source} هذه البيانات.",
        "{source} disconnected.": "تم فصل {source}.",
        "Not saved: {reason}": "لم يُحفظ: {reason}",
        "Tracking page": "صفحة التتبع",
        "Logo address (https)": "عنوان الشعار (https)",
        "Colour (#rrggbb)": "اللون (#rrggbb)",
        "Help page (https)": "صفحة المساعدة (https)",
        "Return policy (https)": "سياسة الإرجاع (https)",
        "Save": "حفظ",
        "Saved.": "تم الحفظ.",
        "{field} must be an https address.": "يجب أن يكون {field} عنوان https.",
        "The colour must be written #rrggbb.": "يجب كتابة اللون بالشكل #rrggbb.",
        "Last refused: {reason}": "آخر رفض: {reason}",
        "Delivery times by carrier": "مدد التوصيل حسب شركة الشحن",
        "Carrier": "شركة الشحن",
        "Parcels delivered": "الشحنات المسلّمة",
        "Median days": "الوسيط بالأيام",
        "Middle half": "النصف الأوسط",
        "Estimate held": "صحة التقدير",
        "Tracking page views": "مشاهدات صفحة التتبع",
        "unknown": "غير معروف",
        "API key": "مفتاح API",
        "Webhook secret": "سرّ الويب هوك",
        "User name": "اسم المستخدم",
        "Password": "كلمة المرور",
        "Account number": "رقم الحساب",
        "Account PIN": "الرقم السري للحساب",
        "Account entity (e.g. RUH)": "كيان الحساب (مثل RUH)",
        "Account country code (e.g. SA)": "رمز دولة الحساب (مثل SA)",
        "API key (DHL Developer Portal)": "مفتاح API (بوابة مطوري DHL)",
        "{field} is needed.": "الحقل «{field}» مطلوب.",
        "{source} refused these details.": "رفض {source} هذه البيانات.",
        "{source} could not be reached to check them: {reason}": "تعذّر الوصول إلى {source} للتحقق منها: {reason}",  # noqa: E501
    },
    "fa": {
        "Tracking": "پیگیری",
        "Carrier events beyond the platform": "رویدادهای حمل از بیرون پلتفرم",
        "Connect a tracking source and its events join each parcel's history; the customer's "
        "tracking page and messages follow them.": "یک منبع پیگیری وصل کنید تا رویدادهایش به سابقهٔ "
        "هر مرسوله بپیوندد و صفحهٔ پیگیری و پیام‌های مشتری از آن پیروی کنند.",
        "Connected": "وصل است",
        "Not connected": "وصل نیست",
        "Needs attention": "نیاز به توجه",
        "Save and check": "ذخیره و بررسی",
        "Disconnect": "قطع اتصال",
        "Leave blank to keep the saved one.": "برای نگه داشتن مقدار ذخیره‌شده خالی بگذارید.",
        "Webhook address (paste it in the source's webhook settings):": "نشانی وب‌هوک (در تنظیمات وب‌هوک منبع بچسبانید):",  # noqa: E501
        "Checked and saved: {source} accepted these details.": "بررسی و ذخیره شد: {source} این مشخصات را پذیرفت.",  # noqa: E501
        "{source} disconnected.": "اتصال {source} قطع شد.",
        "Not saved: {reason}": "ذخیره نشد: {reason}",
        "Tracking page": "صفحهٔ پیگیری",
        "Logo address (https)": "نشانی لوگو (https)",
        "Colour (#rrggbb)": "رنگ (#rrggbb)",
        "Help page (https)": "صفحهٔ راهنما (https)",
        "Return policy (https)": "سیاست مرجوعی (https)",
        "Save": "ذخیره",
        "Saved.": "ذخیره شد.",
        "{field} must be an https address.": "{field} باید نشانی https باشد.",
        "The colour must be written #rrggbb.": "رنگ باید به شکل #rrggbb نوشته شود.",
        "Last refused: {reason}": "آخرین رد: {reason}",
        "Delivery times by carrier": "زمان تحویل به تفکیک شرکت حمل",
        "Carrier": "شرکت حمل",
        "Parcels delivered": "مرسوله‌های تحویل‌شده",
        "Median days": "میانهٔ روزها",
        "Middle half": "نیمهٔ میانی",
        "Estimate held": "درستی برآورد",
        "Tracking page views": "بازدید صفحهٔ پیگیری",
        "unknown": "نامشخص",
        "API key": "کلید API",
        "Webhook secret": "رمز وب‌هوک",
        "User name": "نام کاربری",
        "Password": "گذرواژه",
        "Account number": "شمارهٔ حساب",
        "Account PIN": "پین حساب",
        "Account entity (e.g. RUH)": "واحد حساب (مثلاً RUH)",
        "Account country code (e.g. SA)": "کد کشور حساب (مثلاً SA)",
        "API key (DHL Developer Portal)": "کلید API (درگاه توسعه‌دهندگان DHL)",
        "{field} is needed.": "«{field}» لازم است.",
        "{source} refused these details.": "{source} این مشخصات را نپذیرفت.",
        "{source} could not be reached to check them: {reason}": "برای بررسی به {source} دسترسی نشد: {reason}",  # noqa: E501
    },
}


def translator(lang: str, fallback: Callable[[str], str]) -> Callable[[str], str]:
    catalogue = CATALOGUES.get(lang, {})
    return lambda text: catalogue.get(text) or fallback(text)
