"""Every test here runs without the network and without the machine's Hugging Face cache or token:
huggingface_hub's default cache and token file point into the test's temp dir, and any connection
to an address that is not loopback fails the test. The fake hub, serving tests/models/fake_repos.py,
and settings that pull from it are fixtures too."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apexlocal.models.manifest import Manifest, load_manifest
from apexlocal.settings import Settings
from tests.models.fake_repos import (
    ALPHA_LEFT_OUT,
    ALPHA_TAKEN,
    BETA_COMMIT,
    BETA_TAKEN,
    COMMIT,
    GAMMA_COMMIT,
    GAMMA_FILES,
    MANIFEST,
    TOKEN,
)
from tests.models.hub_server import FakeHub, serve

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@pytest.fixture(autouse=True)
def hermetic_hf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default Hugging Face cache, as huggingface_hub sees it, for this test only."""
    from huggingface_hub import constants

    cache = tmp_path / "default-hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-tokens"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return cache


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuses, and records, any connection or name lookup that would leave the machine."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not _is_loopback(host):
            attempts.append(host)
            raise ConnectionRefusedError(f"tests may not reach {host}")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode()
        if host is not None:
            check((host,))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"a test tried to reach {attempts}"


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    fake = FakeHub()
    fake.add("acme/alpha", COMMIT, {**ALPHA_TAKEN, **ALPHA_LEFT_OUT})
    fake.add("acme/beta", BETA_COMMIT, {**BETA_TAKEN, "extra.bin": os.urandom(10_000)})
    fake.add("acme/gamma", GAMMA_COMMIT, GAMMA_FILES)
    with serve(fake):
        yield fake


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "models_manifest.toml"
    path.write_text(MANIFEST)
    return path


@pytest.fixture
def manifest(manifest_path: Path) -> Manifest:
    return load_manifest(manifest_path)


@pytest.fixture
def settings(tmp_path: Path, hub: FakeHub, manifest_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        hf_cache_dir=tmp_path / "hf-cache",
        hf_endpoint=hub.url,
        hf_token=TOKEN,
        models_manifest=manifest_path,
    )
