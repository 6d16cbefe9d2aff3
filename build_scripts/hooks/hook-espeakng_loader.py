"""espeakng-loader (misaki's espeak-ng for Kokoro) loads libespeak-ng.so with ctypes and points it at
its espeak-ng-data, both by paths beside the package: neither is an import PyInstaller can see."""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

datas = collect_data_files("espeakng_loader", excludes=["*.so", "*.so.*"])
binaries = collect_dynamic_libs("espeakng_loader")
