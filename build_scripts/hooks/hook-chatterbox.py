"""Chatterbox reads its version from its metadata at import; its modules are imported by name
(apexlocal/models/tiny_clone.py resizes its parts for the tiny set). It cannot be imported at build
time (no torchaudio: apexlocal supplies a stand-in at run time), so its modules are listed from its
files."""

from PyInstaller.utils.hooks import copy_metadata

from build_scripts.bundle import modules_in

datas = copy_metadata("chatterbox-tts")
hiddenimports = modules_in("chatterbox")
