"""Piper phonemizes with espeak-ng through its own extension (piper.espeakbridge), reading the
espeak-ng data that ships inside the package (piper/espeak-ng-data); its training code is left out."""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("piper", excludes=["train/**"]) + copy_metadata("piper-tts")
hiddenimports = ["piper.espeakbridge"]
excludedimports = ["piper.train"]
