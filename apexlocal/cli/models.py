"""`apexlocal models`: list, pull, verify and remove the models of the catalogue."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import click

from apexlocal.cli.options import fail, with_settings
from apexlocal.errors import ConfigError, ModelError
from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings


@click.group("models")
def models_group() -> None:
    """Install, check and remove the models apexlocal runs."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_settings
def list_models(settings: Settings, as_json: bool) -> None:
    """Every model of the catalogue, whether it is installed, and what pulling it downloads."""
    manifest, store = _open(settings)
    rows = [_row(store, entry) for entry in manifest.model]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    places = ", ".join(f"{name}: {path}" for name, path in store.places().items())
    click.echo(f"model set: {settings.model_set}, {places}")
    _print_table(
        ["ID", "TASKS", "INSTALLED", "ON DISK", "PULL DOWNLOADS", "LICENSE", "ALIASES"],
        [
            [
                r["id"],
                ",".join(r["tasks"]),
                "yes" if r["installed"] else "no",
                _human(r["size_bytes"]) if r["installed"] else "-",
                _pull_label(r),
                f"{r['license']} ({'commercial use ok' if r['commercial'] else 'NON-COMMERCIAL'})",
                ",".join(r["aliases"]) or "-",
            ]
            for r in rows
        ],
    )


@models_group.command("pull")
@click.argument("names", nargs=-1, required=True)
@with_settings
def pull(settings: Settings, names: tuple[str, ...]) -> None:
    """Install models by id or alias (downloads resume; the tiny set builds)."""
    manifest, store = _open(settings)
    failures = []
    for entry in _entries(manifest, names):
        if store.is_installed(entry):
            click.echo(f"{entry.id}: already installed at {store.path(entry)}")
            continue
        bars = _Bars()
        try:
            path = store.pull(entry, progress=bars.update)
        except ModelError as exc:
            failures.append(str(exc))
            continue
        finally:
            bars.close()
        click.echo(
            f"{entry.id}: installed at {path} ({_human(store.status(entry)['size_bytes'])} on disk, "
            f"{_human(bars.downloaded)} downloaded now)"
        )
    if failures:
        fail("\n".join(failures))


@models_group.command("verify")
@click.argument("names", nargs=-1)
@with_settings
def verify(settings: Settings, names: tuple[str, ...]) -> None:
    """Re-hash installed files (default: every installed model)."""
    manifest, store = _open(settings)
    entries = _entries(manifest, names) if names else [e for e in manifest.model if store.is_installed(e)]
    if not entries:
        click.echo("no model is installed")
        return
    broken = 0
    for entry in entries:
        problems = store.verify(entry)
        if not problems:
            click.echo(f"{entry.id}: ok")
            continue
        broken += 1
        click.echo(f"{entry.id}: {len(problems)} problem(s)")
        for problem in problems:
            click.echo(f"  {problem}")
    if broken:
        fail(f"{broken} model(s) failed verification")


@models_group.command("rm")
@click.argument("names", nargs=-1, required=True)
@with_settings
def remove(settings: Settings, names: tuple[str, ...]) -> None:
    """Delete installed models (partial downloads included)."""
    manifest, store = _open(settings)
    failures = []
    for entry in _entries(manifest, names):
        try:
            freed = store.remove(entry)
        except ModelError as exc:
            failures.append(str(exc))
            continue
        click.echo(f"{entry.id}: freed {_human(freed)}" if freed else f"{entry.id}: nothing to remove")
    if failures:
        fail("\n".join(failures))


def _open(settings: Settings) -> tuple[Manifest, ModelStore]:
    try:
        manifest = load_manifest(settings.models_manifest)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return manifest, ModelStore(settings, manifest)


def _entries(manifest: Manifest, names: Iterable[str]) -> list[ModelEntry]:
    entries, unknown = [], []
    for name in names:
        entry = manifest.resolve(name)
        if entry is None:
            unknown.append(name)
        elif entry not in entries:
            entries.append(entry)
    if unknown:
        fail(
            f"unknown model(s): {', '.join(unknown)}; known: {', '.join(m.id for m in manifest.model)} "
            f"(see `apexlocal models list`)"
        )
    return entries


def _row(store: ModelStore, entry: ModelEntry) -> dict[str, Any]:
    status = store.status(entry)
    downloads = store.downloads(entry)
    return {
        "id": entry.id,
        "name": entry.name,
        "tasks": list(entry.tasks),
        "installed": status["installed"],
        "size_bytes": status["size_bytes"],
        # What `pull` fetches from the hub: the selected files at the pinned commit, from the
        # manifest (no network); nothing when installed, built locally or shipped by a package.
        "download_bytes": entry.source.download_bytes if downloads and not status["installed"] else 0,
        "download_estimated": entry.source.download_estimated,
        "source": entry.source.kind if downloads or entry.source.kind in ("pypi", "system") else "tiny",
        "memory_gb": entry.memory_gb,
        "license": entry.license,
        "commercial": entry.commercial,
        "aliases": list(entry.aliases),
        "default_for": list(entry.default_for),
        "revision": status["revision"],
        "path": status["path"],
    }


def _pull_label(row: dict[str, Any]) -> str:
    if row["installed"]:
        return "-"
    if row["source"] == "pypi":
        return "nothing (pip package)"
    if row["source"] == "system":
        return "nothing (system package)"
    if row["source"] == "tiny":
        return "nothing (built locally)"
    return ("~" if row["download_estimated"] else "") + _human(row["download_bytes"])


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


class _Bars:
    """One tqdm bar per file, fed by the store's progress callback."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._file = ""
        self._done = 0
        self.downloaded = 0

    def update(self, done: int, total: int, path: str) -> None:
        from tqdm import tqdm

        if path != self._file:
            self.close()
            self._file, self._done = path, done
            self._bar = tqdm(
                total=total or None,
                initial=done,
                desc=path,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                dynamic_ncols=True,
                leave=True,
            )
            return
        delta = done - self._done
        self._done = done
        if self._bar is None:
            return
        if delta < 0:  # the server ignored a resume and the file starts over
            self._bar.reset(total=total or None)
            delta = done
        self.downloaded += delta
        self._bar.update(delta)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._file = ""
