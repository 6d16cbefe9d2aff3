"""Builds the apexlocal binary from the installed environment: `python build_scripts/build.py`.

The result is one folder, dist/apexlocal/, holding one executable (dist/apexlocal/apexlocal) and its
libraries (dist/apexlocal/_internal), plus a .tar.gz of that folder beside it, and
dist/apexlocal-build.json with the figures (build time, sizes). Whatever torch is installed (the
CPU or a CUDA build) is what the bundle runs on. `--onefile` builds a single self-extracting file
instead (dist/apexlocal-onefile): every start unpacks the whole bundle first, see docs/binary.md.
Needs the `build` extra: `pip install -e ".[build]"`.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the hooks import build_scripts.bundle

from build_scripts.bundle import NAME, archive_name, packaged_model_datas, pyinstaller_args, torch_flavour  # noqa: E402


def tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def make_archive(folder: Path, archive: Path) -> None:
    """The folder as a .tar.gz whose single top-level entry is the folder (`tar xzf` gives it back)."""
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    partial.replace(archive)


def run_pyinstaller(args: list[str]) -> None:
    import PyInstaller.__main__

    PyInstaller.__main__.run(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work folder (default: build/)")
    parser.add_argument("--onefile", action="store_true", help="one self-extracting file instead of a folder")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's caches first")
    parser.add_argument("--no-archive", action="store_true", help="skip the .tar.gz")
    options = parser.parse_args(argv)

    try:
        import PyInstaller
    except ImportError:
        print('PyInstaller is missing: pip install -e ".[build]"', file=sys.stderr)
        return 2
    from apexlocal import __version__

    _models, missing = packaged_model_datas()
    for distribution in missing:
        print(f"warning: {distribution} is not installed; the bundle will lack its model", file=sys.stderr)

    name = f"{NAME}-onefile" if options.onefile else NAME
    work = options.work / ("pyinstaller-onefile" if options.onefile else "pyinstaller")
    args = pyinstaller_args(options.dist, work, onefile=options.onefile, clean=options.clean)
    if options.onefile:
        args[args.index("--name") + 1] = name

    started = time.monotonic()
    run_pyinstaller(args)
    build_seconds = time.monotonic() - started
    target = options.dist / name
    executable = target if options.onefile else target / NAME
    if not executable.is_file():
        print(f"the build made no {executable}", file=sys.stderr)
        return 1

    figures: dict[str, object] = {
        "version": __version__,
        "layout": "onefile" if options.onefile else "onedir",
        "executable": str(executable),
        "torch": torch_flavour(),
        "python": platform.python_version(),
        "pyinstaller": PyInstaller.__version__,
        "build_seconds": round(build_seconds, 1),
        "bundle_bytes": tree_bytes(target),
        "models_missing": missing,
    }
    if not options.onefile and not options.no_archive:
        archive = options.dist / archive_name(__version__)
        started = time.monotonic()
        make_archive(target, archive)
        figures |= {
            "archive": str(archive),
            "archive_bytes": archive.stat().st_size,
            "archive_seconds": round(time.monotonic() - started, 1),
        }
    report = options.dist / f"{name}-build.json"
    report.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"free disk after the build: {shutil.disk_usage(options.dist).free / 2**30:.1f} GiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
