"""The warm model cache (LRU under a memory budget) and device / dtype choice on this machine."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.runtime import (
    GIB,
    ModelRuntime,
    estimate_size_bytes,
    memory_budget_bytes,
    resolve_device,
    system_memory_bytes,
    torch_dtype_for,
)
from apexlocal.errors import ConfigError
from apexlocal.settings import load_settings


class Loads:
    """Fake loaders that record what was loaded."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, key: str) -> Any:
        def load() -> object:
            self.calls.append(key)
            return {"model": key}

        return load


def keys(runtime: ModelRuntime) -> list[str]:
    return [e["key"] for e in runtime.stats()["entries"]]


def test_warm_hit_does_not_reload() -> None:
    runtime, loads = ModelRuntime("cpu", budget_bytes=100), Loads()
    first = runtime.get("a", loads("a"), 10)
    assert runtime.get("a", loads("a"), 10) is first
    assert loads.calls == ["a"]
    stats = runtime.stats()
    assert (stats["hits"], stats["misses"], stats["usedBytes"]) == (1, 1, 10)


def test_least_recently_used_is_evicted_when_the_budget_would_be_exceeded() -> None:
    runtime, loads = ModelRuntime("cpu", budget_bytes=100), Loads()
    runtime.get("a", loads("a"), 40)
    runtime.get("b", loads("b"), 40)
    runtime.get("a", loads("a"), 40)  # a is now the most recently used
    runtime.get("c", loads("c"), 40)  # 120 > 100: b goes
    assert keys(runtime) == ["a", "c"]
    runtime.get("b", loads("b"), 40)  # back again: a is the oldest now
    assert keys(runtime) == ["c", "b"]
    assert loads.calls == ["a", "b", "c", "b"]
    assert runtime.stats()["evictions"] == 2


def test_model_larger_than_the_budget_loads_alone() -> None:
    runtime, loads = ModelRuntime("cpu", budget_bytes=100), Loads()
    runtime.get("a", loads("a"), 30)
    runtime.get("b", loads("b"), 30)
    runtime.get("huge", loads("huge"), 500)
    assert keys(runtime) == ["huge"]


def test_known_size_evicts_before_loading() -> None:
    runtime = ModelRuntime("cpu", budget_bytes=100)
    runtime.get("a", lambda: "A", 80)
    seen: list[list[str]] = []

    def load_b() -> str:
        seen.append(keys(runtime))
        return "B"

    runtime.get("b", load_b, 80)
    assert seen == [[]]  # "a" was gone before "b" started loading


def test_size_is_estimated_from_parameters_when_not_given() -> None:
    import torch

    runtime = ModelRuntime("cpu", budget_bytes=10_000)
    runtime.get("small", lambda: torch.nn.Linear(10, 10))  # 110 float32 = 440 bytes
    assert runtime.stats()["entries"] == [{"key": "small", "sizeBytes": 440}]
    runtime.get("big", lambda: torch.nn.Linear(50, 50))  # 2550 float32 = 10200 bytes > budget
    assert keys(runtime) == ["big"]


def test_estimate_counts_pipeline_components_and_tied_weights_once() -> None:
    import torch

    class Pipeline:
        def __init__(self) -> None:
            shared = torch.nn.Linear(4, 4, bias=False)
            head = torch.nn.Linear(4, 4, bias=False)
            head.weight = shared.weight  # tied
            bn = torch.nn.BatchNorm1d(4)  # buffers count too
            self.components = {"encoder": shared, "head": head, "norm": bn, "tokenizer": object(), "scheduler": None}

    # 16 shared weights + 8 affine params (float32) + running mean/var (float32) + step count (int64)
    assert estimate_size_bytes(Pipeline()) == 16 * 4 + 8 * 4 + 8 * 4 + 8
    assert estimate_size_bytes(object()) == 0


def test_no_budget_never_evicts() -> None:
    runtime = ModelRuntime("cpu", budget_bytes=None)
    for i in range(5):
        runtime.get(str(i), lambda: object(), 10**12)
    assert len(keys(runtime)) == 5


def test_failed_load_caches_nothing() -> None:
    runtime = ModelRuntime("cpu", budget_bytes=100)

    def broken() -> object:
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        runtime.get("a", broken, 10)
    assert keys(runtime) == [] and "a" not in runtime
    assert runtime.get("a", lambda: "ok", 10) == "ok"


def test_clear_empties_the_cache() -> None:
    runtime = ModelRuntime("cpu", budget_bytes=100)
    runtime.get("a", lambda: "A", 10)
    runtime.clear()
    assert runtime.stats()["usedBytes"] == 0 and keys(runtime) == []


def test_concurrent_gets_of_one_key_load_once() -> None:
    runtime, loads = ModelRuntime("cpu", budget_bytes=None), Loads()
    slow = loads("a")

    def loader() -> object:
        time.sleep(0.1)
        return slow()

    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(runtime.get("a", loader))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert loads.calls == ["a"]
    assert len(results) == 4 and all(r is results[0] for r in results)


def test_warm_hit_does_not_wait_for_another_load() -> None:
    runtime = ModelRuntime("cpu", budget_bytes=None)
    runtime.get("warm", lambda: "W")
    loading, release = threading.Event(), threading.Event()

    def slow_loader() -> object:
        loading.set()
        release.wait(10)
        return "S"

    thread = threading.Thread(target=runtime.get, args=("slow", slow_loader))
    thread.start()
    try:
        assert loading.wait(10)
        started = time.monotonic()
        assert runtime.get("warm", lambda: "reloaded") == "W"
        assert time.monotonic() - started < 1
    finally:
        release.set()
        thread.join(10)


# Devices ---------------------------------------------------------------------------------------


def test_auto_device_on_this_machine() -> None:
    import torch

    mps = getattr(torch.backends, "mps", None)
    expected = "cuda" if torch.cuda.is_available() else "mps" if mps and mps.is_available() else "cpu"
    assert resolve_device("auto") == expected
    assert resolve_device("cpu") == "cpu"


def test_missing_accelerator_is_a_config_error() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="cuda"):
        resolve_device("cuda")
    with pytest.raises(ConfigError):
        resolve_device("tpu")


def test_cpu_runs_in_float32() -> None:
    import torch

    assert torch_dtype_for("cpu") is torch.float32
    assert torch_dtype_for("mps") is torch.float16


def test_budget_from_setting_or_ninety_percent_of_ram() -> None:
    assert memory_budget_bytes(1.5, "cpu") == int(1.5 * GIB)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert system_memory_bytes() == ram
    assert memory_budget_bytes(0, "cpu") == int(ram * 0.9)
    with pytest.raises(ConfigError):
        memory_budget_bytes(-1, "cpu")


def test_runtime_from_settings(tmp_path: Path) -> None:
    settings = load_settings(environ={}, overrides={"data_dir": tmp_path, "device": "cpu", "model_memory_budget_gb": 2})
    runtime = ModelRuntime.from_settings(settings)
    assert (runtime.device, runtime.budget_bytes) == ("cpu", 2 * GIB)
    assert runtime.stats()["budgetBytes"] == 2 * GIB
