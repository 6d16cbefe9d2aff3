"""Kokoro: its version and its G2P's are read from package metadata."""

from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("kokoro")
hiddenimports = ["misaki", "misaki.espeak"]
