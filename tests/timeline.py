"""Where a run's wall time went, worker by worker: `python -m pytest -p tests.timeline` writes one
JSON line per test (its worker, and when its setup began and its teardown ended) to
`$APEXLOCAL_TIMELINE` (default: timeline.jsonl). `python -m tests.timeline FILE` then prints each
worker's busy time, when it finished, and the units it ran in order, to plan tests/worker_plan.py."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_started: dict[str, float] = {}


def _path() -> Path:
    return Path(os.environ.get("APEXLOCAL_TIMELINE", "timeline.jsonl"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Iterator[None]:
    started = time.time()
    yield
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with _path().open("a") as out:
        out.write(json.dumps({"test": item.nodeid, "worker": worker, "start": started, "end": time.time()}) + "\n")


def report(path: Path) -> None:
    from tests.worker_plan import unit_of

    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    begin = min(r["start"] for r in rows)
    by_worker: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_worker[row["worker"]].append(row)
    for worker, runs in sorted(by_worker.items()):
        runs.sort(key=lambda r: r["start"])
        busy = sum(r["end"] - r["start"] for r in runs)
        print(f"{worker}: {len(runs)} tests, busy {busy:.0f} s, done at {runs[-1]['end'] - begin:.0f} s")
        units: list[list[Any]] = []
        for run in runs:
            unit = unit_of(run["test"])
            if units and units[-1][0] == unit:
                units[-1][2] = run["end"]
            else:
                units.append([unit, run["start"], run["end"]])
        for unit, start, end in units:
            if end - start >= 3:
                print(f"  {start - begin:6.0f} +{end - start:5.0f}  {unit}")


if __name__ == "__main__":
    report(Path(sys.argv[1] if len(sys.argv) > 1 else "timeline.jsonl"))
