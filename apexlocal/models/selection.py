"""Which of a repo's files a pull takes.

A manifest entry names an exact file list, or patterns, or `pipeline_files`: model_index.json and the
folders of the components it names, which is what a diffusers pipeline's `from_pretrained` loads. Within
a component folder only one copy of the weights is taken, as diffusers itself loads just one: the
safetensors files, not the same weights again as `.bin`, `.msgpack`, `.h5` or ONNX; and either the
entry's dtype `variant` (`*.fp16.safetensors`) or the plain files, never both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from apexlocal.models.manifest import Source

OTHER_FORMATS = (".bin", ".pt", ".pth", ".ckpt", ".msgpack", ".h5", ".onnx", ".onnx_data")
# model.fp16.safetensors, model.fp16-00001-of-00002.safetensors, model-00001-of-00002.fp16.safetensors
# (diffusers' older shard naming), model.safetensors.index.fp16.json
VARIANT_RE = re.compile(
    r"\.(fp16|bf16|fp32|fp8)(?:-\d+-of-\d+)?\.(?:safetensors|bin)$"
    r"|\.index\.(fp16|bf16|fp32|fp8)\.json$"
)


def pipeline_patterns(model_index: dict[str, Any]) -> list[str]:
    """model_index.json and the folder of every component it names (`"vae": ["diffusers", "..."]`);
    entries such as `"transformer_2": [null, null]` or `"boundary_ratio": 0.9` have no folder."""
    names = [
        key
        for key, value in model_index.items()
        if not key.startswith("_") and isinstance(value, list) and len(value) == 2 and all(value)
    ]
    return ["model_index.json", *(f"{name}/*" for name in sorted(names))]


def select(paths: Iterable[str], source: Source, model_index: dict[str, Any] | None = None) -> list[str]:
    """The paths of the repo (listed at the pinned commit) that a pull of `source` takes."""
    from huggingface_hub.utils import filter_repo_objects

    if source.files:
        return [f.path for f in source.files]
    allow = list(source.allow_patterns) + (pipeline_patterns(model_index) if model_index is not None else [])
    chosen = filter_repo_objects(
        sorted(paths), allow_patterns=allow, ignore_patterns=list(source.ignore_patterns) or None
    )
    return one_copy_of_weights(list(chosen), source.variant)


def one_copy_of_weights(paths: list[str], variant: str = "") -> list[str]:
    """`paths` less the weights a folder holds twice: other formats beside safetensors, and the
    variant files not asked for (or the plain files, when the asked-for variant is there)."""
    folders: dict[str, list[str]] = {}
    for path in paths:
        folders.setdefault(str(PurePosixPath(path).parent), []).append(path)
    kept: list[str] = []
    for files in folders.values():
        kept += _one_copy_in_folder(files, variant)
    return sorted(kept)


def _one_copy_in_folder(files: list[str], variant: str) -> list[str]:
    if any(f.endswith(".safetensors") for f in files):
        files = [f for f in files if not f.endswith(OTHER_FORMATS)]
    tagged = {f: _variant_of(f) for f in files}
    weights = [f for f in files if f.endswith((".safetensors", ".bin")) or ".index." in f]
    has_wanted = bool(variant) and any(tagged[f] == variant for f in weights)
    has_plain = any(not tagged[f] for f in weights)
    if has_wanted:  # the variant instead of the plain weights of the same component
        return [f for f in files if f not in weights or tagged[f] == variant]
    if has_plain:  # variants are extra copies of weights taken plain
        return [f for f in files if not tagged[f]]
    return files


def _variant_of(path: str) -> str:
    match = VARIANT_RE.search(path)
    return (match.group(1) or match.group(2)) if match else ""
