"""Where models run, and the warm cache that keeps them loaded between jobs.

Device and dtype are chosen per machine: CUDA, then MPS, then the CPU; bfloat16 on a CUDA card that
supports it (float16 on one that does not), float16 on MPS, float32 on the CPU, where half
precision is slow or unsupported.

`ModelRuntime` keeps loaded pipelines warm: loading a multi-gigabyte model takes far longer than
running it, so consecutive jobs on the same model must not reload it. When a newcomer would push
the warm set past the memory budget, the least recently used entries are dropped first.

torch is imported inside functions only: the API process and most tests never load it.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexlocal.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from apexlocal.settings import Settings

log = logging.getLogger(__name__)

GIB = 1024**3
# Share of the device's memory that warm models may hold when no budget is configured.
DEFAULT_BUDGET_SHARE = 0.9


# Device and dtype -----------------------------------------------------------------------------


def resolve_device(preference: str = "auto") -> str:
    """`auto`: CUDA, then MPS, then CPU. An explicit device that is not there is a config error,
    not a silent fallback: a user who asked for the GPU should hear that it is missing."""
    import torch

    kind = preference.split(":", 1)[0]
    if kind == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if _mps_available(torch):
            return "mps"
        return "cpu"
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device is set to cuda, but torch sees no CUDA device")
    if kind == "mps" and not _mps_available(torch):
        raise ConfigError("device is set to mps, but torch sees no MPS device")
    if kind not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"device must be auto, cpu, cuda or mps, got {preference!r}")
    return preference


def _mps_available(torch: Any) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def torch_dtype_for(device: str) -> torch.dtype:
    import torch

    kind = device.split(":", 1)[0]
    if kind == "cuda":
        with torch.cuda.device(torch.device(device)):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if kind == "mps":
        return torch.float16
    return torch.float32


# Memory ---------------------------------------------------------------------------------------


def device_memory_bytes(device: str) -> int | None:
    """Total memory of the device models run on; None when it cannot be told."""
    kind = device.split(":", 1)[0]
    if kind == "cuda":
        import torch

        return int(torch.cuda.mem_get_info(torch.device(device))[1])
    if kind == "mps":
        import torch

        recommended = getattr(torch.mps, "recommended_max_memory", None)
        if recommended is not None:
            return int(recommended())
    return system_memory_bytes()


def system_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return _windows_memory_bytes()


def _windows_memory_bytes() -> int | None:
    if sys.platform != "win32":
        return None
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatus()
    status.dwLength = ctypes.sizeof(MemoryStatus)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.ullTotalPhys)


def memory_budget_bytes(budget_gb: float, device: str) -> int | None:
    """The configured budget, or 90% of the device's memory for 0; None means unlimited."""
    if budget_gb < 0:
        raise ConfigError("model_memory_budget_gb must be 0 (automatic) or a positive number")
    if budget_gb > 0:
        return int(budget_gb * GIB)
    total = device_memory_bytes(device)
    return int(total * DEFAULT_BUDGET_SHARE) if total else None


def estimate_size_bytes(obj: object) -> int:
    """Bytes held by the parameters and buffers of a torch module or a diffusers pipeline's
    modules; tensors shared between modules (tied weights) count once."""
    modules = _modules_of(obj)
    seen: set[tuple[int, int]] = set()
    total = 0
    for module in modules:
        for tensor in (*module.parameters(), *module.buffers()):
            ident = (tensor.data_ptr(), tensor.numel())
            if ident in seen or tensor.device.type == "meta":
                continue
            seen.add(ident)
            total += tensor.numel() * tensor.element_size()
    return total


def _modules_of(obj: object) -> list[Any]:
    if hasattr(obj, "parameters") and hasattr(obj, "buffers"):
        return [obj]
    components = getattr(obj, "components", None)
    if isinstance(components, dict):
        return [c for c in components.values() if hasattr(c, "parameters") and hasattr(c, "buffers")]
    return []


def free_device_memory() -> None:
    """Return memory of dropped models: Python's garbage first, then the allocator caches."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is None:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if mps is not None and _mps_available(torch):
        mps.empty_cache()


# The warm cache --------------------------------------------------------------------------------


@dataclass
class _Entry:
    value: object
    size_bytes: int
    loaded_at: float
    last_used: float


class ModelRuntime:
    """Thread-safe LRU cache of loaded models under a memory budget.

    Loads are serialised: two models loading at once could together overflow the budget that each
    alone fits, and a second job for a model being loaded should wait and then reuse it. Lookups of
    models already warm take a separate lock and do not wait for a load in progress.
    """

    def __init__(self, device: str = "cpu", budget_bytes: int | None = None) -> None:
        self.device = device
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # guards _entries and the counters
        self._load_lock = threading.Lock()
        self._hits = self._misses = self._evictions = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelRuntime:
        device = resolve_device(settings.device)
        return cls(device, memory_budget_bytes(settings.model_memory_budget_gb, device))

    def get(self, key: str, loader: Callable[[], object], size_bytes: int | None = None) -> object:
        """The model under `key`, loading it with `loader()` on a miss. `size_bytes`, when known
        beforehand, lets older models be evicted before the load rather than after it."""
        found = self._lookup(key)
        if found is not None:
            return found.value
        with self._load_lock:
            with self._lock:
                found = self._touch(key)
                if found is not None:
                    return found.value
                self._misses += 1
                evicted = self._evict_for(size_bytes) if size_bytes else []
            self._release(evicted)
            value = loader()
            size = size_bytes if size_bytes is not None else estimate_size_bytes(value)
            with self._lock:
                evicted = self._evict_for(size)
                now = time.monotonic()
                self._entries[key] = _Entry(value, size, now, now)
            self._release(evicted)
            return value

    def clear(self) -> None:
        with self._lock:
            evicted = list(self._entries)
            self._entries.clear()
            self._evictions += len(evicted)
        self._release(evicted)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            entries = [{"key": k, "sizeBytes": e.size_bytes} for k, e in self._entries.items()]
            return {
                "device": self.device,
                "budgetBytes": self.budget_bytes,
                "usedBytes": sum(e.size_bytes for e in self._entries.values()),
                "entries": entries,  # least recently used first
                "hits": self._hits,
                "misses": self._misses,
                "evictions": self._evictions,
            }

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._entries

    def _lookup(self, key: str) -> _Entry | None:
        with self._lock:
            return self._touch(key)

    def _touch(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            entry.last_used = time.monotonic()
            self._hits += 1
        return entry

    def _evict_for(self, incoming: int) -> list[str]:
        """Drop least recently used entries until `incoming` more bytes fit. A model larger than
        the whole budget still loads, alone: refusing it would make it unusable on this machine."""
        if self.budget_bytes is None:
            return []
        evicted: list[str] = []
        used = sum(e.size_bytes for e in self._entries.values())
        while self._entries and used + incoming > self.budget_bytes:
            key, entry = self._entries.popitem(last=False)
            used -= entry.size_bytes
            evicted.append(key)
        self._evictions += len(evicted)
        if incoming > self.budget_bytes:
            log.warning("a model of %d bytes exceeds the memory budget of %d bytes", incoming, self.budget_bytes)
        return evicted

    def _release(self, evicted: list[str]) -> None:
        if evicted:
            log.info("evicted warm models: %s", ", ".join(evicted))
            free_device_memory()
