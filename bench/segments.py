"""What our default SMS and WhatsApp texts cost: segments per step and language.

    python -m bench.segments

Each step's short text is rendered from the sample order of a store called "Tea & Things", with its
links replaced by short codes as the dispatcher does, and counted as carriers count it
(``app.messages.segments``). Not a timing: a cost table to keep an eye on when wording changes.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from cryptography.fernet import Fernet

from app.config import Settings
from app.journeys.steps import STEPS
from app.links import Links
from app.messages import samples, tracked
from app.messages.render import LOCALES, render
from app.messages.segments import count

SHORT_LINK = "https://aftercare.example/s/AbCdEfGh"  # what a code looks like on a real public_url


def main() -> None:
    store: Any = SimpleNamespace(
        id=1, name="Tea & Things", currency="SAR", journey="", timezone="Asia/Riyadh",
        reply_to="hello@tea.example",
    )  # fmt: skip
    settings = Settings(
        secret_key="b" * 40,
        encryption_keys=[Fernet.generate_key().decode()],
        public_url="https://aftercare.example",
    )
    links = Links(settings)
    for step in STEPS:
        row = []
        for locale in LOCALES:
            short = render(step, locale, samples.sample_context(store, step, locale, links)).short
            counted = count(tracked.shorten(short, lambda url: SHORT_LINK))
            row.append(f"{locale} {counted.count} x {counted.encoding} ({counted.characters:3} chars)")
        print(f"{step:18}", " | ".join(row))  # noqa: T201 - a benchmark reports on stdout


if __name__ == "__main__":
    main()
