"""s3tokenizer (Chatterbox's speech tokenizer) reads its mel filters from s3tokenizer/assets."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("s3tokenizer", includes=["assets/*.npz"])
