"""HTTP to the app and the fakes on loopback, without a timeout: a busy machine makes a test slow,
never wrong. (A session per call, so no cookie passes from one request to the next.)"""

from __future__ import annotations

from typing import Any

import requests


def get(url: str, **options: Any) -> requests.Response:
    with requests.Session() as session:
        return session.get(url, **options)


def post(url: str, **options: Any) -> requests.Response:
    with requests.Session() as session:
        return session.post(url, **options)
