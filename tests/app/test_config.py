"""Settings: layered sources, and a clear one-line error naming the key."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from app.config import ConfigError, load_settings

KEY = Fernet.generate_key().decode()
GOOD = {"secret_key": "s" * 40, "encryption_keys": [KEY]}


def test_defaults_are_the_embedded_sqlite():
    settings = load_settings(GOOD)
    assert settings.database_url == "sqlite:///var/aftercare.db"
    assert settings.dispatch_batch_size == 50


def test_toml_then_environment(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'secret_key = "{"t" * 40}"\nencryption_keys = ["{KEY}"]\ndispatch_batch_size = 7\n')
    monkeypatch.setenv("AFTERCARE_CONFIG", str(config))
    assert load_settings().dispatch_batch_size == 7
    monkeypatch.setenv("AFTERCARE_DISPATCH_BATCH_SIZE", "9")
    monkeypatch.setenv("AFTERCARE_ENCRYPTION_KEYS", f"{Fernet.generate_key().decode()},{KEY}")
    settings = load_settings()
    assert settings.dispatch_batch_size == 9 and len(settings.encryption_keys) == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"secret_key": None}, "secret_key: required"),
        ({"encryption_keys": ["not-a-key"]}, "encryption_keys"),
        ({"database_url": "mysql://x"}, "database_url: "),
        ({"dispatch_batch_size": 0}, "dispatch_batch_size"),
        ({"smtp_hots": "x"}, "smtp_hots: unknown setting"),
    ],
)
def test_invalid_settings_name_the_key(overrides, message):
    values = {**GOOD, **overrides}
    values = {key: value for key, value in values.items() if value is not None}
    with pytest.raises(ConfigError, match=message):
        load_settings(values)


def test_broken_toml_is_reported(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("secret_key = [unclosed\n")
    monkeypatch.setenv("AFTERCARE_CONFIG", str(config))
    with pytest.raises(ConfigError, match="configuration could not be read"):
        load_settings()


@pytest.mark.parametrize("module", ["scheduler", "app.wsgi"])
def test_processes_refuse_to_start_with_one_clear_line(module, tmp_path):
    """The worker and the web entry point exit 2 with a message naming the key, not a traceback."""
    env = {
        "PATH": "/usr/bin:/bin",
        "AFTERCARE_CONFIG": str(tmp_path / "missing.toml"),
        "AFTERCARE_ENCRYPTION_KEYS": KEY,
    }
    result = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "secret_key: required" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_web_entry_point_keeps_what_it_built_out_of_every_garbage_collection(tmp_path):
    """gunicorn's worker imports ``app.wsgi``: the app and every module it loaded are frozen, so a
    full collection during a request walks only what requests made (its pauses were a new server's
    slowest answers)."""
    config = tmp_path / "config.toml"
    config.write_text(f'secret_key = "{"s" * 40}"\ndatabase_url = "sqlite:///{tmp_path / "a.db"}"\n')
    env = {"PATH": "/usr/bin:/bin", "AFTERCARE_CONFIG": str(config), "AFTERCARE_ENCRYPTION_KEYS": KEY}
    probe = "import gc, app.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 50_000 and tracked < frozen / 10


def test_the_worker_keeps_what_it_built_out_of_every_garbage_collection(tmp_path):
    """The worker's app, dispatcher and modules are frozen once built, as the web's: each full
    collection walked them, a pause of 140-190 ms about every thousand messages sent."""
    config = tmp_path / "config.toml"
    config.write_text(f'secret_key = "{"s" * 40}"\ndatabase_url = "sqlite:///{tmp_path / "a.db"}"\n')
    env = {"PATH": "/usr/bin:/bin", "AFTERCARE_CONFIG": str(config), "AFTERCARE_ENCRYPTION_KEYS": KEY}
    probe = (
        "import gc; from scheduler.__main__ import build; build(); "
        "print(gc.get_freeze_count(), len(gc.get_objects()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 50_000 and tracked < frozen / 10
