"""The data dir is private to the server's user (folders 0700, databases and keys 0600), made so
for a new install and tightened for an older one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from litestar.testing import TestClient

from apexlocal.app import build_services, create_app
from tests.conftest import add_account, make_settings

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def private_paths(data_dir: Path) -> dict[str, int]:
    """The mode of the data dir, the queue folder and every database and key file in them."""
    paths = [
        data_dir,
        data_dir / "queues",
        *data_dir.glob("*.db*"),
        *data_dir.glob("*.key"),
        *(data_dir / "queues").glob("*.db*"),
    ]
    return {str(p.relative_to(data_dir.parent)): mode(p) for p in paths}


def expected(data_dir: Path) -> dict[str, int]:
    return {name: 0o700 if (data_dir.parent / name).is_dir() else 0o600 for name in private_paths(data_dir)}


def test_a_new_data_dir_is_private(tmp_path, models_dir):
    settings = make_settings(tmp_path / "data", models_dir)
    app = create_app(settings, start_workers=False)
    with TestClient(app) as client:
        account = add_account(app.state.services.db, settings, "modes@example.com")
        assert client.get("/api/settings", headers=account.headers).status_code == 200
        found = private_paths(settings.data_dir)
        assert {
            "data",
            "data/app.db",
            "data/app.db-wal",
            "data/file-signing.key",
            "data/secrets.key",
            "data/queues",
            "data/queues/gpu.db",
        } <= set(found)
        assert found == expected(settings.data_dir)


def test_an_older_data_dir_is_tightened_on_start(tmp_path, models_dir):
    settings = make_settings(tmp_path / "data", models_dir)
    build_services(settings).close()
    loose = [
        settings.data_dir,
        settings.queue_dir,
        *settings.data_dir.glob("*.db*"),
        *settings.data_dir.glob("*.key"),
        *settings.queue_dir.glob("*.db*"),
    ]
    for path in loose:  # as an install with umask 022 left them
        path.chmod(0o755 if path.is_dir() else 0o644)
    services = build_services(settings)
    try:
        assert set(private_paths(settings.data_dir).values()) == {0o700, 0o600}
        assert private_paths(settings.data_dir) == expected(settings.data_dir)
    finally:
        services.close()
