"""language-tags (misaki's language names) reads its registry from language_tags/data/json."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("language_tags")
