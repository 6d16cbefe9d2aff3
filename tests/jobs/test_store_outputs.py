"""A job's files go to storage: those its engine made in the job's scratch folder are moved there
(not written twice), any other file is copied and left where it was."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from apexlocal.engines.base import EngineOutput, OutputFile
from apexlocal.jobs.runner import _store
from apexlocal.storage.local import LocalStorage


def test_scratch_files_are_moved_and_others_copied(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files", b"k" * 32)
    services: Any = SimpleNamespace(storage=storage)
    scratch = tmp_path / "scratch" / "job-1"
    scratch.mkdir(parents=True)
    made = scratch / "output.png"
    made.write_bytes(b"made")
    made_inode = made.stat().st_ino
    cached = tmp_path / "cache" / "intro.wav"
    cached.parent.mkdir()
    cached.write_bytes(b"cached")
    output = EngineOutput(
        files=[OutputFile(made, "image/png", "output.png"), OutputFile(cached, "audio/wav", "intro.wav")], metadata={}
    )
    stored = _store(services, {"id": "job-1", "user_id": "u1"}, output, scratch)
    assert [(s["key"], s["size"]) for s in stored] == [
        ("outputs/u1/job-1/output.png", 4),
        ("outputs/u1/job-1/intro.wav", 6),
    ]
    assert not made.exists() and storage.local_path("outputs/u1/job-1/output.png").stat().st_ino == made_inode
    assert cached.read_bytes() == b"cached"
    assert storage.local_path("outputs/u1/job-1/intro.wav").read_bytes() == b"cached"
