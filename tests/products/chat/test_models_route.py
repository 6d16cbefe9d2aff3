"""GET /v1/models looks at the model files (whether each writer model is installed) in a worker
thread, never on the event loop."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from apexlocal.models.manifest import ModelEntry, load_manifest
from apexlocal.products.chat.routes import list_models


class OffLoopStore:
    """A model store that fails when asked on a thread running an event loop."""

    def __init__(self) -> None:
        self.asked = 0

    def _check(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.asked += 1
            return
        raise AssertionError("the model files were checked on the event loop")

    def is_installed(self, entry: ModelEntry) -> bool:
        self._check()
        return entry.id == "smollm2-135m-instruct"

    def may_auto_pull(self, entry: ModelEntry) -> bool:
        self._check()
        return False


def test_the_installed_checks_run_off_the_event_loop() -> None:
    store = OffLoopStore()
    services = SimpleNamespace(models=store, settings=SimpleNamespace(model_set="tiny"), manifest=load_manifest())
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(services=services)))
    listed = asyncio.run(list_models.fn(request))
    assert [m["id"] for m in listed["data"]] == ["smollm2-135m-instruct"]
    assert store.asked > 0
