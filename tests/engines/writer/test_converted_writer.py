"""The GGUF writer is dequantized once into the cache folder and loaded from it afterwards: the
folder's model answers exactly as the GGUF's, and a changed GGUF (another sha256) is not mistaken
for the converted one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apexlocal.engines.writer import ChatMessage
from apexlocal.engines.writer.converted import MARKER, converted_folder, is_current, source_key
from apexlocal.engines.writer.loading import load_model
from apexlocal.engines.writer.local import LocalWriter
from apexlocal.models.packaged import check_package

ASK = [ChatMessage("user", "Name one colour.")]


def test_the_first_load_leaves_a_converted_folder_keyed_by_the_ggufs_sha256(tiny_writer: Any, models_dir: Path) -> None:
    folder = converted_folder(models_dir / "converted", tiny_writer.model_id)
    gguf = Path(tiny_writer.entry.source.files[0].path)
    marker = json.loads((folder / MARKER).read_text())
    assert marker["gguf"] == gguf.name
    assert marker["gguf_sha256"] == tiny_writer.entry.source.files[0].sha256
    assert marker["dtype"] == "float32"
    assert list(folder.glob("*.safetensors")) and (folder / "tokenizer.json").is_file()


def test_the_converted_folder_answers_as_the_gguf(tiny_writer: Any, models_dir: Path) -> None:
    reloaded = load_model(tiny_writer.entry, check_package(tiny_writer.entry), "cpu", models_dir / "converted")
    again = LocalWriter(tiny_writer.entry, reloaded)
    first = tiny_writer.complete(ASK, max_tokens=8, temperature=0)
    second = again.complete(ASK, max_tokens=8, temperature=0)
    assert second.text == first.text and second.completion_tokens == first.completion_tokens
    assert again.loaded.tokenizer.chat_template == tiny_writer.loaded.tokenizer.chat_template


def test_another_gguf_or_dtype_does_not_match_the_marker(tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"one")
    folder = tmp_path / "converted"
    folder.mkdir()
    key = source_key(gguf, "float32")
    (folder / MARKER).write_text(json.dumps(key))
    assert is_current(folder, key)
    assert not is_current(folder, source_key(gguf, "bfloat16"))
    gguf.write_bytes(b"two")
    assert not is_current(folder, source_key(gguf, "float32"))
    assert not is_current(tmp_path / "missing", key)


def test_two_loads_at_once_convert_once(tmp_path: Path, monkeypatch: Any, manifest: Any) -> None:
    """The second load waits for the first one's conversion and reads its folder (the suite's two
    workers and every server they start share one models folder). The loads are stand-ins: what
    is checked is who converts."""
    import threading
    import time

    from apexlocal.engines.writer import loading

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"weights")
    loads: list[str] = []

    def load(entry: Any, folder: Path, dtype: Any, gguf_name: str | None) -> tuple[str, str]:
        loads.append("gguf" if gguf_name else "folder")
        time.sleep(0.3 if gguf_name else 0)  # the slow dequantizing load
        return "tokenizer", "model"

    def save(folder: Path, key: dict[str, str], tokenizer: Any, model: Any) -> None:
        folder.mkdir(parents=True)
        (folder / MARKER).write_text(json.dumps(key))

    monkeypatch.setattr(loading, "_load_pretrained", load)
    monkeypatch.setattr("apexlocal.engines.writer.converted.save_converted", save)
    entry = manifest.by_id()["smollm2-135m-instruct"]
    results: list[Any] = []
    threads = [
        threading.Thread(target=lambda: results.append(loading._load_converted(entry, gguf, "float32", tmp_path)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(loads) == ["folder", "gguf"] and results == [("tokenizer", "model")] * 2


def test_a_conversion_parses_its_gguf_once_and_leaves_the_library_as_it_was(tiny_writer: Any) -> None:
    import gguf

    from apexlocal.engines.writer.gguf_once import read_once

    original_reader, original_map = gguf.GGUFReader, gguf.get_tensor_name_map
    path = check_package(tiny_writer.entry) / tiny_writer.entry.defaults["gguf_file"]
    with read_once():
        first = gguf.GGUFReader(path)
        assert gguf.GGUFReader(str(path)) is first  # transformers' second and third parse
        arch = next(a for a, name in gguf.MODEL_ARCH_NAMES.items() if name == "llama")
        assert gguf.get_tensor_name_map(arch, 2) is gguf.get_tensor_name_map(arch, 2)
        assert gguf.get_tensor_name_map(arch, 2).mapping == original_map(arch, 2).mapping
    assert (gguf.GGUFReader, gguf.get_tensor_name_map) == (original_reader, original_map)
    assert gguf.GGUFReader(path) is not first
