"""What a customer types, made safe to keep and to show anywhere (our pages, the store's theme, JSON).

Markup needs nothing here: everything is kept as plain text and escaped where it is shown (Jinja's
autoescape, ``html.escape`` for WooCommerce, ``textContent`` in the theme block). What escaping cannot
stop is removed: bidirectional overrides and isolates (U+202A-202E, U+2066-2069), which can make a
review read backwards or disguise a link, and control characters. Text is NFC-normalised, lines and
spaces tidied, and cut to its column's length.
"""

from __future__ import annotations

import re
import unicodedata

TITLE_MAX = 200
BODY_MAX = 5000
NAME_MAX = 80
REPLY_MAX = 2000
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
SPACES = re.compile(r"[ \t\u00a0]+")


def clean(value: str | None, limit: int, *, lines: bool = False) -> str:
    """``value`` as safe plain text of at most ``limit`` characters; one line unless ``lines``."""
    text = unicodedata.normalize("NFC", value or "")
    text = BIDI_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(
        char for char in text if char == "\n" or unicodedata.category(char) not in ("Cc", "Cs", "Co", "Cn")
    )
    if lines:
        paragraphs = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(paragraphs))
    else:
        text = SPACES.sub(" ", text.replace("\n", " "))
    return text.strip()[:limit].strip()


def contains_blocked(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of ``words`` as a word (case-insensitive, whatever the script)."""
    folded = text.casefold()
    for word in words:
        if re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", folded):
            return True
    return False
