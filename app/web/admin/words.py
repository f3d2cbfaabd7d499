"""The merchant pages in English, Arabic and Persian.

The pages are written in English; each sentence they show is looked up here by its English text.
A sentence missing from a language shows in English (a test lists every sentence the pages use and
checks that both languages have it), so a page is never blank. A catalogue in code rather than
gettext ``.mo`` files: the pages have a couple of hundred short strings, and nothing has to be
compiled on install.
"""

from __future__ import annotations

from collections.abc import Callable

from app.web.admin import review_words

AR: dict[str, str] = {
    "Items": "المنتجات",
    "Product": "المنتج",
    "SKU": "رمز المنتج",
    "Qty": "الكمية",
    "Price": "السعر",
    "Timeline": "السجل الزمني",
    "Nothing planned for this order.": "لا شيء مخطط لهذا الطلب.",
    "cash on delivery": "الدفع عند الاستلام",
    "planned": "مخطط",
    "waiting": "بالانتظار",
    "skipped": "متروك",
    "merchant alert": "تنبيه للتاجر",
    "Aftercare": "أفتركير",
    "Sections": "الأقسام",
    "Activity": "النشاط",
    "Orders": "الطلبات",
    "Journey": "رحلة العميل",
    "Messages": "الرسائل",
    "Dashboard": "لوحة المتابعة",
    "Tracking": "التتبع",
    "Language": "اللغة",
    "Change": "تغيير",
    "Resume sending": "استئناف الإرسال",
    "Pause everything": "إيقاف كل الإرسال مؤقتًا",
    "Sign out": "تسجيل الخروج",
    "Sign out everywhere": "الخروج من كل الأجهزة",
    "active": "يعمل",
    "paused": "متوقف مؤقتًا",
    "disconnected": "غير متصل",
    "uninstalled": "محذوف",
    "scheduled": "مجدول",
    "held": "معلّق",
    "sending": "يُرسل",
    "sent": "أُرسل",
    "failed": "فشل",
    "cancelled": "أُلغي",
    "Upcoming messages": "الرسائل القادمة",
    "When": "الموعد",
    "Step": "الخطوة",
    "Order": "الطلب",
    "Status": "الحالة",
    "Why": "السبب",
    "Actions": "الإجراءات",
    "Send now": "أرسل الآن",
    "Cancel": "إلغاء",
    "Nothing is waiting to be sent.": "لا توجد رسائل تنتظر الإرسال.",
    "Recent sends": "آخر ما أُرسل",
    "To": "إلى",
    "Channel": "القناة",
    "timeline": "السجل",
    "Nothing sent yet.": "لم يُرسل شيء بعد.",
    "The message was cancelled.": "أُلغيت الرسالة.",
    "The message goes out within a minute.": "ستُرسل الرسالة خلال دقيقة.",
    "Sending is paused. Messages wait until you resume.": "الإرسال متوقف مؤقتًا. تنتظر الرسائل حتى تستأنفه.",
    "Sending resumed.": "استؤنف الإرسال.",
    "Thank-you note": "رسالة الشكر",
    "Shipped": "تم الشحن",
    "Out for delivery": "خرج للتوصيل",
    "Delivered": "تم التوصيل",
    "Delivery problem": "مشكلة في التوصيل",
    "Check-in after delivery": "الاطمئنان بعد التوصيل",
    "Review request": "طلب التقييم",
    "Review reminder": "تذكير بالتقييم",
    "Recommendations": "اقتراحات المنتجات",
    "Come-back offer": "عرض العودة",
    "Buy again": "اشترِ مجددًا",
    "Pinned: it comes first in every recommendation.": "ثُبّت: يأتي أولًا في كل اقتراح.",
    "Excluded: it is never recommended.": "استُبعد: لن يُقترح أبدًا.",
    "The model decides again.": "يعود القرار إلى النموذج.",
    "Model built from {orders} orders on {at}; new orders join it as they arrive.": (
        "بُني النموذج من {orders} طلبًا في {at}؛ وتنضم إليه الطلبات الجديدة فور وصولها."
    ),
    "The model is built within the hour; until then best sellers are recommended.": (
        "يُبنى النموذج خلال ساعة؛ وحتى ذلك الحين تُقترح المنتجات الأكثر مبيعًا."
    ),
    "Recommended in the last {days} days": "ما اقتُرح في آخر {days} يومًا",
    "Revenue counts what the customer bought of that product within {days} days after the message.": (
        "تُحسب الإيرادات مما اشتراه العميل من ذلك المنتج خلال {days} يومًا بعد الرسالة."
    ),
    "Pin": "تثبيت",
    "Exclude": "استبعاد",
    "Let the model decide": "اترك القرار للنموذج",
    "Nothing recommended yet.": "لم يُقترح شيء بعد.",
    "Your pins and exclusions": "ما ثبّتّه وما استبعدته",
    "Pinned": "مثبّت",
    "Excluded": "مستبعد",
    "Product id": "معرّف المنتج",
    "Products customers buy again": "منتجات يعيد العملاء شراءها",
    "Re-bought every": "يُعاد شراؤه كل",
    "Customers who bought it again": "عملاء أعادوا شراءه",
    "{days} days": "{days} يومًا",
    "No product has been bought again often enough yet: the buy-again step waits.": (
        "لم يُعَد شراء أي منتج بما يكفي بعد: خطوة «اشترِ مجددًا» تنتظر."
    ),
    "transactional": "معاملات",
    "service": "خدمة",
    "review": "تقييم",
    "marketing": "تسويق",
    "placed": "إنشاء الطلب",
    "paid": "الدفع",
    "shipped": "الشحن",
    "delivered": "التوصيل",
    "previous": "الخطوة السابقة",
    "shipment_event": "حدث الشحنة",
    "minutes": "دقائق",
    "hours": "ساعات",
    "days": "أيام",
    "smtp": "البريد (SMTP)",
    "store_note": "بريد المتجر (ملاحظة الطلب)",
    "sms": "رسالة نصية",
    "whatsapp": "واتساب",
    "webhook": "نظامك (Webhook)",
    "outbox": "صندوق الصادر (تجربة)",
    "Nothing was saved: please correct the fields marked below.": (
        "لم يُحفظ شيء: صحّح الحقول المشار إليها أدناه."
    ),
    "Steps": "الخطوات",
    "On": "مفعّلة",
    "Counted from": "تُحسب من",
    "Default": "الافتراضي",
    "Sent when the carrier reports it": "تُرسل عندما تبلغ شركة الشحن بها",
    "Delay": "المهلة",
    "Unit": "الوحدة",
    "Send at any hour (ignore the send window)": "أرسل في أي ساعة (تجاهل نافذة الإرسال)",
    "Channels, in order of preference": "القنوات حسب الأفضلية",
    "Choice": "الخيار",
    "store default": "قناة المتجر",
    "When messages may go": "متى يُسمح بالإرسال",
    "Send window starts": "تبدأ نافذة الإرسال",
    "Send window ends": "تنتهي نافذة الإرسال",
    "Quiet days": "أيام بلا رسائل",
    "Monday": "الاثنين",
    "Tuesday": "الثلاثاء",
    "Wednesday": "الأربعاء",
    "Thursday": "الخميس",
    "Friday": "الجمعة",
    "Saturday": "السبت",
    "Sunday": "الأحد",
    "Not on the customer's public holidays": "ليس في العطل الرسمية لبلد العميل",
    "At most one message every (hours)": "رسالة واحدة على الأكثر كل (ساعة)",
    "Assume delivered after (days)": "اعتبر الطلب مُسلّمًا بعد (يوم)",
    "One review request for orders within (days)": "طلب تقييم واحد للطلبات المتقاربة خلال (يوم)",
    "Come-back offer code": "رمز عرض العودة",
    "Credit an order to a click within (days)": "احسب الطلب للنقرة إذا جاء خلال (يوم)",
    "Persian dates in the Solar Hijri calendar": "التواريخ الفارسية بالتقويم الهجري الشمسي",
    "Count email opens (a 1×1 image)": "عدّ مرات فتح البريد (صورة 1×1)",
    "Store": "المتجر",
    "Default language": "اللغة الافتراضية",
    "Time zone": "المنطقة الزمنية",
    "Sender and channels": "المرسل والقنوات",
    "Sender name": "اسم المرسل",
    "Sender address": "عنوان المرسل",
    "Reply-to address": "عنوان الرد",
    "SMTP server": "خادم SMTP",
    "SMTP port": "منفذ SMTP",
    "Security": "الحماية",
    "SMTP username": "اسم مستخدم SMTP",
    "SMTP password": "كلمة مرور SMTP",
    "unchanged": "بلا تغيير",
    "Twilio Account SID": "معرّف حساب Twilio",
    "Twilio Auth Token": "رمز مصادقة Twilio",
    "SMS number": "رقم الرسائل النصية",
    "WhatsApp sender": "رقم واتساب المرسل",
    "Your sending endpoint (webhook)": "عنوان نظام الإرسال الخاص بك (Webhook)",
    "Webhook secret": "سرّ الـ Webhook",
    "Save and apply to scheduled messages": "احفظ وطبّق على الرسائل المجدولة",
    "Test the SMTP connection": "اختبر الاتصال بخادم SMTP",
    "Saved. {moved} scheduled messages moved, {cancelled} cancelled, {scheduled} newly planned.": (
        "حُفظ. تغيّر موعد {moved} من الرسائل المجدولة، وأُلغيت {cancelled}، وجُدولت {scheduled} جديدة."
    ),
    "Saved. Your scheduled messages are being re-planned; this page shows the result.": (
        "حُفظ. يُعاد الآن جدولة رسائلك؛ ستعرض هذه الصفحة النتيجة."
    ),
    "Re-planning your scheduled messages with the new settings…": "نعيد جدولة رسائلك بالإعدادات الجديدة…",
    "Last change: {moved} scheduled messages moved, {cancelled} cancelled, {scheduled} newly planned.": (
        "آخر تغيير: تغيّر موعد {moved} من الرسائل، وأُلغيت {cancelled}، وجُدولت {scheduled} جديدة."
    ),
    "The SMTP server could not be used: {reason}": "تعذّر استخدام خادم SMTP: {reason}",
    "Connected and signed in to {host}.": "تم الاتصال وتسجيل الدخول إلى {host}.",
    "Each step's wording in each language. Ours is used until you change it.": (
        "نص كل خطوة بكل لغة. نستخدم نصّنا حتى تغيّره."
    ),
    "Kind": "النوع",
    "Edit": "تعديل",
    "yours": "نصّك",
    "Yours": "هذا نصّك",
    "Not saved": "لم يُحفظ",
    "Our wording; change it and save to make it yours.": "هذا نصّنا؛ عدّله واحفظه ليصبح نصّك.",
    "Subject": "العنوان",
    "Email body (HTML)": "نص البريد (HTML)",
    "SMS and WhatsApp text": "نص الرسالة النصية وواتساب",
    "Save": "حفظ",
    "Preview": "معاينة",
    "from your latest order": "من آخر طلب لديك",
    "from a sample order": "من طلب تجريبي",
    "Email preview": "معاينة البريد",
    "SMS": "رسالة نصية",
    "Send a test to me": "أرسل نسخة تجريبية إليّ",
    "Back to our wording": "العودة إلى نصّنا",
    "Variables you can use": "المتغيرات المتاحة",
    "Saved. New messages use this wording.": "حُفظ. الرسائل الجديدة تستخدم هذا النص.",
    "Back to our wording.": "عدنا إلى نصّنا.",
    "Test": "تجربة",
    "Set your sender or reply-to address first; the test goes there.": (
        "حدّد عنوان المرسل أو عنوان الرد أولًا؛ فالنسخة التجريبية تُرسل إليه."
    ),
    "The test could not be sent: {reason}": "تعذّر إرسال النسخة التجريبية: {reason}",
    "A test was sent to {address}.": "أُرسلت نسخة تجريبية إلى {address}.",
    "Period": "الفترة",
    "Last {days} days": "آخر {days} يومًا",
    "Revenue counts orders placed within {days} days after a click.": (
        "تُحسب الإيرادات من الطلبات التي تأتي خلال {days} أيام بعد النقر."
    ),
    "Messages sent": "الرسائل المرسلة",
    "Delivery failures": "إخفاقات الإرسال",
    "Clicks": "النقرات",
    "Reviews collected": "التقييمات المجمّعة",
    "Orders after a click": "طلبات بعد النقر",
    "Orders with its code": "طلبات برمزها",
    "A code for this customer alone (0: none)": "رمز لهذا العميل وحده (0: بلا رمز)",
    "Value": "القيمة",
    "percent": "نسبة مئوية",
    "amount": "مبلغ",
    "valid for (days)": "صالح لمدة (أيام)",
    "One shared come-back code (used when its code value is 0)": (
        "رمز عودة واحد مشترك (يُستخدم حين تكون قيمة الرمز 0)"
    ),
    "Enter an amount such as 10 or 7.50 (0: no code).": "أدخل قيمة مثل 10 أو 7.50 (0: بلا رمز).",
    "Choose a percentage or an amount.": "اختر نسبة مئوية أو مبلغًا.",
    "Enter a whole number of days.": "أدخل عددًا صحيحًا من الأيام.",
    "An order that used the code one of our messages carried counts for it; each order counts once.": (
        "الطلب الذي استُخدم فيه رمز حملته إحدى رسائلنا يُحسب لتلك الرسالة، ويُحسب كل طلب مرة واحدة."
    ),
    "Revenue": "الإيرادات",
    "Messages sent per step": "الرسائل المرسلة لكل خطوة",
    "Sent": "المرسلة",
    "Clicks, reviews and delivery failures": "النقرات والتقييمات وإخفاقات الإرسال",
    "Reviews": "التقييمات",
    "Failures": "الإخفاقات",
    "Revenue from orders placed after a click": "إيرادات الطلبات بعد النقر",
    "The numbers behind the charts": "الأرقام وراء الرسوم",
    "Recent orders and the messages Aftercare sent or will send": "أحدث الطلبات والرسائل المرسلة أو المجدولة",
    "No orders yet. They appear here as soon as the store sends them; this page refreshes itself.": (
        "لا طلبات بعد. ستظهر هنا حالما يرسلها المتجر؛ تتحدّث هذه الصفحة تلقائيًا."
    ),
    "Customer": "العميل",
    "Placed": "تاريخ الطلب",
    "Guest": "زائر",
    "none": "لا شيء",
    "Needs attention": "يحتاج إلى انتباهك",
    "needs attention": "يحتاج إلى انتباه",
    # connectors.woocommerce.client: keys that lost write access (the pages' "needs attention" banner)
    "Your store's API keys can read but not write, so Aftercare cannot switch its webhooks back on "
    "or add notes to orders.": (
        "مفاتيح واجهة برمجة متجرك تسمح بالقراءة دون الكتابة، لذلك لا يستطيع أفتركير إعادة تشغيل "
        "إشعارات الويب (webhooks) ولا إضافة ملاحظات إلى الطلبات."
    ),
    "In WooCommerce, open Settings → Advanced → REST API, give Aftercare's key Read/Write permission "
    "(or create a Read/Write key), and connect the store again.": (
        "في ووكومرس افتح الإعدادات ← متقدم ← REST API، وامنح مفتاح أفتركير صلاحية القراءة/الكتابة "
        "(أو أنشئ مفتاحًا للقراءة/الكتابة)، ثم اربط المتجر من جديد."
    ),
    # sending
    "Add these records at your domain's DNS provider, then check them.": "أضف هذه السجلات لدى مزوّد DNS لنطاقك، ثم افحصها.",  # noqa: E501
    "Add these records at your domain's DNS provider:": "أضف هذه السجلات لدى مزوّد DNS لنطاقك:",
    "Authenticate this domain": "وثّق هذا النطاق",
    "Authenticate your domain": "وثّق نطاقك",
    "Channels": "القنوات",
    "Check": "الفحص",
    "Check the records": "افحص السجلات",
    "Connect SMS, WhatsApp or Flow": "اربط الرسائل القصيرة أو واتساب أو Flow",
    "Copy": "نسخ",
    "WhatsApp templates": "قوالب واتساب",
    "sent for approval": "أُرسل للموافقة",
    "disabled": "معطّل",
    "unknown": "غير معروف",
    "none yet: each step's are made and sent to WhatsApp for approval within minutes.": "لا شيء بعد: تُنشأ قوالب كل خطوة وتُرسل إلى واتساب للموافقة خلال دقائق.",  # noqa: E501
    "Until WhatsApp approves a step's template, that step goes by its next channel, unless the customer wrote to you within the day.": "إلى أن يوافق واتساب على قالب خطوة ما، تُرسل تلك الخطوة عبر قناتها التالية، ما لم يكن العميل قد كتب إليك خلال اليوم.",  # noqa: E501
    "optional": "اختياري",
    "Send from your own address, signed with DKIM, so Gmail and Yahoo trust your mail.": "أرسل من عنوانك أنت، موقّعًا بـ DKIM، لكي يثق Gmail وYahoo ببريدك.",  # noqa: E501
    "Reach customers who read texts before email, or send through Shopify Flow.": "تواصل مع العملاء الذين يقرؤون الرسائل القصيرة قبل البريد، أو أرسل عبر Shopify Flow.",  # noqa: E501
    "In Twilio, paste this address as the webhook for “A message comes in” on this number:": "في Twilio، الصق هذا العنوان بوصفه الـ webhook لخيار “A message comes in” لهذا الرقم:",  # noqa: E501
    "Then we know when a customer writes to you: for 24 hours after, WhatsApp lets your messages go in your own words, without a template.": "هكذا نعرف متى يكتب إليك العميل: خلال 24 ساعة بعدها يسمح واتساب بإرسال رسائلك بكلماتك أنت، دون قالب.",  # noqa: E501
    "Then a customer who replies STOP gets no more texts from us, and START lets them through again.": "هكذا لا يتلقى العميل الذي يرد بـ STOP أي رسائل قصيرة أخرى منا، ويعيدها START من جديد.",  # noqa: E501
    "Email": "البريد الإلكتروني",
    "Empty every field and save to stop using it.": "أفرغ كل الحقول واحفظ للتوقف عن استخدامها.",
    "Files (development)": "ملفات (للتطوير)",
    "Fix it": "أصلحه",
    "Name": "الاسم",
    "No sender is set up: set up your own SMTP server below. Your messages wait until then.": "لا يوجد مرسِل مُعدّ: أعدّ خادم SMTP الخاص بك أدناه. تنتظر رسائلك حتى ذلك الحين.",  # noqa: E501
    "Password": "كلمة المرور",
    "Port": "المنفذ",
    "Purpose": "الغرض",
    "Removed.": "أُزيل.",
    "Saved.": "حُفظ.",
    "Send me a test message": "أرسل لي رسالة تجريبية",
    "Send through Shopify Flow (the workflows you build on our triggers)": "أرسل عبر Shopify Flow (مسارات العمل التي تبنيها على مشغّلاتنا)",  # noqa: E501
    "Send yourself a test message": "أرسل لنفسك رسالة تجريبية",
    "Sender": "المرسِل",
    "Sending": "الإرسال",
    "Sending number": "رقم الإرسال",
    "Set up a sender": "أعدّ مرسِلًا",
    "Set your store's address first; the test goes there.": "عيّن عنوان متجرك أولًا؛ تُرسل التجربة إليه.",
    "Set your store's address on the Journey page, so replies reach you.": "عيّن عنوان متجرك في صفحة الرحلة لتصلك الردود.",  # noqa: E501
    "Shopify Flow": "Shopify Flow",
    "Signing secret": "سرّ التوقيع",
    "Some records are missing or wrong; see below.": "بعض السجلات مفقودة أو خاطئة؛ انظر أدناه.",
    "Test message": "رسالة تجريبية",
    "That is our sending domain. Authenticate your own domain below to send from your own address.": "هذا نطاق الإرسال لدينا. وثّق نطاقك أدناه لترسل من عنوانك.",  # noqa: E501
    "The address your emails should come from": "العنوان الذي يجب أن تأتي منه رسائلك",
    "The store's own mailer (order notes)": "بريد المتجر نفسه (ملاحظات الطلب)",
    "This is a test from Aftercare: your customers' messages will look like they come from here.": "هذه تجربة من Aftercare: ستبدو رسائل عملائك كأنها تأتي من هنا.",  # noqa: E501
    "Type": "النوع",
    "Username": "اسم المستخدم",
    "WhatsApp": "واتساب",
    "Your domain": "نطاقك",
    "Your domain is authenticated: messages now come from {address}.": "تم توثيق نطاقك: تأتي الرسائل الآن من {address}.",  # noqa: E501
    "Your email server, domain, SMS, WhatsApp and other channels are on the Sending page.": "خادم بريدك ونطاقك والرسائل القصيرة وواتساب والقنوات الأخرى في صفحة الإرسال.",  # noqa: E501
    "Your emails come from": "تأتي رسائلك من",
    "Your own system (signed webhook)": "نظامك الخاص (webhook موقّع)",
    "Your sender": "مرسِلك",
    "Your store's address (replies go there)": "عنوان متجرك (تصل إليه الردود)",
    "a channel is unreachable": "تعذّر الوصول إلى قناة",
    "authenticated": "موثَّق",
    "flow": "Shopify Flow",
    "flow is unreachable": "تعذّر الوصول إلى Shopify Flow",
    "missing": "مفقود",
    "no SMTP server is set": "لم يُعيَّن خادم SMTP",
    "no sender is set up": "لم يُعدّ أي مرسِل",
    "not found in DNS": "غير موجود في DNS",
    "ok": "سليم",
    "outbox is unreachable": "تعذّر الوصول إلى مجلد الملفات",
    "replies go to": "وتصل الردود إلى",
    "set up": "مُعدّ",
    "sms is unreachable": "تعذّر الوصول إلى الرسائل القصيرة",
    "smtp is unreachable": "تعذّر الوصول إلى خادم البريد",
    "store_note is unreachable": "تعذّر الوصول إلى بريد المتجر",
    "unchecked": "لم يُفحص",
    "webhook is unreachable": "تعذّر الوصول إلى الـ webhook",
    "whatsapp is unreachable": "تعذّر الوصول إلى واتساب",
    "wrong": "خاطئ",
    "{count} messages are waiting: {cause}": "{count} رسالة تنتظر: {cause}",
}

FA: dict[str, str] = {
    "Items": "کالاها",
    "Product": "کالا",
    "SKU": "کد کالا",
    "Qty": "تعداد",
    "Price": "قیمت",
    "Timeline": "رویدادها",
    "Nothing planned for this order.": "برای این سفارش برنامه‌ای نیست.",
    "cash on delivery": "پرداخت در محل",
    "planned": "برنامه‌ریزی‌شده",
    "waiting": "در انتظار",
    "skipped": "کنار گذاشته",
    "merchant alert": "هشدار به فروشنده",
    "Aftercare": "افترکر",
    "Sections": "بخش‌ها",
    "Activity": "فعالیت",
    "Orders": "سفارش‌ها",
    "Journey": "مسیر مشتری",
    "Messages": "پیام‌ها",
    "Dashboard": "داشبورد",
    "Tracking": "پیگیری",
    "Language": "زبان",
    "Change": "تغییر",
    "Resume sending": "ادامهٔ ارسال",
    "Pause everything": "توقف موقت همهٔ ارسال‌ها",
    "Sign out": "خروج",
    "Sign out everywhere": "خروج از همهٔ دستگاه‌ها",
    "active": "فعال",
    "paused": "متوقف",
    "disconnected": "قطع",
    "uninstalled": "حذف‌شده",
    "scheduled": "زمان‌بندی‌شده",
    "held": "نگه‌داشته",
    "sending": "در حال ارسال",
    "sent": "ارسال‌شده",
    "failed": "ناموفق",
    "cancelled": "لغوشده",
    "Upcoming messages": "پیام‌های پیش‌رو",
    "When": "زمان",
    "Step": "مرحله",
    "Order": "سفارش",
    "Status": "وضعیت",
    "Why": "دلیل",
    "Actions": "کارها",
    "Send now": "همین حالا بفرست",
    "Cancel": "لغو",
    "Nothing is waiting to be sent.": "پیامی در انتظار ارسال نیست.",
    "Recent sends": "ارسال‌های اخیر",
    "To": "گیرنده",
    "Channel": "کانال",
    "timeline": "تاریخچه",
    "Nothing sent yet.": "هنوز چیزی ارسال نشده.",
    "The message was cancelled.": "پیام لغو شد.",
    "The message goes out within a minute.": "پیام تا یک دقیقهٔ دیگر ارسال می‌شود.",
    "Sending is paused. Messages wait until you resume.": (
        "ارسال متوقف شد. پیام‌ها تا ادامهٔ ارسال منتظر می‌مانند."
    ),
    "Sending resumed.": "ارسال ادامه یافت.",
    "Thank-you note": "پیام تشکر",
    "Shipped": "ارسال شد",
    "Out for delivery": "در راه تحویل",
    "Delivered": "تحویل شد",
    "Delivery problem": "مشکل در تحویل",
    "Check-in after delivery": "احوال‌پرسی پس از تحویل",
    "Review request": "درخواست نظر",
    "Review reminder": "یادآوری نظر",
    "Recommendations": "پیشنهاد محصول",
    "Come-back offer": "پیشنهاد بازگشت",
    "Buy again": "خرید دوباره",
    "Pinned: it comes first in every recommendation.": "سنجاق شد: در هر پیشنهاد اول می\u200cآید.",
    "Excluded: it is never recommended.": "کنار گذاشته شد: هرگز پیشنهاد نمی\u200cشود.",
    "The model decides again.": "تصمیم دوباره با مدل است.",
    "Model built from {orders} orders on {at}; new orders join it as they arrive.": (
        "مدل از {orders} سفارش در {at} ساخته شد؛ سفارش\u200cهای تازه همان لحظه به آن می\u200cپیوندند."
    ),
    "The model is built within the hour; until then best sellers are recommended.": (
        "مدل تا یک ساعت دیگر ساخته می\u200cشود؛ تا آن زمان پرفروش\u200cها پیشنهاد می\u200cشوند."
    ),
    "Recommended in the last {days} days": "پیشنهادهای {days} روز اخیر",
    "Revenue counts what the customer bought of that product within {days} days after the message.": (
        "درآمد، خرید مشتری از همان کالا تا {days} روز پس از پیام است."
    ),
    "Pin": "سنجاق کردن",
    "Exclude": "کنار گذاشتن",
    "Let the model decide": "تصمیم با مدل",
    "Nothing recommended yet.": "هنوز چیزی پیشنهاد نشده است.",
    "Your pins and exclusions": "سنجاق\u200cها و کنارگذاشته\u200cهای شما",
    "Pinned": "سنجاق\u200cشده",
    "Excluded": "کنارگذاشته",
    "Product id": "شناسهٔ کالا",
    "Products customers buy again": "کالاهایی که مشتریان دوباره می\u200cخرند",
    "Re-bought every": "خرید دوباره هر",
    "Customers who bought it again": "مشتریانی که دوباره خریدند",
    "{days} days": "{days} روز",
    "No product has been bought again often enough yet: the buy-again step waits.": (
        "هنوز هیچ کالایی به اندازهٔ کافی دوباره خریده نشده است: مرحلهٔ خرید دوباره منتظر می\u200cماند."
    ),
    "transactional": "تراکنشی",
    "service": "خدمت",
    "review": "نظر",
    "marketing": "بازاریابی",
    "placed": "ثبت سفارش",
    "paid": "پرداخت",
    "shipped": "ارسال",
    "delivered": "تحویل",
    "previous": "مرحلهٔ قبل",
    "shipment_event": "رویداد مرسوله",
    "minutes": "دقیقه",
    "hours": "ساعت",
    "days": "روز",
    "smtp": "ایمیل (SMTP)",
    "store_note": "ایمیل فروشگاه (یادداشت سفارش)",
    "sms": "پیامک",
    "whatsapp": "واتس‌اپ",
    "webhook": "سامانهٔ خودتان (Webhook)",
    "outbox": "صندوق خروجی (آزمایشی)",
    "Nothing was saved: please correct the fields marked below.": (
        "چیزی ذخیره نشد: لطفاً فیلدهای مشخص‌شده را اصلاح کنید."
    ),
    "Steps": "مرحله‌ها",
    "On": "فعال",
    "Counted from": "شمارش از",
    "Default": "پیش‌فرض",
    "Sent when the carrier reports it": "وقتی شرکت حمل خبر دهد ارسال می‌شود",
    "Delay": "فاصله",
    "Unit": "واحد",
    "Send at any hour (ignore the send window)": "ارسال در هر ساعت (بدون بازهٔ ارسال)",
    "Channels, in order of preference": "کانال‌ها به ترتیب اولویت",
    "Choice": "انتخاب",
    "store default": "کانال فروشگاه",
    "When messages may go": "زمان مجاز ارسال",
    "Send window starts": "شروع بازهٔ ارسال",
    "Send window ends": "پایان بازهٔ ارسال",
    "Quiet days": "روزهای بی‌پیام",
    "Monday": "دوشنبه",
    "Tuesday": "سه‌شنبه",
    "Wednesday": "چهارشنبه",
    "Thursday": "پنجشنبه",
    "Friday": "جمعه",
    "Saturday": "شنبه",
    "Sunday": "یکشنبه",
    "Not on the customer's public holidays": "نه در تعطیلات رسمی کشور مشتری",
    "At most one message every (hours)": "حداکثر یک پیام در هر (ساعت)",
    "Assume delivered after (days)": "فرض تحویل پس از (روز)",
    "One review request for orders within (days)": "یک درخواست نظر برای سفارش‌های نزدیک به هم در (روز)",
    "Come-back offer code": "کد پیشنهاد بازگشت",
    "Credit an order to a click within (days)": "نسبت دادن سفارش به کلیک تا (روز)",
    "Persian dates in the Solar Hijri calendar": "تاریخ فارسی به تقویم هجری شمسی",
    "Count email opens (a 1×1 image)": "شمارش باز شدن ایمیل (تصویر ۱×۱)",
    "Store": "فروشگاه",
    "Default language": "زبان پیش‌فرض",
    "Time zone": "منطقهٔ زمانی",
    "Sender and channels": "فرستنده و کانال‌ها",
    "Sender name": "نام فرستنده",
    "Sender address": "نشانی فرستنده",
    "Reply-to address": "نشانی پاسخ",
    "SMTP server": "سرور SMTP",
    "SMTP port": "درگاه SMTP",
    "Security": "امنیت",
    "SMTP username": "نام کاربری SMTP",
    "SMTP password": "گذرواژهٔ SMTP",
    "unchanged": "بدون تغییر",
    "Twilio Account SID": "شناسهٔ حساب Twilio",
    "Twilio Auth Token": "توکن Twilio",
    "SMS number": "شمارهٔ پیامک",
    "WhatsApp sender": "فرستندهٔ واتس‌اپ",
    "Your sending endpoint (webhook)": "نشانی سامانهٔ ارسال شما (Webhook)",
    "Webhook secret": "رمز Webhook",
    "Save and apply to scheduled messages": "ذخیره و اعمال بر پیام‌های زمان‌بندی‌شده",
    "Test the SMTP connection": "آزمایش اتصال SMTP",
    "Saved. {moved} scheduled messages moved, {cancelled} cancelled, {scheduled} newly planned.": (
        "ذخیره شد. زمان {moved} پیام تغییر کرد، {cancelled} پیام لغو شد و {scheduled} پیام تازه زمان‌بندی شد."
    ),
    "Saved. Your scheduled messages are being re-planned; this page shows the result.": (
        "ذخیره شد. پیام‌های شما دوباره زمان‌بندی می‌شوند؛ نتیجه در همین صفحه نمایش داده می‌شود."
    ),
    "Re-planning your scheduled messages with the new settings…": (
        "در حال زمان‌بندی دوبارهٔ پیام‌ها با تنظیمات تازه…"
    ),
    "Last change: {moved} scheduled messages moved, {cancelled} cancelled, {scheduled} newly planned.": (
        "آخرین تغییر: زمان {moved} پیام تغییر کرد، {cancelled} پیام "
        "لغو شد و {scheduled} پیام تازه زمان‌بندی شد."
    ),
    "The SMTP server could not be used: {reason}": "سرور SMTP قابل استفاده نبود: {reason}",
    "Connected and signed in to {host}.": "اتصال و ورود به {host} انجام شد.",
    "Each step's wording in each language. Ours is used until you change it.": (
        "متن هر مرحله به هر زبان. تا وقتی تغییرش ندهید، متن ما به کار می‌رود."
    ),
    "Kind": "نوع",
    "Edit": "ویرایش",
    "yours": "متن شما",
    "Yours": "این متن شماست",
    "Not saved": "ذخیره نشد",
    "Our wording; change it and save to make it yours.": (
        "این متن ماست؛ تغییرش دهید و ذخیره کنید تا متن شما شود."
    ),
    "Subject": "عنوان",
    "Email body (HTML)": "متن ایمیل (HTML)",
    "SMS and WhatsApp text": "متن پیامک و واتس‌اپ",
    "Save": "ذخیره",
    "Preview": "پیش‌نمایش",
    "from your latest order": "از آخرین سفارش شما",
    "from a sample order": "از یک سفارش نمونه",
    "Email preview": "پیش‌نمایش ایمیل",
    "SMS": "پیامک",
    "Send a test to me": "یک نسخهٔ آزمایشی برایم بفرست",
    "Back to our wording": "بازگشت به متن ما",
    "Variables you can use": "متغیرهای قابل استفاده",
    "Saved. New messages use this wording.": "ذخیره شد. پیام‌های تازه با این متن فرستاده می‌شوند.",
    "Back to our wording.": "به متن ما بازگشتیم.",
    "Test": "آزمایشی",
    "Set your sender or reply-to address first; the test goes there.": (
        "اول نشانی فرستنده یا نشانی پاسخ را وارد کنید؛ نسخهٔ آزمایشی به آن‌جا می‌رود."
    ),
    "The test could not be sent: {reason}": "نسخهٔ آزمایشی فرستاده نشد: {reason}",
    "A test was sent to {address}.": "یک نسخهٔ آزمایشی به {address} فرستاده شد.",
    "Period": "بازه",
    "Last {days} days": "{days} روز گذشته",
    "Revenue counts orders placed within {days} days after a click.": (
        "درآمد شامل سفارش‌هایی است که تا {days} روز پس از کلیک ثبت شده‌اند."
    ),
    "Messages sent": "پیام‌های ارسال‌شده",
    "Delivery failures": "ارسال‌های ناموفق",
    "Clicks": "کلیک‌ها",
    "Reviews collected": "نظرهای ثبت‌شده",
    "Orders after a click": "سفارش پس از کلیک",
    "Orders with its code": "سفارش با کد آن",
    "A code for this customer alone (0: none)": "کدی فقط برای همین مشتری (0: بدون کد)",
    "Value": "مقدار",
    "percent": "درصد",
    "amount": "مبلغ",
    "valid for (days)": "اعتبار (روز)",
    "One shared come-back code (used when its code value is 0)": "یک کد بازگشت مشترک (وقتی مقدار کد 0 است)",
    "Enter an amount such as 10 or 7.50 (0: no code).": "مقداری مانند 10 یا 7.50 وارد کنید (0: بدون کد).",
    "Choose a percentage or an amount.": "درصد یا مبلغ را انتخاب کنید.",
    "Enter a whole number of days.": "تعداد روز را به عدد صحیح وارد کنید.",
    "An order that used the code one of our messages carried counts for it; each order counts once.": (
        "سفارشی که با کدِ یکی از پیام‌های ما ثبت شده به حساب همان پیام است و هر سفارش فقط یک بار شمرده می‌شود."
    ),
    "Revenue": "درآمد",
    "Messages sent per step": "پیام‌های ارسال‌شده در هر مرحله",
    "Sent": "ارسال‌شده",
    "Clicks, reviews and delivery failures": "کلیک‌ها، نظرها و ارسال‌های ناموفق",
    "Reviews": "نظرها",
    "Failures": "ناموفق",
    "Revenue from orders placed after a click": "درآمد سفارش‌های پس از کلیک",
    "The numbers behind the charts": "عددهای پشت نمودارها",
    "Recent orders and the messages Aftercare sent or will send": (
        "سفارش‌های اخیر و پیام‌های فرستاده یا زمان‌بندی‌شده"
    ),
    "No orders yet. They appear here as soon as the store sends them; this page refreshes itself.": (
        "هنوز سفارشی نیست. به محض رسیدن از فروشگاه این‌جا نمایش داده می‌شوند؛ این صفحه خودش به‌روز می‌شود."
    ),
    "Customer": "مشتری",
    "Placed": "زمان ثبت",
    "Guest": "مهمان",
    "none": "هیچ",
    "Needs attention": "نیاز به رسیدگی",
    "needs attention": "نیاز به رسیدگی",
    "Your store's API keys can read but not write, so Aftercare cannot switch its webhooks back on "
    "or add notes to orders.": (
        "کلیدهای API فروشگاه شما فقط اجازهٔ خواندن دارند و نه نوشتن، پس افترکر نمی‌تواند "
        "وب‌هوک‌هایش را دوباره روشن کند یا به سفارش‌ها یادداشت اضافه کند."
    ),
    "In WooCommerce, open Settings → Advanced → REST API, give Aftercare's key Read/Write permission "
    "(or create a Read/Write key), and connect the store again.": (
        "در ووکامرس، تنظیمات ← پیشرفته ← REST API را باز کنید، به کلید افترکر مجوز خواندن/نوشتن بدهید "
        "(یا یک کلید خواندن/نوشتن بسازید) و فروشگاه را دوباره وصل کنید."
    ),
    # sending
    "Add these records at your domain's DNS provider, then check them.": "این رکوردها را نزد ارائه\u200cدهندهٔ DNS دامنه\u200cتان بیفزایید، سپس بررسی کنید.",  # noqa: E501
    "Add these records at your domain's DNS provider:": "این رکوردها را نزد ارائه\u200cدهندهٔ DNS دامنه\u200cتان بیفزایید:",  # noqa: E501
    "Authenticate this domain": "این دامنه را احراز کنید",
    "Authenticate your domain": "دامنهٔ خود را احراز کنید",
    "Channels": "کانال\u200cها",
    "Check": "بررسی",
    "Check the records": "رکوردها را بررسی کنید",
    "Connect SMS, WhatsApp or Flow": "پیامک، واتس\u200cاپ یا Flow را وصل کنید",
    "Copy": "رونوشت",
    "WhatsApp templates": "الگوهای واتس\u200cاپ",
    "sent for approval": "برای تأیید فرستاده شد",
    "disabled": "غیرفعال",
    "unknown": "نامعلوم",
    "none yet: each step's are made and sent to WhatsApp for approval within minutes.": "هنوز هیچ: الگوهای هر مرحله ساخته و در چند دقیقه برای تأیید به واتس\u200cاپ فرستاده می\u200cشوند.",  # noqa: E501
    "Until WhatsApp approves a step's template, that step goes by its next channel, unless the customer wrote to you within the day.": "تا واتس\u200cاپ الگوی یک مرحله را تأیید نکند، آن مرحله از کانال بعدی‌اش می\u200cرود، مگر آنکه مشتری در همان روز برایتان نوشته باشد.",  # noqa: E501
    "optional": "اختیاری",
    "Send from your own address, signed with DKIM, so Gmail and Yahoo trust your mail.": "از نشانی خودتان و با امضای DKIM بفرستید تا Gmail و Yahoo به ایمیل‌تان اعتماد کنند.",  # noqa: E501
    "Reach customers who read texts before email, or send through Shopify Flow.": "به مشتریانی برسید که پیامک را پیش از ایمیل می‌خوانند، یا از راه Shopify Flow بفرستید.",  # noqa: E501
    "In Twilio, paste this address as the webhook for “A message comes in” on this number:": "در Twilio این نشانی را به\u200cعنوان webhook گزینهٔ «A message comes in» این شماره بچسبانید:",  # noqa: E501
    "Then we know when a customer writes to you: for 24 hours after, WhatsApp lets your messages go in your own words, without a template.": "آن\u200cگاه می\u200cدانیم مشتری کی برایتان نوشته است: تا ۲۴ ساعت پس از آن، واتس\u200cاپ پیام\u200cهایتان را با واژه\u200cهای خودتان و بی\u200cالگو می\u200cفرستد.",  # noqa: E501
    "Then a customer who replies STOP gets no more texts from us, and START lets them through again.": "آن\u200cگاه مشتری\u200cای که STOP پاسخ دهد دیگر پیامکی از ما نمی\u200cگیرد و START دوباره آن را باز می\u200cکند.",  # noqa: E501
    "Email": "ایمیل",
    "Empty every field and save to stop using it.": "همهٔ خانه\u200cها را خالی و ذخیره کنید تا دیگر به کار نرود.",  # noqa: E501
    "Files (development)": "پرونده\u200cها (برای توسعه)",
    "Fix it": "درستش کنید",
    "Name": "نام",
    "No sender is set up: set up your own SMTP server below. Your messages wait until then.": "فرستنده\u200cای تنظیم نشده است: کارساز SMTP خود را در پایین تنظیم کنید. پیام\u200cهایتان تا آن زمان منتظر می\u200cمانند.",  # noqa: E501
    "Password": "گذرواژه",
    "Port": "درگاه",
    "Purpose": "کاربرد",
    "Removed.": "برداشته شد.",
    "Saved.": "ذخیره شد.",
    "Send me a test message": "یک پیام آزمایشی برایم بفرست",
    "Send through Shopify Flow (the workflows you build on our triggers)": "ارسال از راه Shopify Flow (گردش\u200cکارهایی که روی رویدادهای ما می\u200cسازید)",  # noqa: E501
    "Send yourself a test message": "یک پیام آزمایشی برای خودتان بفرستید",
    "Sender": "فرستنده",
    "Sending": "ارسال",
    "Sending number": "شمارهٔ فرستنده",
    "Set up a sender": "فرستنده را تنظیم کنید",
    "Set your store's address first; the test goes there.": "نخست نشانی فروشگاه خود را تعیین کنید؛ پیام آزمایشی به آن می\u200cرود.",  # noqa: E501
    "Set your store's address on the Journey page, so replies reach you.": "نشانی فروشگاه خود را در صفحهٔ مسیر تعیین کنید تا پاسخ\u200cها به شما برسد.",  # noqa: E501
    "Shopify Flow": "Shopify Flow",
    "Signing secret": "رمز امضا",
    "Some records are missing or wrong; see below.": "برخی رکوردها نیستند یا نادرست\u200cاند؛ پایین را ببینید.",  # noqa: E501
    "Test message": "پیام آزمایشی",
    "That is our sending domain. Authenticate your own domain below to send from your own address.": "این دامنهٔ ارسال ماست. دامنهٔ خود را در پایین احراز کنید تا از نشانی خودتان بفرستید.",  # noqa: E501
    "The address your emails should come from": "نشانی\u200cای که ایمیل\u200cهایتان باید از آن بیاید",
    "The store's own mailer (order notes)": "ایمیل خود فروشگاه (یادداشت\u200cهای سفارش)",
    "This is a test from Aftercare: your customers' messages will look like they come from here.": "این یک آزمایش از Aftercare است: پیام\u200cهای مشتریانتان این\u200cگونه از اینجا می\u200cآیند.",  # noqa: E501
    "Type": "نوع",
    "Username": "نام کاربری",
    "WhatsApp": "واتس\u200cاپ",
    "Your domain": "دامنهٔ شما",
    "Your domain is authenticated: messages now come from {address}.": "دامنهٔ شما احراز شد: پیام\u200cها اکنون از {address} می\u200cآیند.",  # noqa: E501
    "Your email server, domain, SMS, WhatsApp and other channels are on the Sending page.": "کارساز ایمیل، دامنه، پیامک، واتس\u200cاپ و کانال\u200cهای دیگر در صفحهٔ ارسال\u200cاند.",  # noqa: E501
    "Your emails come from": "ایمیل\u200cهایتان از این نشانی می\u200cآیند:",
    "Your own system (signed webhook)": "سامانهٔ خودتان (webhook امضاشده)",
    "Your sender": "فرستندهٔ شما",
    "Your store's address (replies go there)": "نشانی فروشگاه شما (پاسخ\u200cها به آن می\u200cرسد)",
    "a channel is unreachable": "یک کانال در دسترس نیست",
    "authenticated": "احراز شده",
    "flow": "Shopify Flow",
    "flow is unreachable": "Shopify Flow در دسترس نیست",
    "missing": "نیست",
    "no SMTP server is set": "کارساز SMTP تعیین نشده است",
    "no sender is set up": "هیچ فرستنده\u200cای تنظیم نشده است",
    "not found in DNS": "در DNS یافت نشد",
    "ok": "درست",
    "outbox is unreachable": "پوشهٔ پرونده\u200cها در دسترس نیست",
    "replies go to": "و پاسخ\u200cها به این نشانی می\u200cرسد:",
    "set up": "تنظیم شده",
    "sms is unreachable": "پیامک در دسترس نیست",
    "smtp is unreachable": "کارساز ایمیل در دسترس نیست",
    "store_note is unreachable": "ایمیل فروشگاه در دسترس نیست",
    "unchecked": "بررسی نشده",
    "webhook is unreachable": "webhook در دسترس نیست",
    "whatsapp is unreachable": "واتس\u200cاپ در دسترس نیست",
    "wrong": "نادرست",
    "{count} messages are waiting: {cause}": "{count} پیام منتظر است: {cause}",
}

from app.web.admin import words_pages  # noqa: E402 - the checklist's, plans' and editor's sentences

AR.update(words_pages.AR)
FA.update(words_pages.FA)
AR.update({key: value for key, value in review_words.AR.items() if key not in AR})
FA.update({key: value for key, value in review_words.FA.items() if key not in FA})
CATALOGUES = {"ar": AR, "fa": FA}


def translator(lang: str) -> Callable[[str], str]:
    catalogue = CATALOGUES.get(lang, {})

    def t(text: str) -> str:
        return catalogue.get(text, text)

    return t
