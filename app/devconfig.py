"""Write a development ``config.toml`` from ``config.example.toml`` with freshly generated secrets.

``python -m app.devconfig`` (run by ``make run`` when config.toml is missing). Never overwrites.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def main(example: str = "config.example.toml", target: str = "config.toml") -> int:
    path = Path(target)
    if path.exists():
        return 0
    text = Path(example).read_text()
    text = text.replace('secret_key = ""', f'secret_key = "{secrets.token_urlsafe(48)}"', 1)
    text = text.replace("encryption_keys = []", f'encryption_keys = ["{Fernet.generate_key().decode()}"]', 1)
    # The demo's default sender is the sandbox mailbox (Procfile.dev's "mail"), from a domain of its own.
    text = text.replace('platform_smtp_url = ""', 'platform_smtp_url = "smtp://127.0.0.1:1025"', 1)
    text = text.replace('sending_domain = ""', 'sending_domain = "mail.aftercare.localhost"', 1)
    path.write_text(text)
    path.chmod(0o600)
    print(f"wrote {target} with new secrets")  # noqa: T201 - a command-line tool's output
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
