"""phonemizer-fork reads its version from its metadata at import and its grapheme tables from
phonemizer/share."""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("phonemizer") + copy_metadata("phonemizer-fork")
