"""What the sandbox store sells and where its customers live.

Names come from Faker's locales; addresses are real cities and streets written the way their
residents write them (Faker's Arabic and Persian street generators produce mixed-script nonsense).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    sku: str
    price: Decimal
    tags: tuple[str, ...] = ()


PRODUCTS: tuple[Product, ...] = (
    Product("101", "Linen Shirt, Sand", "LIN-SH-SND", Decimal("49.00"), ("apparel",)),
    Product("102", "Linen Trousers, Olive", "LIN-TR-OLV", Decimal("59.00"), ("apparel",)),
    Product("103", "Cotton Tee, White", "COT-TE-WHT", Decimal("19.99"), ("apparel",)),
    Product("104", "Merino Scarf, Charcoal", "MER-SC-CHR", Decimal("35.00"), ("accessories",)),
    Product("105", "Leather Belt, Tan", "LEA-BE-TAN", Decimal("42.50"), ("accessories",)),
    Product("106", "Canvas Tote Bag", "CAN-TO-NAT", Decimal("24.00"), ("accessories",)),
    Product("107", "Ceramic Coffee Mug", "CER-MU-BLU", Decimal("14.00"), ("home", "review-delay:10d")),
    Product("108", "Olive Wood Serving Board", "OLV-BO-L", Decimal("38.00"), ("home",)),
    Product("109", "Rose Water Hand Cream", "ROS-HC-50", Decimal("12.50"), ("care", "review-delay:21d")),
    Product("110", "Oud Scented Candle", "OUD-CA-200", Decimal("28.00"), ("home",)),
    Product("111", "Running Sneakers, Grey", "RUN-SN-GRY", Decimal("89.00"), ("footwear",)),
    Product("112", "Wool Socks, 3 pairs", "WOO-SO-3P", Decimal("16.00"), ("footwear",)),
)


@dataclass(frozen=True)
class Place:
    country: str
    faker_locale: str
    language: str
    phone_prefix: str
    city: str
    region: str
    streets: tuple[str, ...]
    postcode: str


PLACES: tuple[Place, ...] = (
    Place(
        "SA",
        "ar_SA",
        "ar",
        "+9665",
        "الرياض",
        "منطقة الرياض",
        ("طريق الملك فهد", "شارع العليا", "طريق الأمير محمد بن عبدالعزيز"),
        "12211",
    ),
    Place(
        "SA",
        "ar_SA",
        "ar",
        "+9665",
        "جدة",
        "منطقة مكة المكرمة",
        ("طريق الأمير سلطان", "شارع التحلية", "طريق المدينة"),
        "23511",
    ),
    Place("AE", "ar_SA", "ar", "+9715", "دبي", "دبي", ("شارع الشيخ زايد", "شارع الوصل"), "00000"),
    Place("EG", "ar_SA", "ar", "+201", "القاهرة", "القاهرة", ("شارع التحرير", "شارع قصر النيل"), "11511"),
    Place(
        "IR",
        "fa_IR",
        "fa",
        "+989",
        "تهران",
        "استان تهران",
        ("خیابان ولیعصر", "خیابان انقلاب", "بلوار کشاورز"),
        "1416753955",
    ),
    Place(
        "IR",
        "fa_IR",
        "fa",
        "+989",
        "اصفهان",
        "استان اصفهان",
        ("خیابان چهارباغ عباسی", "خیابان نظر"),
        "8173917111",
    ),
    Place("US", "en_US", "en", "+1310", "Los Angeles", "CA", ("Sunset Blvd", "Wilshire Blvd"), "90028"),
    Place(
        "GB", "en_GB", "en", "+447", "London", "Greater London", ("Upper Street", "Kingsland Road"), "N1 0NY"
    ),
    Place("NZ", "en_NZ", "en", "+6421", "Auckland", "Auckland", ("Queen Street", "Ponsonby Road"), "1010"),
)
