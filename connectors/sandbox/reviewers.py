"""The sandbox store's customers, reading their email: now and then one rates an item from the review
request, sometimes with a few words or a photo, or answers the check-in's 0-10 question, so the demo's
Reviews page and dashboard fill the way a real store's do.

The rates are what review apps report for one-click stars in the message (5-8% of requests get a
rating; about half of those add words, one in eight a photo) and the J-shaped spread of stars real
stores see (most five, a few ones). ``decide`` is pure (it reads the email and draws from ``rng``);
``perform`` makes the customer's requests to the links, as their browser would.
"""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass, field
from email.message import EmailMessage

import requests

RATES = {"rating": 0.065, "words": 0.45, "photo": 0.12, "nps": 0.2}
STARS = (1, 2, 3, 4, 5)
STAR_WEIGHTS = (0.06, 0.04, 0.09, 0.22, 0.59)
NPS_WEIGHTS = (1, 1, 1, 1, 2, 3, 4, 8, 12, 14, 13)  # 0..10: mostly passives and promoters
WORDS = {
    5: ("Exactly as described, and it arrived quickly.", "Lovely quality, I will order again."),
    4: ("Very good, the colour is a little lighter than the photo.", "Nice, packaging could be better."),
    3: ("It is fine, nothing special.", "Good, but smaller than I expected."),
    2: ("Not what I hoped for, the fabric feels thin.", "Arrived late and one piece was scratched."),
    1: ("It broke after two days.", "Wrong size, and nobody answered my email."),
}
STAR_LINK = re.compile(r'href="(https?://[^"]+/rv/[^"?]+)\?stars=(\d)"')
NPS_LINK = re.compile(r'href="(https?://[^"]+/nps/[^"?]+)\?score=(\d+)"')


@dataclass
class Action:
    kind: str  # rate | nps
    url: str
    value: int
    words: str = ""
    photo: bool = False


@dataclass
class Reviewers:
    rng: random.Random = field(default_factory=random.Random)
    rates: dict[str, float] = field(default_factory=lambda: dict(RATES))
    timeout: float = 15.0

    def decide(self, message: EmailMessage) -> list[Action]:
        """What this customer does with this email (usually nothing)."""
        body = message.get_body(("html",))
        return self.decide_html(str(message.get("X-Aftercare-Step", "")), body.get_content() if body else "")

    def decide_html(self, step: str, html: str) -> list[Action]:
        """``decide`` for an email's step and HTML part."""
        if step in ("review_request", "review_reminder"):
            pages = list(dict.fromkeys(url for url, _ in STAR_LINK.findall(html)))
            actions = []
            for url in pages:
                if self.rng.random() >= self.rates["rating"]:
                    continue
                stars = self.rng.choices(STARS, STAR_WEIGHTS)[0]
                words = self.rng.choice(WORDS[stars]) if self.rng.random() < self.rates["words"] else ""
                actions.append(Action("rate", url, stars, words, self.rng.random() < self.rates["photo"]))
            return actions
        if step == "check_in":
            links = NPS_LINK.findall(html)
            if links and self.rng.random() < self.rates["nps"]:
                score = self.rng.choices(range(11), NPS_WEIGHTS)[0]
                return [Action("nps", links[0][0], score)]
        return []

    def perform(self, actions: list[Action], session: requests.Session | None = None) -> None:
        http = session or requests.Session()
        for action in actions:
            if action.kind == "nps":
                http.post(action.url, data={"score": action.value}, timeout=self.timeout)
                continue
            http.post(f"{action.url}/rating", data={"rating": action.value}, timeout=self.timeout)
            if action.words or action.photo:
                files = {"photos": ("photo.jpg", _photo(self.rng), "image/jpeg")} if action.photo else None
                form = {"rating": action.value, "body": action.words}
                http.post(action.url, data=form, files=files, timeout=self.timeout)


def _photo(rng: random.Random) -> bytes:
    """A small photo of a product on a table: two colours, made here (the sandbox fetches nothing)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (rng.randrange(180, 240), rng.randrange(170, 230), 200))
    ImageDraw.Draw(image).ellipse((140, 80, 340, 280), fill=(rng.randrange(60, 200), 90, 60))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()
