"""SMS segments as carriers count them: GSM-7 160/153 with two-unit extension characters, UCS-2 70/67
for anything else (every Arabic and Persian letter), emoji two units each."""

from __future__ import annotations

import pytest

from app.messages.segments import count


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("é" * 160, "GSM-7", 1),  # in the GSM alphabet
        ("€" * 80, "GSM-7", 1),  # an extension character: two units
        ("€" * 81, "GSM-7", 2),
        ("a" * 152 + "€", "GSM-7", 1),
        ("a" * 159 + "€", "GSM-7", 2),
        ("a" * 152 + "{" + "a" * 152, "GSM-7", 3),  # "{" does not fit what is left of the first part
        ("س" * 70, "UCS-2", 1),
        ("س" * 71, "UCS-2", 2),
        ("س" * 134, "UCS-2", 2),
        ("س" * 135, "UCS-2", 3),
        ("a" * 69 + "ç", "UCS-2", 1),  # one character outside GSM-7 turns the whole text UCS-2
        ("a" * 70 + "ç", "UCS-2", 2),
        ("😀" * 35, "UCS-2", 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, "UCS-2", 2),
    ],
)
def test_segments(text, encoding, segments):
    counted = count(text)
    assert (counted.encoding, counted.count, counted.characters) == (encoding, segments, len(text))
