"""Options every command shares, and the settings they build."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from apexlocal.errors import ConfigError
from apexlocal.settings import Settings, load_settings


def with_settings(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds `--data-dir` and `--config` to a command and passes it `settings` instead."""

    @click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        default=None,
        help="Data directory (default: APEXLOCAL_DATA_DIR, the config file, or the platform's).",
    )
    @click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path, exists=True),
        default=None,
        help="TOML config file (default: APEXLOCAL_CONFIG).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, data_dir: Path | None, config_file: Path | None, **kwargs: Any) -> Any:
        overrides = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith("setting_")}
        overrides = {k.removeprefix("setting_"): v for k, v in overrides.items()}
        try:
            settings = load_settings(config_file, overrides={"data_dir": data_dir, **overrides})
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        return func(*args, settings=settings, **kwargs)

    return wrapper


def fail(message: str) -> None:
    raise click.ClickException(message)


__all__ = ["Settings", "fail", "with_settings"]
