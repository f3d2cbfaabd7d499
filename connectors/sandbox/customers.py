"""The sandbox's customers reading their email, so the demo's dashboard fills as a real store's would.

Each new email in the sandbox mailbox is read once by the customer it was sent to. Now and then they
open it (the 1x1 image, when the store counts opens), click a link (the app's tracked redirect; the
store's own page behind it is not fetched), answer the check-in, answer a review request on any page
of the app's that it links to with a form (all five stars), and, after a click, order again: the
revenue the dashboard attributes to the click.

Only addresses on the app's own origin are requested: the links in an email point at the store's
sites too, and the sandbox never goes there.
"""

from __future__ import annotations

import email
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

log = logging.getLogger("aftercare.sandbox")
TIMEOUT = 10
HREF = re.compile(r"""(?:href|src)=["']([^"']+)["']""")


@dataclass
class Odds:
    open: float = 0.7
    click: float = 0.45
    check_in: float = 0.6
    review: float = 0.5
    buy_again: float = 0.35


class _Form(HTMLParser):
    """The first POST form of a page: its action and what a happy customer sends."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form" and not self._done and values.get("method", "get").lower() == "post":
            self._in_form, self.action = True, values.get("action", "")
        elif self._in_form and tag in ("input", "button", "textarea", "select") and values.get("name"):
            name, kind = values["name"], values.get("type", "text")
            if kind == "radio":  # the highest rating, or the happy answer
                current = self.fields.get(name)
                if current is None or values.get("value", "") > current:
                    self.fields[name] = values.get("value", "")
            elif kind == "checkbox":
                return
            elif tag == "textarea":
                self.fields[name] = "Lovely, just as described."
            elif tag == "button" or kind == "submit":
                self.fields.setdefault(name, values.get("value", ""))
            else:
                self.fields.setdefault(name, values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


@dataclass
class Readers:
    """Reads ``mailbox`` for emails not read yet; ``app_url`` is the only origin it requests."""

    mailbox: Path
    app_url: str
    rng: random.Random
    buy_again: Callable[[str], Any]  # places a new order for the customer with this address
    odds: Odds = field(default_factory=Odds)
    seen: set[str] = field(default_factory=set)
    session: requests.Session = field(default_factory=requests.Session)

    def _ours(self, url: str) -> bool:
        mine, other = urlsplit(self.app_url), urlsplit(url)
        return (other.scheme, other.netloc) == (mine.scheme, mine.netloc)

    def round(self) -> dict[str, int]:
        """Read every new email once; what the customers did."""
        done = {"read": 0, "opened": 0, "clicked": 0, "checked_in": 0, "reviewed": 0, "ordered": 0}
        if not self.mailbox.is_dir():
            return done
        for path in sorted(self.mailbox.glob("*.eml")):
            if path.name in self.seen:
                continue
            self.seen.add(path.name)
            try:
                self._read(path, done)
            except requests.RequestException as exc:
                log.info("a customer could not reach the app: %s", exc)
        return done

    def _read(self, path: Path, done: dict[str, int]) -> None:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        step, to = message.get("X-Aftercare-Step", ""), str(message.get("To", ""))
        address = email.utils.parseaddr(to)[1]
        if not step or "[" in str(message.get("Subject", ""))[:1]:  # a test to the merchant, an alert
            return
        body = message.get_body(preferencelist=("html", "plain"))
        links = [link.replace("&amp;", "&") for link in HREF.findall(body.get_content() if body else "")]
        ours = [link for link in links if self._ours(link)]
        done["read"] += 1
        if self.rng.random() < self.odds.open:
            for pixel in (link for link in ours if "/o/" in link):
                self.session.get(pixel, timeout=TIMEOUT)
                done["opened"] += 1
        # tracked links (/r/, short /s/) and our tracking page (/t/), whose views count as clicks
        clicks = [link for link in ours if any(part in link for part in ("/r/", "/s/", "/t/"))]
        if step == "check_in" and self.rng.random() < self.odds.check_in:
            happy = next((link for link in ours if "/c/" in link and "happy" in link), None)
            if happy and self._answer(happy):
                done["checked_in"] += 1
        if step in ("review_request", "review_reminder") and self.rng.random() < self.odds.review:
            for link in clicks[:3]:
                landing = self._follow(link)
                if landing and self._answer(landing):
                    done["reviewed"] += 1
                    break
        if clicks and self.rng.random() < self.odds.click:
            self._follow(self.rng.choice(clicks))
            done["clicked"] += 1
            if address and self.rng.random() < self.odds.buy_again:
                self.buy_again(address)
                done["ordered"] += 1

    def _follow(self, link: str) -> str | None:
        """Click a tracked link: the redirect is recorded; the page behind it is fetched only when it
        is one of the app's own (a review page), never the store's."""
        answer = self.session.get(link, allow_redirects=False, timeout=TIMEOUT)
        target = urljoin(link, answer.headers.get("Location", "")) if answer.is_redirect else None
        return target if target and self._ours(target) else None

    def _answer(self, url: str) -> bool:
        """Open a page of the app's and send its first form as a happy customer would."""
        page = self.session.get(url, timeout=TIMEOUT)
        if page.status_code != 200:
            return False
        form = _Form()
        form.feed(page.text)
        if form.action is None:
            return False
        action = urljoin(url, form.action or url)
        if not self._ours(action):
            return False
        sent = self.session.post(action, data=form.fields, timeout=TIMEOUT, allow_redirects=False)
        return sent.status_code < 400
