"""Expiring offline access tokens, obtained and renewed only through ``shopifyapp``.

Shopify requires new public apps to use expiring offline tokens: an access token lives 60 minutes
and comes with a refresh token that is replaced at every refresh. The first App Home request carries
an App Bridge ID token, which ``token_exchange`` turns into the pair; ``refresh_access_token`` renews
it before it expires, and again when Shopify refuses a token it still believed valid.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from shopify_app import AppConfig, refresh_access_token, token_exchange

from connectors.base import AuthError, TransientError
from connectors.shopify.client import ShopCredentials

REFRESH_MARGIN = timedelta(minutes=5)  # renew this long before the token would expire


def app_config(client_id: str, client_secret: str, old_client_secret: str | None = None) -> AppConfig:
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "old_client_secret": old_client_secret or None,
    }


def exchange(config: AppConfig, id_token: Any, http_client: httpx.Client | None = None) -> ShopCredentials:
    """An App Bridge ID token (verified by ``verify_app_home_req``) -> an expiring offline token."""
    result = token_exchange("offline", config, id_token=id_token, expiring=True, http_client=http_client)
    if not result.ok or result.access_token is None:
        raise _error(result.log.code, "token exchange")
    return _credentials(result.access_token)


def refresh(
    config: AppConfig,
    current: ShopCredentials,
    http_client: httpx.Client | None = None,
    *,
    force: bool = False,
) -> ShopCredentials | None:
    """New credentials if the token is (nearly) expired, or ``force`` (Shopify refused it); None if
    the current token is still good. Raises AuthError when the refresh token is expired or revoked."""
    if not current.refresh_token:
        if force:
            raise AuthError(f"{current.shop}: the access token was refused and cannot be refreshed")
        return None
    expires = _time(current.expires_at)
    if not force and expires is not None and expires - REFRESH_MARGIN > datetime.now(UTC):
        return None
    token = {
        "shop": current.shop.removesuffix(".myshopify.com"),
        "refresh_token": current.refresh_token,
        # shopifyapp refreshes only a token within 60 s of expiry; we renew earlier (REFRESH_MARGIN, so a
        # long sync never starts on a dying token) and when Shopify refused one early: we decided above.
        "expires": "1970-01-01T00:00:00Z",
        "refresh_token_expires": current.refresh_token_expires_at or "",
        "access_mode": "offline",
    }
    result = refresh_access_token(token, config, http_client=http_client)
    if not result.ok:
        raise _error(result.log.code, "token refresh")
    return _credentials(result.access_token) if result.access_token is not None else None


def _credentials(token: Any) -> ShopCredentials:
    return ShopCredentials(
        shop=f"{token.shop}.myshopify.com",
        access_token=token.token,
        refresh_token=token.refresh_token,
        expires_at=token.expires,
        refresh_token_expires_at=token.refresh_token_expires,
        scope=token.scope,
    )


TRANSIENT_CODES = {
    "network_error",
    "rate_limit_exceeded",
    "rate_limited_retry",
    "server_error",
    "server_error_retry",
}


def _error(code: str, what: str) -> Exception:
    """shopifyapp's result code -> our error. (Its ``response.status`` is the answer it suggests we
    give a browser, not what Shopify said, so the code decides.)"""
    if code in TRANSIENT_CODES:
        return TransientError(f"{what} could not reach Shopify ({code})")
    return AuthError(f"{what} refused ({code})")


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
