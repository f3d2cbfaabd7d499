"""The store's own SMTP server, as the merchant types it in (checked on save)."""

from __future__ import annotations

from typing import Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import Field, ValidationInfo, field_validator, model_validator

from channels.base import ChannelSettings
from connectors import netguard


def email_address(value: str | None) -> str | None:
    """An address normalised, or a ValueError with the reason (for a field's sentence)."""
    if not value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from exc


class SmtpSettings(ChannelSettings):
    from_name: str | None = Field(default=None, max_length=255, title="Sender name")
    from_email: str = Field(max_length=320, title="Sender address")
    host: str = Field(min_length=1, max_length=255, title="SMTP server")
    port: int | None = Field(default=None, ge=1, le=65535, title="Port")
    security: Literal["starttls", "tls", "none"] = Field(default="starttls", title="Security")
    username: str | None = Field(default=None, max_length=255, title="Username")
    password: str | None = Field(
        default=None, max_length=1024, title="Password", json_schema_extra={"secret": True}
    )

    @field_validator("from_email")
    @classmethod
    def _address(cls, value: str) -> str:
        return email_address(value) or ""

    @model_validator(mode="after")
    def _public_server(self, info: ValidationInfo) -> SmtpSettings:
        if (info.context or {}).get("public_only"):
            problem = netguard.check(self.host, self.port or 587, public_only=True)
            if problem:
                raise ValueError(f"host: {problem}.")
        return self
