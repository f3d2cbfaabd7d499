"""Sending a ``Call``: in-process through Flask's test client (the CI slice) or over a real socket to
gunicorn (``bench/fuzz.py``). Both sign in the same way when a call asks for a session, by the
single-use link a merchant gets, and take the CSRF token from ``/admin/api/session``."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie

from flask import Flask

from app import services
from app.config import Settings
from app.web.admin.auth import login_token
from tests.fuzz.strategies import Call, encode
from tests.fuzz.world import World

COOKIE = "aftercare_session"
WRITES = ("POST", "PUT", "DELETE", "PATCH")


@dataclass
class Answer:
    status: int  # 0: the server closed the connection without answering
    headers: dict[str, str]
    body: bytes


@dataclass
class Session:
    cookie: str
    csrf: str


class Sender:
    """Sends calls for one world; ``raw`` is the transport."""

    def __init__(self, world: World, settings: Settings) -> None:
        self.world = world
        self.settings = settings
        self.live: Session | None = None
        self.ended: Session | None = None
        self.other_csrf = ""

    def raw(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        raise NotImplementedError

    def send(self, call: Call) -> Answer:
        headers = list(call.headers)
        body = call.body
        if call.auth in ("cookie", "cookie-ended"):
            session = self._session(ended=call.auth == "cookie-ended")
            headers.append(("Cookie", f"{COOKIE}={session.cookie}"))
            token = {
                "valid": session.csrf,
                "wrong": session.csrf[::-1],
                "other-session": self.other_csrf,
            }.get(call.csrf)
            if token is not None:
                headers.append(("X-CSRFToken", token))
                if call.method in WRITES and _is_form(headers):
                    body = (body + b"&" if body else b"") + f"csrf_token={encode(token)}".encode()
        answer = self.raw(call.method, call.target, headers, body)
        if call.auth == "cookie" and (answer.status == 401 or "sign-out" in call.path):
            self.live = None  # signed out (or out everywhere): the next cookie call signs in again
        return answer

    def _session(self, *, ended: bool) -> Session:
        if ended:
            if self.ended is None:
                self.ended = self._sign_in()
                self.raw(
                    "POST",
                    "/admin/sign-out",
                    [("Cookie", f"{COOKIE}={self.ended.cookie}"), ("X-CSRFToken", self.ended.csrf)],
                    b"",
                )
            return self.ended
        if self.live is None:
            self.live = self._sign_in()
            if not self.other_csrf:
                self.other_csrf = self._sign_in().csrf
        return self.live

    def _sign_in(self) -> Session:
        token = login_token(self.settings, self.world.store_id)
        answer = self.raw("GET", f"/admin/login?token={encode(token)}", [], b"")
        cookie = SimpleCookie(answer.headers.get("Set-Cookie", ""))
        if answer.status != 302 or COOKIE not in cookie:
            raise RuntimeError(f"signing in answered {answer.status}")
        value = cookie[COOKIE].value
        found = self.raw("GET", "/admin/api/session", [("Cookie", f"{COOKIE}={value}")], b"")
        renewed = SimpleCookie(found.headers.get("Set-Cookie", ""))  # the CSRF token's half is kept there
        if COOKIE in renewed:
            value = renewed[COOKIE].value
        return Session(cookie=value, csrf=json.loads(found.body)["csrf_token"])


def _is_form(headers: list[tuple[str, str]]) -> bool:
    kinds = [value for name, value in headers if name.lower() == "content-type"]
    return bool(kinds) and kinds[-1].startswith("application/x-www-form-urlencoded")


class ClientSender(Sender):
    """In-process, through Flask's test client: what the CI slice uses."""

    def __init__(self, app: Flask, world: World) -> None:
        aftercare = services(app)
        super().__init__(world, aftercare.settings)
        self.client = app.test_client(use_cookies=False)

    def raw(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        path, _, query = target.partition("?")
        response = self.client.open(path, method=method, query_string=query, headers=headers, data=body)
        return Answer(response.status_code, dict(response.headers), response.get_data())


class HttpSender(Sender):
    """Over one kept-alive loopback connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int, world: World, settings: Settings) -> None:
        super().__init__(world, settings)
        self.host, self.port = host, port
        self.connection: http.client.HTTPConnection | None = None
        self.dropped = 0

    def raw(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        for attempt in (1, 2):
            connection = self.connection or http.client.HTTPConnection(self.host, self.port)
            self.connection = connection
            try:
                connection.putrequest(method, target, skip_accept_encoding=True)
                for name, value in headers:
                    connection.putheader(name, value.encode("latin-1", "replace"))
                if body or method in WRITES:
                    connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body or None)
                response = connection.getresponse()
                data = response.read()
                if response.will_close:
                    connection.close()
                    self.connection = None
                return Answer(response.status, {k: v for k, v in response.getheaders()}, data)
            except (http.client.HTTPException, OSError):
                connection.close()
                self.connection = None
                if attempt == 2:
                    self.dropped += 1
        return Answer(0, {}, b"")
