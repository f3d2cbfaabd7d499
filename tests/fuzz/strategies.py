"""What the fuzzer sends: hypothesis strategies for whole requests, built from the app's ``url_map``.

Three families, each starting from real values of the seeded world (``world.py``) and mutating them:

- ``route_calls``: every rule and every method it allows (a new route is covered without editing
  this file), its path arguments (ids of ours, of another store, out of any column's range, not
  numbers; codes, tokens and names, damaged), the query, the headers and a body (the page's own form
  with fields changed, JSON of the shape the route reads with values changed, or bytes), anonymous
  or signed in by cookie (with a valid, missing, wrong or ended session's CSRF token) or by an App
  Bridge ID token (valid, with mutated claims, or signed by someone else);
- ``webhook_calls``: every platform's recorded delivery with its body mutated and then signed
  correctly (or not), and its headers (the unsigned ones especially) mutated;
- ``link_calls``: our customer links (check-in, unsubscribe, click, open pixel) and sign-in and
  connect tokens, signed with the app's key over mutated content, sent to their own routes and to
  each other's.

A request is a ``Call``; ``senders.py`` puts the cookie and CSRF token in when a call asks for them,
since those only exist once a session does.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jwt
from flask import Flask
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from app.journeys.steps import STEPS
from app.links import CHECK_IN, CLICK, OPEN, UNSUBSCRIBE, UNSUBSCRIBE_BY_CUSTOMER
from app.messages.render import LOCALES
from app.web.admin.auth import PURPOSE as SIGN_IN
from app.web.connect.woocommerce import GRANT_PURPOSE
from connectors.registry import CONNECTORS
from tests.connectors.test_contract import (
    JSON_VALUES,
    SANDBOX,
    SHOPIFY,
    SHOPIFY_SECRET,
    WOOCOMMERCE,
    Kit,
    mutations,
)
from tests.fuzz.world import SHOPIFY_CLIENT_ID, World
from tests.routes import path_of, rules

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
# Who is asking. The cookie kinds get their session from the sender; the ID token kinds are minted here.
AUTHS = ("anonymous", "cookie", "cookie-ended", "id-token", "id-token-mutated", "id-token-forged", "junk")
CSRF = ("valid", "missing", "wrong", "other-session")
KITS = (SANDBOX, SHOPIFY, WOOCOMMERCE)
INT_MAX = 2**31 - 1

# Values that have broken web apps before: the empty string, NUL, lone surrogates, right-to-left and
# astral characters, markup and template syntax, numbers no column holds, whitespace, a long run.
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ufffd",
    "é",
    "شكرًا",
    "𝕏",
    "\u202e",
    "\r\n",
    "\t",
    "'",
    '"',
    "<script>alert(1)</script>",
    "{{ 7 * 7 }}",
    "{% for x in range(99999999) %}{% endfor %}",
    "%",
    "%00",
    "../../etc/passwd",
    "-1",
    "0",
    str(INT_MAX),
    str(INT_MAX + 1),
    str(2**63),
    "9" * 40,
    "1e400",
    "NaN",
    "null",
    "[]",
    "{}",
    "true",
    "2026-11-23T10:00:00",
    "0001-01-01T00:00:00+05:00",
    "https://" + "a" * 64 + ".example",
    "http://127.0.0.1:1",
    "https://shop.invalid",
    "a" * 300,
    "a" * 5000,
)
# Text a header can carry (latin-1, no line breaks), where NUL is left to NASTY.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=40
)
QUERY_NAMES = (
    "lang",
    "locale",
    "days",
    "token",
    "answer",
    "shop",
    "host",
    "embedded",
    "id_token",
    "user_id",
    "success",
    "hmac",
    "timestamp",
    "session",
    "next",
)
HEADER_NAMES = (
    "Accept",
    "Accept-Language",
    "Origin",
    "Referer",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Requested-With",
    "Authorization",
    "Cookie",
    "If-None-Match",
    "Range",
    "X-Shopify-Hmac-Sha256",
    "X-Shopify-Shop-Domain",
    "X-Shopify-Topic",
    "X-Shopify-Triggered-At",
    "X-WC-Webhook-Source",
    "X-WC-Webhook-Signature",
    "X-Sandbox-Store",
    "X-Sandbox-Triggered-At",
)
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/octet-stream",
    "",
    "\x00",
)
# The JSON each route reads, as the pages send it: the starting point of its mutations.
JSON_BODIES: dict[str, dict[str, Any]] = {
    "/admin/api/templates/": {"subject": "Thanks {{ first_name }}", "body": "<p>Hi</p>", "short": "Thanks"},
    "/admin/api/suppressions": {"address": "layla@example.test", "reason": "complaint"},
    "/connect/woocommerce/callback": {
        "key_id": 1,
        "user_id": "",
        "consumer_key": "ck_" + "1" * 40,
        "consumer_secret": "cs_" + "2" * 40,
        "key_permissions": "read_write",
    },
}
# Where each kind of signed token is read (the fuzzer also sends each to the others' routes).
LINK_ROUTES: dict[str, tuple[tuple[str, str], ...]] = {
    CHECK_IN: (("GET", "/c/{}"), ("POST", "/c/{}")),
    UNSUBSCRIBE: (("GET", "/u/{}"), ("POST", "/u/{}")),
    UNSUBSCRIBE_BY_CUSTOMER: (("GET", "/u/{}"), ("POST", "/u/{}")),
    CLICK: (("GET", "/r/{}"),),
    OPEN: (("GET", "/o/{}.gif"),),
    SIGN_IN: (("GET", "/admin/login?token={}"),),
    GRANT_PURPOSE: (("GET", "/connect/woocommerce/return?success=1&user_id={}"), ("POST", "callback")),
}


@dataclass(frozen=True)
class Call:
    """One request as it goes on the wire: ``path`` and ``query`` already percent-encoded."""

    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    auth: str = "anonymous"
    csrf: str = "missing"  # for the cookie kinds: which token the sender puts in

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def __str__(self) -> str:
        body = self.body[:300] + (b"..." if len(self.body) > 300 else b"")
        return (
            f"{self.method} {self.target[:300]} [{self.auth}, csrf {self.csrf}] {dict(self.headers)} {body!r}"
        )


# --- pieces --------------------------------------------------------------------------------------


def encode(value: str) -> str:
    """A path segment or query value as it travels: UTF-8, lone surrogates as their bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def form_encode(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs).encode()


def variants(original: str) -> st.SearchStrategy[str]:
    """``original`` as it is, damaged a little (cut, a character changed or put in), or replaced."""
    size = len(original)
    return st.one_of(
        st.just(original),
        st.integers(0, max(size - 1, 0)).map(lambda cut: original[:cut]),
        st.tuples(st.integers(0, size), st.sampled_from(NASTY)).map(
            lambda t: original[: t[0]] + t[1] + original[t[0] :]
        ),
        st.tuples(st.integers(0, max(size - 1, 0)), st.characters()).map(
            lambda t: original[: t[0]] + t[1] + original[t[0] + 1 :]
        ),
        st.sampled_from(NASTY),
        st.text(max_size=24),
        st.just(original * 40),
    )


def deep(depth: int) -> bytes:
    return (b'{"a":' * depth) + b"1" + (b"}" * depth)


def json_body(base: dict[str, Any] | None) -> st.SearchStrategy[bytes]:
    documents = st.one_of(mutations(base), st.just(base)) if base else JSON_VALUES
    return st.one_of(
        documents.map(lambda doc: json.dumps(doc).encode()),
        st.sampled_from(
            [deep(5000), b"[" * 100000 + b"]" * 100000, b"{", b'{"a":1}x', b'"\\ud800"', b"\xff\xfe"]
        ),
    )


def _route_arguments(world: World) -> dict[str, st.SearchStrategy[str]]:
    """Real values for each path argument's name, damaged; unknown names get text."""
    tokens = [
        world.token(purpose, payload) for purpose, values in world.payloads.items() for payload in values
    ]
    return {
        "platform": st.sampled_from(sorted(CONNECTORS)).flatmap(variants),
        "step": st.sampled_from(sorted(STEPS)).flatmap(variants),
        "locale": st.sampled_from(LOCALES).flatmap(variants),
        "token": st.sampled_from(tokens).flatmap(variants),
        "code": st.sampled_from(world.short_codes).flatmap(variants),
    }


def ids(world: World) -> st.SearchStrategy[str]:
    """A path id: one of ours, another store's, or anything a converter may or may not admit."""
    return st.one_of(
        st.sampled_from(world.ids()).map(str),
        st.integers(-5, 2**65).map(str),
        st.sampled_from(
            [
                "0",
                "00",
                "007",
                str(INT_MAX),
                str(INT_MAX + 1),
                str(2**63 - 1),
                str(2**63),
                str(2**64),
                "9" * 400,
            ]
        ),
        st.sampled_from(NASTY).map(encode),
    )


def id_token(shop: str, claims: dict[str, Any] | None = None, secret: str = SHOPIFY_SECRET) -> str:
    """What App Bridge sends: a session token signed with the app's secret (test_app_home's shape)."""
    now = int(time.time())
    base = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": SHOPIFY_CLIENT_ID,
        "sub": "74",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": str(uuid.uuid4()),
        "sid": "session-1",
    }
    # PyJWS, not jwt.encode: a claim of any JSON type must be sendable, and jwt.encode checks them
    payload = json.dumps({**base, **(claims or {})}).encode()
    return jwt.api_jws.encode(payload, secret, algorithm="HS256")


@st.composite
def authorization(
    draw: st.DrawFn, auth: str, shops: tuple[str, ...]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The headers and query parameters that carry an ID token of the kind ``auth`` names."""
    shop = draw(st.sampled_from(shops))
    if auth == "id-token":
        token = id_token(shop)
    elif auth == "id-token-mutated":
        claim = draw(st.sampled_from(["iss", "dest", "aud", "sub", "exp", "nbf", "iat", "jti", "sid"]))
        value = draw(st.one_of(JSON_VALUES, st.sampled_from([0, -1, 2**63, int(time.time()) - 3600])))
        token = id_token(shop, {claim: value})
    elif auth == "id-token-forged":
        token = id_token(shop, secret="shpss_" + "0" * 32)
    else:
        token = draw(st.sampled_from(["x.y.z", "Bearer", "", "é", "a" * 5000])).strip() or "x"
    hints = [("shop", shop), ("embedded", "1"), ("host", "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdA")]
    if draw(st.booleans()):  # a fetch: the header; a page load: the query
        return [("Authorization", f"Bearer {token}")], []
    return [], [("id_token", token), *hints]


# --- the three families ---------------------------------------------------------------------------


@st.composite
def route_calls(draw: st.DrawFn, app: Flask, world: World, shops: tuple[str, ...]) -> Call:
    """Any rule, any method it allows (now and then one it does not), arguments, query, headers, body
    and who is asking, all drawn."""
    # each (rule, method) alike, so a rule's writes are tried as often as its reads; now and then a
    # method the rule does not allow, or HEAD and OPTIONS (which every rule allows)
    rule, method = draw(st.sampled_from([(r, m) for r, m in rules(app) if m not in ("HEAD", "OPTIONS")]))
    if draw(st.integers(0, 7)) == 0:
        method = draw(st.sampled_from(METHODS))
    named = _route_arguments(world)
    segments = {}
    for name, converter in rule._converters.items():  # werkzeug keeps no public map of them
        if isinstance(converter, IntegerConverter):
            segments[name] = draw(ids(world))
        else:
            segments[name] = encode(draw(named.get(name, variants("x"))))
    path = path_of(rule, segments)
    auth = draw(st.sampled_from(("cookie", "cookie", "id-token", *AUTHS)))  # most routes need someone
    headers: list[tuple[str, str]] = []
    query = [(name, draw(variants(value))) for name, value in draw(_query_pairs(world))]
    if auth.startswith("id-token") or auth == "junk":
        found_headers, found_query = draw(authorization(auth, shops))
        headers += found_headers
        query += found_query
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=3, unique=True)):
        headers.append((name, draw(st.one_of(HEADER_TEXT, st.sampled_from(NASTY).filter(_header_safe)))))
    body = b""
    if method in ("POST", "PUT", "DELETE", "PATCH") or draw(st.integers(0, 9)) == 0:
        body, content_type = draw(_body(rule.rule, world))
        if draw(st.integers(0, 9)) == 0:
            content_type = draw(st.sampled_from(CONTENT_TYPES))
        if content_type:
            headers.append(("Content-Type", content_type))
    return Call(
        method=method,
        path=path,
        query="&".join(f"{encode(k)}={encode(v)}" for k, v in query),
        headers=tuple(headers),
        body=body,
        auth=auth,
        csrf=draw(st.sampled_from(("valid", "valid", *CSRF))),  # mostly valid, to reach the view
    )


def _header_safe(value: str) -> bool:
    return "\r" not in value and "\n" not in value and all(ord(c) < 256 for c in value)


@st.composite
def _query_pairs(draw: st.DrawFn, world: World) -> list[tuple[str, str]]:
    plausible = {
        "lang": "ar",
        "locale": "fa-IR",
        "days": "30",
        "answer": "happy",
        "shop": world.shop,
        "embedded": "1",
        "success": "1",
        "token": world.token(SIGN_IN, world.payloads[SIGN_IN][0]),
    }
    names = draw(st.lists(st.sampled_from(QUERY_NAMES), max_size=3, unique=True))
    return [(name, plausible.get(name, "1")) for name in names]


def _reads(rule: str, world: World) -> tuple[dict[str, list[str]] | None, dict[str, Any] | None]:
    """The page's own form that posts to ``rule``, and the JSON it reads, where there are such."""
    pattern = re.compile(re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "[^/]+", rule))
    form = next((values for where, values in world.forms.items() if pattern.fullmatch(where)), None)
    document = next((doc for prefix, doc in JSON_BODIES.items() if rule.startswith(prefix)), None)
    if document and "user_id" in document:
        document = {**document, "user_id": world.token(GRANT_PURPOSE, world.payloads[GRANT_PURPOSE][0])}
    return form, document


@st.composite
def _body(draw: st.DrawFn, rule: str, world: World) -> tuple[bytes, str]:
    """Mostly what the route reads (its form, its JSON) with values changed; else anything."""
    form, document = _reads(rule, world)
    preferred = ["form"] * 4 if form is not None else ["json"] * 4 if document is not None else []
    kind = draw(st.sampled_from([*preferred, "form", "json", "bytes", "none"]))
    if kind == "none":
        return b"", ""
    if kind == "bytes":
        return draw(st.binary(max_size=64)), draw(st.sampled_from(CONTENT_TYPES))
    if kind == "json":
        return draw(json_body(document)), "application/json"
    values = form or {}
    pairs = [(name, value) for name, found in values.items() for value in (found or [""])]
    for at in draw(st.lists(st.integers(0, len(pairs) - 1), max_size=min(len(pairs), 12))) if pairs else ():
        name, value = pairs[at]
        pairs[at] = (name, draw(variants(value)))
    names = st.sampled_from([*values, "stop", "answer", "address"]) if values else st.text(max_size=8)
    for _ in range(draw(st.integers(0 if pairs else 1, 2))):
        pairs.append((draw(names), draw(variants(""))))
    if pairs and draw(st.integers(0, 5)) == 0:
        pairs.pop(draw(st.integers(0, len(pairs) - 1)))
    return form_encode(pairs), "application/x-www-form-urlencoded"


@st.composite
def webhook_calls(draw: st.DrawFn) -> Call:
    """A platform's delivery, body mutated then signed as the platform signs (or not), headers mutated."""
    kit: Kit = draw(st.sampled_from(KITS))
    topic = draw(st.one_of(st.sampled_from(kit.topics), variants(kit.order_topic).filter(_header_safe)))
    documents = [kit.order] + [json.loads(body) for _, body, _ in kit.privacy]
    document = draw(st.sampled_from(documents))
    body = draw(
        st.one_of(
            mutations(document).map(lambda doc: json.dumps(doc).encode()),
            st.just(json.dumps(document).encode()),
            st.sampled_from([deep(5000), b"[]", b"{}", b"", b"\xff", b'{"id": "\\u0000"}']),
        )
    )
    headers = dict(kit.headers(topic, body))  # signed over the final body
    for name in draw(st.lists(st.sampled_from(sorted(headers)), max_size=2, unique=True)):
        if draw(st.integers(0, 4)) == 0:
            del headers[name]
        else:
            headers[name] = draw(variants(headers[name]).filter(_header_safe))
    if kit.triggered_header and draw(st.integers(0, 5)) == 0:
        headers[kit.triggered_header] = draw(
            st.sampled_from(["2026-11-23T10:00:00", "yesterday", "", "9" * 30])
        )
    headers["Content-Type"] = draw(
        st.sampled_from(["application/json", "application/json", "text/plain", ""])
    )
    platform = kit.platform if draw(st.integers(0, 9)) else encode(draw(variants(kit.platform)))
    return Call("POST", f"/webhooks/{platform}", headers=tuple(headers.items()), body=body)


def _signable(value: Any) -> bool:
    """itsdangerous signs UTF-8 bytes: a lone surrogate cannot be in a token anyone signs."""
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except (UnicodeEncodeError, ValueError):
        return False
    return True


@st.composite
def link_calls(draw: st.DrawFn, world: World) -> Call:
    """A token signed with the app's key over a real payload or a mutated one, on its route or another's."""
    purpose = draw(st.sampled_from(sorted(world.payloads)))
    payload = draw(st.sampled_from(world.payloads[purpose]))
    if draw(st.integers(0, 3)):
        payload = draw(mutations(payload).filter(_signable))
    token = world.token(purpose, payload)
    if draw(st.integers(0, 5)) == 0:
        token = draw(variants(token))
    route = draw(
        st.sampled_from(LINK_ROUTES[purpose] if draw(st.integers(0, 4)) else sum(LINK_ROUTES.values(), ()))
    )
    method, template = route
    headers: list[tuple[str, str]] = []
    body = b""
    if template == "callback":
        grant = {**JSON_BODIES["/connect/woocommerce/callback"], "user_id": token}
        body = json.dumps(draw(st.one_of(st.just(grant), mutations(grant)))).encode()
        return Call(
            "POST",
            "/connect/woocommerce/callback",
            headers=(("Content-Type", "application/json"),),
            body=body,
        )
    if method == "POST":
        body = draw(
            st.sampled_from(
                [
                    b"List-Unsubscribe=One-Click",
                    b"answer=happy",
                    b"answer=unhappy",
                    b"stop=marketing&stop=review",
                    b"",
                ]
            ).flatmap(lambda b: st.one_of(st.just(b), st.binary(max_size=30)))
        )
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    target = template.format(encode(token))
    path, _, query = target.partition("?")
    answer = draw(st.sampled_from(["", "happy", "unhappy", "\x00", "x" * 300]))
    if answer and path.startswith("/c/"):
        query = f"answer={encode(answer)}"
    return Call(method, path, query=query, headers=tuple(headers), body=body)


def any_call(app: Flask, world: World, shops: tuple[str, ...]) -> st.SearchStrategy[Call]:
    """The long run's mix: mostly routes, then webhooks and links."""
    return st.one_of(route_calls(app, world, shops), webhook_calls(), link_calls(world))
