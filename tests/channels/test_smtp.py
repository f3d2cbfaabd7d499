"""The store's SMTP settings checked at once ("test connection"), against a real server on loopback."""

from __future__ import annotations

import pytest

from channels.base import ChannelDown
from channels.smtp import Server, check
from tests.fakes.ports import free_port


def sender(port: int, **changes) -> Server:
    values = {"host": "127.0.0.1", "port": port, "security": "none"}
    renamed = {key.removeprefix("smtp_"): value for key, value in changes.items()}
    return Server(**{**values, **renamed, "host": renamed.get("host", "127.0.0.1") or ""})


def test_a_working_server_passes_and_receives_nothing(smtp):
    check(sender(smtp.port))
    assert smtp.received == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"smtp_port": None}, "could not be reached"),  # replaced below by a closed port
        ({"smtp_security": "starttls"}, "does not offer this security mode"),
        ({"smtp_username": "shop", "smtp_password": "secret"}, "does not offer"),
        ({"smtp_host": None}, "no SMTP server is set"),
    ],
)
def test_a_wrong_setting_is_reported_in_words(smtp, changes, words):
    if changes.get("smtp_port", 1) is None:
        changes = {"smtp_port": free_port()}
    with pytest.raises(ChannelDown, match=words):
        check(sender(smtp.port, **changes))
