"""misaki (Kokoro's G2P) reads its lexicons (misaki/data/*.json) with importlib.resources, and its
espeak-ng fallback through phonemizer and espeakng-loader. Its English G2P runs only where spaCy's
en_core_web_sm is installed (apexlocal/engines/voice/kokoro_voice.py): that model comes along when the
build environment has it (a frozen program cannot pip-install it later)."""

import importlib.util

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("misaki") + copy_metadata("misaki")
hiddenimports = ["misaki.espeak", "misaki.en", "espeakng_loader", "phonemizer"]
if importlib.util.find_spec("en_core_web_sm") is not None:
    datas += collect_data_files("en_core_web_sm") + copy_metadata("en_core_web_sm")
    hiddenimports.append("en_core_web_sm")
