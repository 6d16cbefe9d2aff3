"""`apexlocal worker`: runs jobs of the `gpu` queue in Redis for the API process that keeps the
database (queue_backend = redis). It never opens the database."""

from __future__ import annotations

import logging
import os
import re
import socket

import click

from apexlocal.cli.options import with_settings
from apexlocal.errors import ConfigError
from apexlocal.settings import Settings

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def default_name() -> str:
    host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()) or "worker"
    return f"{host}-{os.getpid()}"


@click.command()
@click.option(
    "--name",
    default=None,
    help="This worker's name in the jobs it runs (their metadata's `worker`) and in logs (default: HOST-PID).",
)
@with_settings
def worker(settings: Settings, name: str | None) -> None:
    """Run jobs for an API process elsewhere, from the `gpu` queue in Redis.

    Needs queue_backend = redis, the same redis_url as the API process, and storage both can reach
    (storage_backend = s3, or a local folder both see). Runs gpu_workers jobs at a time; SIGTERM or
    Ctrl-C lets the running jobs finish first.
    """
    from huey.consumer import Consumer

    from apexlocal.jobs.remote_worker import build_worker, worker_queue

    name = name or default_name()
    if not _NAME.fullmatch(name):
        raise click.BadParameter("letters, digits, '.', '_' and '-', at most 64", param_hint="--name")
    if settings.queue_backend != "redis":
        raise click.ClickException("a worker needs queue_backend = redis (and redis_url): set both as the server has")
    if settings.gpu_workers < 1:
        raise click.BadParameter(f"must be at least 1, got {settings.gpu_workers}", param_hint="gpu_workers")
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        services = build_worker(settings, name)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    consumer = Consumer(
        worker_queue(services),
        workers=settings.gpu_workers,
        periodic=False,  # the API process alone runs periodic work (reaping leases)
        worker_type="thread",
        graceful_signal="TERM",
    )
    click.echo(f"apexlocal worker {name} takes jobs from the gpu queue ({settings.gpu_workers} at a time)")
    consumer.run()
