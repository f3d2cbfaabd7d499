"""Typed settings: code defaults, then ``config.toml``, then ``AFTERCARE_*`` environment variables.

This module is the only reader of configuration. Everything else receives a :class:`Settings`.
A missing or invalid value raises :class:`ConfigError` whose message names the key, so the
processes can print one clear line at start instead of a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from cryptography.fernet import Fernet
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "AFTERCARE_"
CONFIG_PATH_VARIABLE = "AFTERCARE_CONFIG"


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the key and says what is expected."""


class Settings(BaseSettings):
    """Every setting the app reads, with its default. ``config.example.toml`` documents each key."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    database_url: str = "sqlite:///var/aftercare.db"
    secret_key: str = Field(min_length=32)
    encryption_keys: Annotated[list[str], NoDecode] = Field(min_length=1)
    public_url: str = "http://127.0.0.1:8000"
    environment: str = Field(default="development", pattern="^(development|production|test)$")

    webhook_max_bytes: int = Field(default=1_048_576, ge=1024)
    dispatch_interval_seconds: float = Field(default=5.0, gt=0)
    dispatch_batch_size: int = Field(default=50, ge=1, le=1000)
    dispatch_lease_seconds: int = Field(default=120, ge=10)
    dispatch_max_attempts: int = Field(default=8, ge=1)
    inbox_interval_seconds: float = Field(default=1.0, gt=0)  # how soon a received webhook is applied
    # applied deliveries' raw bodies are deleted after this long (past every platform's retries)
    inbox_keep_days: int = Field(default=7, ge=3, le=365)
    replan_interval_seconds: float = Field(default=900.0, gt=0)
    reconcile_interval_seconds: float = Field(default=180.0, gt=0)
    reconcile_backfill_days: int = Field(default=60, ge=0, le=365)
    webhook_check_interval_seconds: float = Field(default=3600.0, gt=0)
    # How often the worker looks for stores whose recommendation model is older than
    # recommend_rebuild_hours and builds it again in full (new orders join it as they arrive).
    recommend_interval_seconds: float = Field(default=600.0, gt=0)
    recommend_rebuild_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    tracking_interval_seconds: float = Field(default=600.0, gt=0)  # poll tracking sources, find stalls
    tracking_endpoints: dict[str, str] = Field(default_factory=dict)  # a source's address, e.g. a fake
    shopify_client_id: str = ""
    # The operator's billing hook, for stores whose platform has no billing API (WooCommerce, the
    # sandbox): plan changes are POSTed there, signed with the secret (``app.billing.hook``).
    billing_hook_url: str = ""
    billing_hook_secret: str = ""
    shopify_client_secret: str = ""
    shopify_old_client_secret: str = ""
    outbox_dir: str = "var/outbox"
    review_photos_dir: str = "var/review-photos"  # where review photos are kept (re-encoded by us)
    review_photo_max_bytes: int = Field(default=15 * 1024 * 1024, ge=64 * 1024)  # each, as uploaded
    review_photo_max_pixels: int = Field(default=40_000_000, ge=100_000)  # each, as decoded
    twilio_api_url: str = "https://api.twilio.com"
    twilio_content_url: str = "https://content.twilio.com"  # WhatsApp templates (Content API)
    whatsapp_template_interval_seconds: float = Field(default=900.0, gt=0)  # create, submit, follow
    # The default sender of every store: the operator's mail relay, sending From <store>@sending_domain.
    platform_smtp_url: str = Field(default="", pattern=r"^$|^(smtp|smtp\+starttls|smtps)://[^/]+$")
    sending_domain: str = Field(
        default="", pattern=r"^$|^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"
    )
    spf_include: str = ""  # what a store's SPF record includes for the relay; empty: _spf.<sending_domain>
    dmarc_report_address: str = ""  # rua= in the DMARC record we suggest; empty: none
    dns_servers: Annotated[list[str], NoDecode] = Field(default_factory=list)  # host[:port]; empty: system
    settings_sync_replan_orders: int = Field(default=2000, ge=0)  # more: the worker applies them (under 2 s)
    admin_link_max_age_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    connect_rate_limit: str = "10 per minute;100 per day"  # each client address, each form that posts
    rate_limit_storage_uri: str = "memory://"
    proxy_hops: int = Field(default=0, ge=0, le=5)  # reverse proxies in front, trusted for X-Forwarded-*

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        """Accept a comma-separated string from the environment as well as a TOML list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _valid_fernet_keys(cls, value: list[str]) -> list[str]:
        for key in value:
            try:
                Fernet(key)
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    "each key must be 32 url-safe base64-encoded bytes "
                    "(make one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())')"
                ) from exc
        return value

    @field_validator("dns_servers", mode="before")
    @classmethod
    def _split_servers(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def spf_domain(self) -> str:
        return self.spf_include or (f"_spf.{self.sending_domain}" if self.sending_domain else "")

    @field_validator("connect_rate_limit")
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)  # a ValueError names what could not be read
        return value

    @field_validator("rate_limit_storage_uri")
    @classmethod
    def _storage_uri(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError("must be a storage URI such as memory:// or redis://host:6379")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("must start with sqlite:// or postgresql://")
        return value

    def connector_options(self) -> dict[str, dict[str, Any]]:
        """What each platform's connector is built with (``connectors.registry.build``)."""
        return {
            "shopify": {
                "client_id": self.shopify_client_id,
                "client_secret": self.shopify_client_secret,
                "old_client_secret": self.shopify_old_client_secret or None,
            }
        }

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit values (tests) win, then the environment, then the TOML file."""
        toml_path = Path(os.environ.get(CONFIG_PATH_VARIABLE, "config.toml"))
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path)


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Build the settings, turning validation errors into one readable :class:`ConfigError`."""
    try:
        return Settings(**dict(overrides or {}))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "config"
            if error["type"] == "missing":
                problems.append(f"{key}: required; set it in config.toml or {ENV_PREFIX}{key.upper()}")
            elif error["type"] == "extra_forbidden":
                problems.append(f"{key}: unknown setting (see config.example.toml)")
            else:
                problems.append(f"{key}: {error['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
    except Exception as exc:  # a TOML syntax error arrives as a plain ValueError/TOMLDecodeError
        raise ConfigError(f"configuration could not be read: {exc}") from None
