"""`apexlocal serve`: the API, the web UI and the workers in one process."""

from __future__ import annotations

import logging
from datetime import timedelta

import click

from apexlocal.cli.options import with_settings
from apexlocal.settings import Settings


@click.command()
@click.option("--host", "setting_host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", "setting_port", type=int, default=None, help="Port to listen on (default 8000).")
@with_settings
def serve(settings: Settings) -> None:
    """Run the server."""
    import uvicorn

    from apexlocal.accounts import login_links
    from apexlocal.accounts.bootstrap import ensure_owner
    from apexlocal.accounts.users import get_by_email
    from apexlocal.app import build_services, create_app
    from apexlocal.cli.accounts import browser_base_url
    from apexlocal.cli.timeouts import timed_protocol

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = build_services(settings)
    owner = ensure_owner(services.db, settings)
    if owner is not None:
        click.echo(f"Created the owner account {owner.email} (enterprise, admin).")
        click.echo("Its API key, shown this once:")
        click.echo(owner.key)
        token = login_links.create_link(
            services.db, get_by_email(services.db, owner.email).id, timedelta(minutes=settings.login_link_minutes)
        )
        click.echo(
            "Open the studio with this one-time link (valid 15 minutes; later: "
            f"`apexlocal users login-link {owner.email}`):"
        )
        click.echo(login_links.login_url(browser_base_url(settings), token))
    click.echo(
        f"apexlocal on {settings.resolved_base_url}  (data: {settings.data_dir}, models: {settings.model_set})",
        err=True,
    )
    app = create_app(settings, services)
    # The app object, not an import string: that is what works inside the one-file binary too.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=30,
        http=timed_protocol(settings.header_timeout_seconds, settings.body_timeout_seconds),
    )
