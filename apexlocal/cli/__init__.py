"""The `apexlocal` command."""

from __future__ import annotations

import click

from apexlocal import __version__
from apexlocal.cli.accounts import credits_group, keys_group, users_group
from apexlocal.cli.serve import serve
from apexlocal.cli.settings_doc import settings_command
from apexlocal.cli.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="apexlocal")
def cli() -> None:
    """apexlocal: the AI Video Generation API on your own machine."""


cli.add_command(serve)
cli.add_command(users_group)
cli.add_command(keys_group)
cli.add_command(credits_group)
cli.add_command(settings_command)
cli.add_command(worker)


def _add_models() -> None:
    from apexlocal.cli.models import models_group

    cli.add_command(models_group)


_add_models()


def main() -> None:
    cli(prog_name="apexlocal")
