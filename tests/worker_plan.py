"""How the suite's two workers share it (pytest-xdist; `-n 2 --dist loadfile` in pyproject.toml).

A module is one unit of work, as with plain `loadfile`, except where modules share a session-scoped
server: all of tests/webui (the studio and its browser) and the product modules on tests/products'
shared server are one unit each, so that each such server starts once rather than once a worker.

Units are handed out longest first, so that the last one to finish is a short one instead of a
long tail with the other worker idle. The order comes from a two-worker run of the whole suite on
this plan (2026-11-30, seconds of test time in brackets, all tests of the unit together); a unit
not listed follows them, in collection order. `python -m pytest -p tests.timeline`, then
`python -m tests.timeline`, shows how a run shared the units out and when each worker finished.
"""

from __future__ import annotations

from typing import Any

# The product modules that start a server of their own (other settings) are units by themselves.
OWN_SERVER = (
    "tests/products/clip/test_clip_jobs.py",
    "tests/products/instant_ad/test_instant_ad_jobs.py",
    "tests/products/translate/test_translate_routes.py",
    "tests/products/voice_agent/test_sip_calls.py",
)

LONGEST_FIRST = (
    "tests/products",  # [237]
    "tests/webui",  # [176]
    "tests/products/instant_ad/test_instant_ad_jobs.py",  # [85]
    "tests/api/test_voice.py",  # [80]
    "tests/products/voice_agent/test_sip_calls.py",  # [74]
    "tests/e2e/test_video_e2e.py",  # [66]
    "tests/engines/video_translate/test_video_translate_engine.py",  # [35]
    "tests/scaleout/test_workers.py",  # [27]
    "tests/e2e/test_webhook_restart.py",  # [25]
    "tests/e2e/test_shutdown.py",  # [24]
    "tests/e2e/test_crash_recovery.py",  # [22]
    "tests/e2e/test_voice_clone_flow.py",  # [20]
    "tests/api/test_schema_run.py",  # [19]
    "tests/engines/clip/test_clip_engine.py",  # [18]
    "tests/products/clip/test_clip_jobs.py",  # [14]
    "tests/engines/video/test_video_engine.py",  # [14]
    "tests/engines/commercial/test_commercial_spokesperson.py",  # [12]
    "tests/e2e/test_openai_client.py",  # [11]
    "tests/engines/compose/test_compose_memory.py",  # [10]
    "tests/e2e/test_quickstart.py",  # [10]
    "tests/api/test_webhook_deliveries.py",  # [10]
    "tests/e2e/test_timeouts.py",  # [10]
)
_RANK = {unit: rank for rank, unit in enumerate(LONGEST_FIRST)}


def unit_of(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    if path.startswith("tests/webui/"):
        return "tests/webui"
    if path.startswith("tests/products/") and path not in OWN_SERVER:
        return "tests/products"
    return path


def order(items: list[Any]) -> None:
    """Longest units first, each unit's tests in their collection order (a stable sort)."""
    items.sort(key=lambda item: _RANK.get(unit_of(item.nodeid), len(_RANK)))


def make_scheduler(config: Any, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class Plan(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    config.option.loadscopereorder = False  # the collection order is the plan's
    return Plan(config, log)
