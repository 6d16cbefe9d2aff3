"""A job's scratch folder is out of its place before the job's ending is recorded, and deleted
after it: whoever sees the job end finds no scratch folder of it, and nothing is left."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from apexlocal.jobs import runner


def test_scratch_is_set_aside_before_the_ending_and_deleted_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services: Any = SimpleNamespace(
        db=None, settings=SimpleNamespace(data_dir=tmp_path), events=SimpleNamespace(publish=lambda job_id: None)
    )
    monkeypatch.setattr(runner.records, "claim", lambda db, job_id: {"id": job_id})
    seen: dict[str, Any] = {}

    def execute(services: Any, job: dict[str, Any], scratch: Path) -> Any:
        (scratch / "inputs").mkdir()
        (scratch / "inputs" / "photo.png").write_bytes(b"x" * 5000)

        def end() -> None:
            seen["at the ending"] = [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*"))]

        return end

    monkeypatch.setattr(runner, "_execute", execute)
    runner.run_job(services, "job-1")
    assert "scratch/job-1" not in seen["at the ending"]
    assert "scratch/.ended/job-1/inputs/photo.png" in seen["at the ending"]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["scratch", "scratch/.ended"]


def test_a_failing_ending_still_deletes_the_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services: Any = SimpleNamespace(
        db=None, settings=SimpleNamespace(data_dir=tmp_path), events=SimpleNamespace(publish=lambda job_id: None)
    )
    monkeypatch.setattr(runner.records, "claim", lambda db, job_id: {"id": job_id})

    def execute(services: Any, job: dict[str, Any], scratch: Path) -> Any:
        (scratch / "output.png").write_bytes(b"png")

        def end() -> None:
            raise RuntimeError("database is locked")

        return end

    monkeypatch.setattr(runner, "_execute", execute)
    with pytest.raises(RuntimeError, match="locked"):
        runner.run_job(services, "job-2")
    assert list((tmp_path / "scratch" / ".ended").iterdir()) == []
    assert not (tmp_path / "scratch" / "job-2").exists()
