"""`apexlocal worker` refuses to start without the redis queue backend, naming what to set."""

from __future__ import annotations

from click.testing import CliRunner

from apexlocal.cli import cli


def test_a_worker_needs_the_redis_backend(tmp_path):
    result = CliRunner().invoke(cli, ["worker", "--data-dir", str(tmp_path)], env={"APEXLOCAL_QUEUE_BACKEND": "sqlite"})
    assert result.exit_code == 1 and "a worker needs queue_backend = redis" in result.output
    no_url = {"APEXLOCAL_QUEUE_BACKEND": "redis", "APEXLOCAL_REDIS_URL": ""}
    result = CliRunner().invoke(cli, ["worker", "--data-dir", str(tmp_path)], env=no_url)
    assert result.exit_code == 1 and "redis_url: must be set when queue_backend is redis" in result.output
    result = CliRunner().invoke(cli, ["worker", "--name", "../up", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--name" in result.output
    assert not (tmp_path / "app.db").exists()
