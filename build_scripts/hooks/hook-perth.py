"""resemble-perth (Chatterbox's watermark) loads its network from perth_net/pretrained."""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

datas = collect_data_files("perth") + copy_metadata("resemble-perth")
