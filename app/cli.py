"""Command-line commands: ``flask --app app migrate | demo-setup | login-link``."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app import channel_settings, migrate
from app.journeys.config import JourneyConfig, StepConfig
from app.models import Store
from app.web.admin import auth

SIGN_IN_FILE = "var/sign-in-link.txt"
# The demo's journey runs in minutes rather than days, at any hour, so a newcomer sees every step (and
# the dashboard fill with the sandbox customers' clicks, reviews and orders) soon after `make run`.
DEMO_JOURNEY = JourneyConfig(
    steps={
        name: StepConfig(delay_minutes=minutes, bypass_window=True)
        for name, minutes in {
            "check_in": 2,
            "review_request": 3,
            "review_reminder": 3,
            "cross_sell": 4,
            "win_back": 8,
        }.items()
    },
    frequency_cap_hours=0,
    open_pixel=True,
)
SANDBOX_REF = "sandbox-boutique"


def init_app(app: Flask) -> None:
    app.cli.add_command(migrate_command)
    app.cli.add_command(demo_setup_command)
    app.cli.add_command(login_link_command)


@click.command("migrate")
@with_appcontext
def migrate_command() -> None:
    """Bring the database schema up to date."""
    migrate.upgrade(current_app.extensions["aftercare"].settings.database_url)
    click.echo("database is up to date")


@click.command("demo-setup")
@with_appcontext
@click.option(
    "--out", default="var/sandbox.json", show_default=True, help="where the sandbox store reads its settings"
)
@click.option("--smtp-port", default=1025, show_default=True, help="the sandbox mail server's port")
def demo_setup_command(out: str, smtp_port: int) -> None:
    """Create (or reuse) the sandbox store and write what the simulated store needs to run."""
    services = current_app.extensions["aftercare"]
    with services.db.session() as session:
        store = session.scalars(
            select(Store).where(Store.platform == "sandbox", Store.external_id == SANDBOX_REF)
        ).first()
        if store is None:
            store = Store(
                platform="sandbox",
                external_id=SANDBOX_REF,
                name="Sandbox Boutique",
                webhook_secret=secrets.token_urlsafe(32),
                sender_name="Sandbox Boutique",
                reply_to="care@sandbox-boutique.example",
                journey=DEMO_JOURNEY.model_dump_json(exclude_defaults=True),
            )
            session.add(store)
            session.flush()
            if not services.settings.platform_smtp_url:  # no default sender: its own, the mailbox
                channel_settings.save_values(
                    session,
                    store,
                    "smtp",
                    {
                        "from_email": "hello@sandbox-boutique.example",
                        "host": "127.0.0.1",
                        "port": smtp_port,
                        "security": "none",
                    },
                )
        store_id, secret = store.id, store.webhook_secret
    public = services.settings.public_url.rstrip("/")
    admin_url = auth.login_url(services.settings, store_id)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "store_ref": SANDBOX_REF,
                "webhook_secret": secret,
                "webhook_url": f"{public}/webhooks/sandbox",
                "admin_url": admin_url,
            },
            indent=2,
        )
    )
    path.chmod(0o600)
    _write_link(admin_url)
    click.echo(
        f"Sandbox store ready. Sign in (the link works once) and watch orders arrive:\n\n  {admin_url}\n\n"
        f"It is also in {SIGN_IN_FILE}, and the sandbox prints it again every minute; "
        "`make link` makes a new one.\n"
    )


def _write_link(link: str) -> None:
    """Keep the latest sign-in link in a file of its own: the terminal scrolls it away under the logs."""
    path = Path(SIGN_IN_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(link + "\n")
    path.chmod(0o600)


@click.command("login-link")
@with_appcontext
@click.argument("store_id", type=int, required=False)
@click.option(
    "--sandbox", is_flag=True, help=f"the demo's sandbox store; the link is also written to {SIGN_IN_FILE}"
)
def login_link_command(store_id: int | None, sandbox: bool) -> None:
    """Print a signed sign-in link to a store's pages."""
    services = current_app.extensions["aftercare"]
    if sandbox:
        with services.db.session() as session:
            store_id = session.scalar(
                select(Store.id).where(Store.platform == "sandbox", Store.external_id == SANDBOX_REF)
            )
        if store_id is None:
            raise click.ClickException("There is no sandbox store yet: run `flask --app app demo-setup`.")
    if store_id is None:
        raise click.UsageError("Give a STORE_ID, or --sandbox.")
    link = auth.login_url(services.settings, store_id)
    if sandbox:
        _write_link(link)
    click.echo(link)
