"""Encryption at rest for secrets (invariant 7).

Columns typed :class:`EncryptedText` hold Fernet tokens. The keyring is configured once per process
by :func:`configure` (from ``Settings.encryption_keys``; the first key encrypts, all keys decrypt, so a
key can be rotated by putting the new one first).
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

_keyring: MultiFernet | None = None


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def configure(keys: list[str]) -> None:
    """Install the keyring used by every encrypted column in this process."""
    global _keyring
    _keyring = MultiFernet([Fernet(key) for key in keys])


def _ring() -> MultiFernet:
    if _keyring is None:
        raise RuntimeError("crypto.configure() was not called; create_app() does it")
    return _keyring


def encrypt(plaintext: str) -> str:
    return _ring().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _ring().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("a stored secret does not decrypt with the configured keys") from exc


class EncryptedText(TypeDecorator[str]):
    """A string column stored as a Fernet token; Python code only ever sees the plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)
