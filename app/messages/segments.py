"""How many SMS segments a text costs, as the carriers count them (``smsutil``).

A text that fits the GSM 03.38 alphabet travels in 7-bit units: 160 in one message, 153 per part once
it is split (the rest is the header that joins the parts); ``{ } [ ] ~ \\ | ^ €`` take two units. Any
other character, and every Arabic or Persian letter, turns the whole text into UCS-2: 70 in one
message, 67 per part, and a character outside the Basic Multilingual Plane (most emoji) takes two.
Merchants pay per segment, so the editor shows this and the timeline records it.
"""

from __future__ import annotations

from dataclasses import dataclass

import smsutil

ENCODINGS = {"gsm0338": "GSM-7", "utf_16_be": "UCS-2"}


@dataclass(frozen=True)
class Segments:
    encoding: str  # GSM-7 | UCS-2
    count: int
    characters: int

    def as_json(self) -> dict[str, object]:
        return {"encoding": self.encoding, "segments": self.count, "characters": self.characters}


def count(text: str) -> Segments:
    if not text:
        return Segments("GSM-7", 0, 0)
    split = smsutil.split(text)
    return Segments(ENCODINGS.get(split.encoding, split.encoding), len(split.parts), len(text))
