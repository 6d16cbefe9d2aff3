"""CTranslate2 (faster-whisper's runtime): its extension links the libraries the wheel put in
site-packages/ctranslate2.libs (found through the extension's RPATH, $ORIGIN/../ctranslate2.libs),
kept at that path; its converters and specs are imported by name."""

from pathlib import Path

from PyInstaller.utils.hooks import collect_dynamic_libs, collect_submodules, get_package_paths

hiddenimports = collect_submodules("ctranslate2")
binaries = collect_dynamic_libs("ctranslate2")
_libs = Path(get_package_paths("ctranslate2")[0]) / "ctranslate2.libs"
if _libs.is_dir():
    binaries += [(str(path), "ctranslate2.libs") for path in sorted(_libs.iterdir()) if ".so" in path.name]
