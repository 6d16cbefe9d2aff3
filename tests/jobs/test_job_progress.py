"""A job's progress reaches its row throttled: a new stage at once, later reports of a stage at most
every PROGRESS_EVERY_S, a stage's end only when due (the next stage or the ending follows it)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from apexlocal.jobs import runner
from apexlocal.jobs.runner import PROGRESS_EVERY_S, JobProgress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def progress(monkeypatch: pytest.MonkeyPatch) -> tuple[JobProgress, list[tuple[float, str]], Clock]:
    clock = Clock()
    monkeypatch.setattr(runner.time, "monotonic", clock)
    written: list[tuple[float, str]] = []
    keeper = SimpleNamespace(progress=lambda job_id, fraction, stage: written.append((fraction, stage)))
    services: Any = SimpleNamespace(bookkeeper=keeper)
    return JobProgress(services, "job-1"), written, clock


def test_a_warm_image_job_writes_each_stage_once(progress: tuple[JobProgress, list[Any], Clock]) -> None:
    report, written, clock = progress
    report(0.0, "loading")
    report(1.0, "loading")  # the pipeline was warm: the same millisecond
    for step in range(1, 9):
        clock.now += 0.03
        report(step / 8, "denoising")  # written at the first step, then at the eighth (0.21 s later)
    report(0.0, "encoding")
    clock.now += 0.05
    report(1.0, "encoding")
    assert written == [(0.0, "loading"), (0.125, "denoising"), (1.0, "denoising"), (0.0, "encoding")]


def test_a_stage_end_is_written_when_due(progress: tuple[JobProgress, list[Any], Clock]) -> None:
    report, written, clock = progress
    report(0.0, "pulling model")
    clock.now += PROGRESS_EVERY_S
    report(1.0, "pulling model")
    clock.now += PROGRESS_EVERY_S / 2
    report(1.0, "pulling model")  # again, too soon
    assert written == [(0.0, "pulling model"), (1.0, "pulling model")]
