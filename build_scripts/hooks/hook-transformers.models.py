"""transformers imports a model family's modules by name when a config or a diffusers pipeline asks
for its classes (CLIPTextModel, UMT5EncoderModel, Qwen3Model, M2M100..., Whisper...): every model
family is collected, less conversion scripts. (PyInstaller's contrib hook for transformers brings
its metadata checks and sources, not these modules.)"""

from PyInstaller.utils.hooks import collect_submodules

from build_scripts.bundle import wanted_module

hiddenimports = collect_submodules("transformers.models", filter=wanted_module)
