"""`apexlocal models` against the fake hub: list (what a pull downloads, from the manifest alone),
pull with progress, verify, rm."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from apexlocal.cli.models import models_group
from apexlocal.settings import Settings
from tests.models.fake_repos import ALPHA_TAKEN, BETA_COMMIT, BETA_TAKEN, COMMIT, TOKEN
from tests.models.hub_server import FakeHub

ALPHA_KB = f"{sum(len(d) for d in ALPHA_TAKEN.values()) / 1000:.1f} KB"


@pytest.fixture
def cli_env(settings: Settings, manifest_path: Path) -> dict[str, str]:
    return {
        "APEXLOCAL_HF_ENDPOINT": settings.hf_endpoint,
        "APEXLOCAL_HF_TOKEN": TOKEN,
        "APEXLOCAL_MODELS_MANIFEST": str(manifest_path),
        "APEXLOCAL_DATA_DIR": str(settings.data_dir),
        "APEXLOCAL_HF_CACHE_DIR": str(settings.hf_cache_dir),
        "APEXLOCAL_MODEL_SET": "full",
        "APEXLOCAL_CONFIG": "",
    }


def _cli(env: dict[str, str], *args: str) -> Any:
    env = {k: v for k, v in env.items() if v}
    clean = {k: None for k in os.environ if k.startswith("APEXLOCAL_") and k not in env}
    return CliRunner().invoke(models_group, list(args), env={**clean, **env}, catch_exceptions=False)


def test_list_says_what_a_pull_downloads_without_asking_the_hub(cli_env: dict[str, str], hub: FakeHub) -> None:
    listed = {m["id"]: m for m in json.loads(_cli(cli_env, "list", "--json").output)}

    assert listed["alpha"]["download_bytes"] == sum(len(d) for d in ALPHA_TAKEN.values())
    assert listed["beta"]["download_bytes"] == sum(len(d) for d in BETA_TAKEN.values())
    assert (listed["gamma"]["download_bytes"], listed["gamma"]["download_estimated"]) == (4100, True)
    assert listed["voice"]["download_bytes"] == 0 and listed["beta"]["commercial"] is False
    table = _cli(cli_env, "list").output
    assert f"hub cache: {cli_env['APEXLOCAL_HF_CACHE_DIR']}" in table
    assert re.search(
        rf"^alpha\s+image\s+no\s+-\s+{ALPHA_KB}\s+apache-2.0 \(commercial use ok\)\s+alpha-pro$", table, re.MULTILINE
    ), table
    assert re.search(r"^gamma\s+image\s+no\s+-\s+~4\.1 KB\s", table, re.MULTILINE)
    assert re.search(r"^voice\s+.*nothing \(pip package\)", table, re.MULTILINE)
    assert "NON-COMMERCIAL" in table
    assert hub.log == []


def test_pull_verify_list_rm(cli_env: dict[str, str], settings: Settings) -> None:
    pulled = _cli(cli_env, "pull", "alpha-pro", "beta")
    assert pulled.exit_code == 0, pulled.output
    assert "alpha: installed at" in pulled.output and f"{ALPHA_KB} downloaded now" in pulled.output
    assert "already installed" in _cli(cli_env, "pull", "alpha").output

    listed = {m["id"]: m for m in json.loads(_cli(cli_env, "list", "--json").output)}
    assert listed["alpha"]["installed"] and listed["alpha"]["revision"] == COMMIT
    assert listed["alpha"]["download_bytes"] == 0
    assert re.search(rf"^alpha\s+image\s+yes\s+{ALPHA_KB}\s+-\s+apache", _cli(cli_env, "list").output, re.MULTILINE)

    verified = _cli(cli_env, "verify")
    assert verified.exit_code == 0 and "alpha: ok" in verified.output and "beta: ok" in verified.output
    assert settings.hf_cache_dir is not None
    weights = (
        settings.hf_cache_dir / "models--acme--beta" / "snapshots" / BETA_COMMIT / "weights.safetensors"
    ).resolve()
    weights.chmod(0o644)
    weights.write_bytes(b"0" * weights.stat().st_size)
    verified = _cli(cli_env, "verify", "beta")
    assert verified.exit_code == 1
    assert "weights.safetensors: sha256" in verified.output and "failed verification" in verified.output

    removed = _cli(cli_env, "rm", "alpha", "beta")
    assert removed.exit_code == 0 and f"alpha: freed {ALPHA_KB}" in removed.output
    assert "nothing to remove" in _cli(cli_env, "rm", "alpha").output


def test_failures_exit_non_zero_with_the_reason(cli_env: dict[str, str], hub: FakeHub) -> None:
    unknown = _cli(cli_env, "pull", "nope")
    assert unknown.exit_code != 0 and "unknown model(s): nope" in unknown.output

    hub.serve_instead["weights.safetensors"] = b"x" * len(BETA_TAKEN["weights.safetensors"])
    failed = _cli(cli_env, "pull", "beta")
    assert failed.exit_code == 1
    assert "weights.safetensors" in failed.output and "apexlocal models pull beta" in failed.output

    not_installed = _cli(cli_env, "verify", "alpha")
    assert not_installed.exit_code == 1 and "apexlocal models pull alpha" in not_installed.output
