"""Wall time of a commercial's stages (writer, voice, spokesperson, music, scenes, composition),
reported in the job's metadata (`stageSeconds`) and read by bench/bench_commercial.py.

The scenes' frames are made while the composition encodes them, so "scenes" is the time spent
inside the scenes' frame generators and "composition" the rest of the composing call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class Stopwatch:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def timed(self, name: str, factory: Callable[[], Iterator[T]]) -> Callable[[], Iterator[T]]:
        """`factory` whose iterators count the time spent making each item under `name`."""

        def wrapped() -> Iterator[T]:
            items = iter(factory())
            while True:
                started = time.perf_counter()
                try:
                    item = next(items)
                except StopIteration:
                    self.add(name, time.perf_counter() - started)
                    return
                self.add(name, time.perf_counter() - started)
                yield item

        return wrapped

    def report(self) -> dict[str, Any]:
        return {name: round(value, 3) for name, value in self.seconds.items()}
