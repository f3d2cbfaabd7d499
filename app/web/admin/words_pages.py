"""The sentences of the checklist, the plans, the block editor and the order statuses in Arabic and
Persian (kept beside ``words.py`` and merged into its catalogues)."""

from __future__ import annotations

# English: (Arabic, Persian)
PAIRS: dict[str, tuple[str, str]] = {
    "A few minutes, once: then Aftercare writes to every customer at the right moment.": (
        "بضع دقائق مرة واحدة، ثم يكتب أفتركير لكل عميل في الوقت المناسب.",
        "چند دقیقه، یک بار: از آن پس افترکر در زمان درست برای هر مشتری می‌نویسد.",
    ),
    "This page refreshes itself every {seconds} seconds.": (
        "تتحدّث هذه الصفحة تلقائيًا كل {seconds} ثانية.",
        "این صفحه هر {seconds} ثانیه خودش تازه می‌شود.",
    ),
    "Stop refreshing": ("أوقف التحديث", "توقف تازه‌سازی"),
    "More": ("المزيد", "بیشتر"),
    "More: SMS, WhatsApp and your own system": (
        "المزيد: الرسائل النصية وواتساب ونظامك الخاص",
        "بیشتر: پیامک، واتساپ و سامانهٔ خودتان",
    ),
    "Each message, and how long after its moment it goes. The rest of each step is under More.": (
        "كل رسالة، وبعد كم من لحظتها تُرسل. باقي إعدادات كل خطوة تحت «المزيد».",
        "هر پیام و اینکه چه مدت پس از لحظه‌اش فرستاده می‌شود. بقیهٔ تنظیمات هر گام زیر «بیشتر» است.",
    ),
    "Add a block": ("أضف قسمًا", "افزودن بخش"),
    "Aftercare starts writing to your customers about new orders.": (
        "يبدأ أفتركير بمراسلة عملائك عن الطلبات الجديدة.",
        "افترکر نوشتن به مشتریان دربارهٔ سفارش‌های تازه را آغاز می‌کند.",
    ),
    "All is well": ("كل شيء على ما يرام", "همه‌چیز درست است"),
    "Approve the charge": ("وافق على الرسوم", "تأیید هزینه"),
    "Awaiting payment": ("بانتظار الدفع", "در انتظار پرداخت"),
    "Back to blocks": ("العودة إلى الأقسام", "بازگشت به بخش‌ها"),
    "Button": ("زر", "دکمه"),
    "Button label": ("نص الزر", "متن دکمه"),
    "Cancelled": ("ملغى", "لغوشده"),
    "Check the journey": ("راجع رحلة العميل", "مسیر مشتری را بررسی کنید"),
    "Choose {plan}": ("اختر {plan}", "انتخاب {plan}"),
    "Code": ("كود", "کد"),
    "Code (HTML and Jinja)": ("كود (HTML وJinja)", "کد (HTML و Jinja)"),
    "Code view": ("عرض الكود", "نمای کد"),
    "Completed": ("مكتمل", "تکمیل‌شده"),
    "Continue": ("تابع", "ادامه"),
    "Do it now": ("افعلها الآن", "همین حالا انجام دهید"),
    "Edit as code": ("حرّر ككود", "ویرایش به‌صورت کد"),
    "Email": ("البريد", "ایمیل"),
    "Filled in from each order when the message is sent.": (
        "يُملأ من كل طلب عند إرسال الرسالة.",
        "هنگام فرستادن پیام از هر سفارش پر می‌شود.",
    ),
    "Finish setting up: {done} of {total} done.": (
        "أكمل الإعداد: أُنجز {done} من {total}.",
        "راه‌اندازی را تمام کنید: {done} از {total} انجام شده.",
    ),
    "Free": ("مجاني", "رایگان"),
    "Get started": ("ابدأ", "شروع"),
    "Go live": ("ابدأ الإرسال", "شروع ارسال"),
    "Growth": ("النمو", "رشد"),
    "Heading": ("عنوان", "عنوان"),
    "Hide this list": ("أخفِ هذه القائمة", "پنهان کردن این فهرست"),
    "Leads to": ("يؤدي إلى", "پیوند به"),
    "Move down": ("انقل للأسفل", "انتقال به پایین"),
    "Move up": ("انقل للأعلى", "انتقال به بالا"),
    "On hold": ("معلّق", "در انتظار"),
    "Over your plan, nothing stops mid-journey: every journey under way carries on and you are told at "
    "once.": (
        "إذا تجاوزت خطتك فلن يتوقف شيء في منتصف الرحلة: تستمر كل رحلة بدأت ونُعلمك فورًا.",
        "اگر از طرح خود فراتر بروید هیچ مسیری نیمه‌کاره نمی‌ماند: هر مسیر آغازشده ادامه می‌یابد و "
        "بی‌درنگ باخبر می‌شوید.",
    ),
    "Paid": ("مدفوع", "پرداخت‌شده"),
    "Payment failed": ("فشل الدفع", "پرداخت ناموفق"),
    "Plan": ("الخطة", "طرح"),
    "Refunded": ("مسترد", "بازپرداخت‌شده"),
    "Remove": ("احذف", "حذف"),
    "Scale": ("التوسع", "گسترش"),
    "See plans": ("اطّلع على الخطط", "دیدن طرح‌ها"),
    "See the review request as your customers will, in your language.": (
        "شاهد طلب التقييم كما سيراه عملاؤك، بلغتك.",
        "درخواست نظر را همان‌طور که مشتریان می‌بینند، به زبان خودتان ببینید.",
    ),
    "Send a test message to yourself": ("أرسل رسالة تجريبية إلى نفسك", "یک پیام آزمایشی برای خودتان بفرستید"),
    "Set who your emails come from": ("حدّد مرسل رسائلك", "فرستندهٔ ایمیل‌هایتان را تعیین کنید"),
    "Something is not right": ("شيء ما ليس على ما يرام", "چیزی درست نیست"),
    "Test charges: nobody is billed outside production.": (
        "رسوم تجريبية: لا يُحاسب أحد خارج بيئة الإنتاج.",
        "هزینهٔ آزمایشی: بیرون از محیط اصلی از کسی پولی گرفته نمی‌شود.",
    ),
    "Text": ("نص", "متن"),
    "The charge was not approved; your plan is unchanged.": (
        "لم تتم الموافقة على الرسوم؛ خطتك كما هي.",
        "هزینه تأیید نشد؛ طرح شما تغییری نکرد.",
    ),
    "The email as HTML and Jinja, made from the blocks above.": (
        "البريد بصيغة HTML وJinja، مصنوعًا من الأقسام أعلاه.",
        "ایمیل به‌صورت HTML و Jinja، ساخته‌شده از بخش‌های بالا.",
    ),
    "The first recommended product": ("أول منتج مقترح", "نخستین کالای پیشنهادی"),
    "The order's items": ("منتجات الطلب", "کالاهای سفارش"),
    "The parcel's tracking page": ("صفحة تتبع الشحنة", "صفحهٔ رهگیری مرسوله"),
    "The plan was not changed: {reason}": ("لم تتغير الخطة: {reason}", "طرح تغییر نکرد: {reason}"),
    "The products to review": ("المنتجات المطلوب تقييمها", "کالاهایی که باید نظر داد"),
    "The recommendations": ("المنتجات المقترحة", "کالاهای پیشنهادی"),
    "The review page": ("صفحة التقييم", "صفحهٔ نظر"),
    "Times in {zone}.": ("الأوقات بتوقيت {zone}.", "زمان‌ها به وقت {zone}."),
    "Trial until": ("الفترة التجريبية حتى", "دورهٔ آزمایشی تا"),
    "Up to {count} messages a month": ("حتى {count} رسالة في الشهر", "تا {count} پیام در ماه"),
    "Waiting for your approval": ("بانتظار موافقتك", "در انتظار تأیید شما"),
    "Which messages go, and how long after each moment. Our defaults suit most stores.": (
        "أي الرسائل تُرسل، وبعد كم من كل لحظة. إعداداتنا الافتراضية تناسب معظم المتاجر.",
        "کدام پیام‌ها و چه مدت پس از هر لحظه فرستاده شوند. پیش‌فرض‌های ما برای بیشتر فروشگاه‌ها مناسب است.",
    ),
    "You are on the {plan} plan.": ("أنت الآن على خطة {plan}.", "اکنون طرح شما {plan} است."),
    "You have sent more messages this month than your plan includes. Journeys under way carry on; new orders "
    "get only their order and delivery updates until you choose a larger plan or the month turns.": (
        "أرسلت هذا الشهر رسائل أكثر مما تشمله خطتك. تستمر الرحلات التي بدأت، وتحصل الطلبات الجديدة على "
        "رسائل الطلب والتوصيل فقط حتى تختار خطة أكبر أو يبدأ شهر جديد.",
        "این ماه بیش از آنچه طرح شما دارد پیام فرستاده‌اید. مسیرهای آغازشده ادامه می‌یابند؛ سفارش‌های تازه "
        "تا زمانی که طرح بزرگ‌تری برگزینید یا ماه عوض شود، فقط پیام‌های سفارش و تحویل را می‌گیرند.",
    ),
    "Your new plan starts once you approve the charge.": (
        "تبدأ خطتك الجديدة بعد موافقتك على الرسوم.",
        "طرح تازهٔ شما پس از تأیید هزینه آغاز می‌شود.",
    ),
    "Your plan": ("خطتك", "طرح شما"),
    "Your sender name and address, and the mail server that sends for you.": (
        "اسم المرسل وعنوانه، وخادم البريد الذي يرسل عنك.",
        "نام و نشانی فرستنده، و سرور ایمیلی که از طرف شما می‌فرستد.",
    ),
    "done": ("مُنجز", "انجام شد"),
    "every 30 days": ("كل 30 يومًا", "هر ۳۰ روز"),
    "plan alert": ("تنبيه الخطة", "هشدار طرح"),
    "to do": ("لم يُنجز", "انجام نشده"),
    "{days}-day free trial": ("فترة تجريبية مجانية {days} يومًا", "{days} روز آزمایش رایگان"),
    "{done} of {total} done": ("أُنجز {done} من {total}", "{done} از {total} انجام شده"),
    "{sent} of {limit} messages sent this month": (
        "أُرسلت {sent} من {limit} رسالة هذا الشهر",
        "{sent} از {limit} پیام این ماه فرستاده شد",
    ),
    "You are live. Aftercare now writes to your customers about new orders.": (
        "بدأ الإرسال. يكتب أفتركير الآن لعملائك عن الطلبات الجديدة.",
        "ارسال آغاز شد. افترکر اکنون دربارهٔ سفارش‌های تازه برای مشتریانتان می‌نویسد.",
    ),
    "Shopify could not be reached; try again in a moment.": (
        "تعذّر الوصول إلى Shopify؛ حاول بعد قليل.",
        "دسترسی به Shopify ممکن نشد؛ کمی بعد دوباره بکوشید.",
    ),
    "Paid plans are not offered here yet; the free plan stays in force.": (
        "الخطط المدفوعة غير متاحة هنا بعد؛ تبقى الخطة المجانية سارية.",
        "طرح‌های پولی هنوز اینجا عرضه نمی‌شوند؛ طرح رایگان برقرار می‌ماند.",
    ),
    "The billing service could not be reached; try again in a moment.": (
        "تعذّر الوصول إلى خدمة الفوترة؛ حاول بعد قليل.",
        "دسترسی به سرویس صورت‌حساب ممکن نشد؛ کمی بعد دوباره بکوشید.",
    ),
    "The billing service declined the plan.": ("رفضت خدمة الفوترة الخطة.", "سرویس صورت‌حساب طرح را نپذیرفت."),
}

AR = {english: pair[0] for english, pair in PAIRS.items()}
FA = {english: pair[1] for english, pair in PAIRS.items()}
