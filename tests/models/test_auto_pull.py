"""Which models a job may download on its own (the auto_pull_models setting). Without the rule, a
creator's 10-credit job installed the 110 GB flux2-dev: any catalogued model was pulled on demand."""

from __future__ import annotations

import pytest

from apexlocal.models.auto_pull import default_model_ids
from apexlocal.models.manifest import load_manifest
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings, load_settings

SHIPPED = load_manifest()


def _store(tmp_path, **settings) -> ModelStore:
    return ModelStore(Settings(data_dir=tmp_path, **settings), SHIPPED)


def _allowed(store: ModelStore) -> set[str]:
    return {m.id for m in SHIPPED.model if store.may_auto_pull(m)}


PACKAGED = {"whisper-base", "espeak-ng", "apertium", "smollm2-135m-instruct", "u2netp"}


def test_by_default_jobs_pull_only_each_tasks_default_model(tmp_path) -> None:
    store = _store(tmp_path)

    assert not store.may_auto_pull(SHIPPED.by_id()["flux2-dev"])
    assert _allowed(store) == {
        "flux2-klein-4b",
        "wan2.2-ti2v-5b",
        "chatterbox",
        "kokoro-82m",
        "piper-joe-medium",
        "whisper-tiny-en",
        "musetalk-1.5",
        "sd-vae-ft-mse",
        "whisper-tiny-encoder",
        "m2m100-418m",
        "immich-memories-music",
        "ace-step-1.5",  # the music default on a GPU (defaults.gpu_default_for)
        "qwen3-4b-instruct-2507",
        # Nothing to download: package parts joined here, system programs checked.
        "whisper-base",
        "espeak-ng",
        "apertium",
        "smollm2-135m-instruct",
        "u2netp",
    }
    # kokoro is the voice default on a GPU; wan2.2 continues its own clips (its own companion);
    # MuseTalk's VAE and audio encoder are parts it loads (defaults.parts).
    assert default_model_ids(SHIPPED) == _allowed(store) - PACKAGED


def test_the_admin_names_the_models_by_id_alias_or_wildcard(tmp_path) -> None:
    assert _allowed(_store(tmp_path, auto_pull_models=("*",))) == {m.id for m in SHIPPED.model}
    named = _store(tmp_path, auto_pull_models=("ideogram-v3", "wan2.1-*"))
    # Packaged models download nothing: pulling them only checks the package.
    assert _allowed(named) == {
        "qwen-image",
        "wan2.1-t2v-1.3b",
        "wan2.1-i2v-14b-480p",
        "wan2.1-fun-inp-clip",  # EchoMimicV3's image encoder, from the Wan2.1-Fun repository
        "piper-joe-medium",
        "whisper-tiny-en",
        "immich-memories-music",
        *PACKAGED,
    }
    both = _store(tmp_path, auto_pull_models=("default", "FLUX-2-DEV"))
    assert _allowed(both) == _allowed(_store(tmp_path)) | {"flux2-dev"}


def test_auto_pull_off_refuses_every_model_and_the_tiny_set_builds_any(tmp_path) -> None:
    assert _allowed(_store(tmp_path, auto_pull=False, auto_pull_models=("*",))) == set()
    # A stand-in is built locally, downloading nothing, so the list does not limit it.
    assert _allowed(_store(tmp_path, model_set="tiny")) == {m.id for m in SHIPPED.model}


@pytest.mark.parametrize(
    ("value", "parsed"), [("", ()), ("*", ("*",)), ("default, qwen-image", ("default", "qwen-image"))]
)
def test_the_setting_from_the_environment(value: str, parsed: tuple[str, ...]) -> None:
    assert load_settings(environ={"APEXLOCAL_AUTO_PULL_MODELS": value}).auto_pull_models == parsed
