"""The studio in a real headless Chromium (Debian's `chromium`, driven by Playwright through
`executable_path`), against one real `apexlocal serve` process with the tiny model set.

Without the browser they fail and say how to install it (`apt-get install -y chromium`); they are
left out only on purpose, with `-m "not browser"`. Playwright comes with the test extra.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import loopback
from tests.conftest import ROOT, ServerProcess, free_port, require_chromium, server_env

CHROMIUM = Path(os.environ.get("APEXLOCAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--mute-audio",
]
SHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# A webhook receiver ------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(json.loads(body or b"{}"))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()


@pytest.fixture(scope="session")
def receiver() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []  # type: ignore[attr-defined]
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


# The server ------------------------------------------------------------------------------------------


@dataclass
class Studio:
    server: ServerProcess
    owner_key: str
    first_link: str
    owner_id: str = ""
    used_first_link: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def api(self) -> httpx.Client:
        return loopback.client(base_url=self.url, headers={"Authorization": f"Bearer {self.owner_key}"}, timeout=30)

    def new_link(self) -> str:
        """A fresh one-time login link for the owner, made through the admin API."""
        with self.api() as client:
            r = client.post(f"/api/admin/users/{self.owner_id}/login-link")
            r.raise_for_status()
            return r.json()["data"]["url"]

    def wait_job(self, job_id: str, timeout: float = 240) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.api() as client:
            while time.monotonic() < deadline:
                job = client.get(f"/api/jobs/{job_id}").json()["data"]
                if job["status"] in ("completed", "failed", "canceled"):
                    return job
                time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not end")


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[Studio]:
    _require_browser()
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_RATE_LIMITS": "read=100000/10,generation=1000/10,delete=1000/10",
            "APEXLOCAL_WEBHOOKS_ALLOW_PRIVATE": "1",
            "APEXLOCAL_WEBHOOK_RETRY_DELAYS": "",
            # Test calls answer with a fixed sentence: the writer model is tested on its own.
            "APEXLOCAL_VOICE_AGENT_WRITER": "stand-in",
        },
    )
    data = tmp_path_factory.mktemp("studio") / "data"
    server = ServerProcess(data, free_port(), env).start()
    try:
        key = server.read_owner_key()
        link = server.wait_for_line(lambda line: line.startswith("http"))
        studio = Studio(server, key, link)
        with studio.api() as client:
            users = client.get("/api/admin/users").json()["data"]
        studio.owner_id = next(u["id"] for u in users if u["isAdmin"])
        yield studio
    finally:
        server.stop()


# The browser -----------------------------------------------------------------------------------------


def _require_browser() -> None:
    require_chromium(CHROMIUM)


class _Browsers:
    """One Playwright and one Chromium (each launch costs 1.1-1.7 s of CPU) while tests/webui's tests run
    one after another, as the worker plan keeps them. Playwright's sync API keeps an event loop running
    on the main thread while it is open, which another Playwright or a later module's `asyncio.run`
    would trip over, so both close as soon as the next test lies outside tests/webui."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._chromium: Any = None

    def playwright(self) -> Any:
        if self._playwright is None:
            _require_browser()
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
        return self._playwright

    def chromium(self) -> Any:
        if self._chromium is None or not self._chromium.is_connected():  # a crashed one is replaced
            self._chromium = self.playwright().chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        return self._chromium

    def close(self) -> None:
        if self._chromium is not None and self._chromium.is_connected():
            self._chromium.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._playwright = self._chromium = None


_BROWSERS = _Browsers()
HERE = Path(__file__).parent


@pytest.hookimpl(trylast=True)  # after the test's own fixtures have closed their contexts
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None or HERE not in nextitem.path.parents:
        _BROWSERS.close()


@pytest.fixture
def playwright() -> Any:
    return _BROWSERS.playwright()


@pytest.fixture
def browser() -> Any:
    """The shared Chromium; each test opens its own context, so no cookies or storage pass between tests."""
    return _BROWSERS.chromium()


class Console:
    """Console errors and uncaught exceptions of one page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def unexpected(self, *allowed: str) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in allowed)]


@dataclass
class Tab:
    page: Any
    console: Console
    context: Any


def open_tab(browser: Any, viewport: dict[str, int] = DESKTOP, **options: Any) -> Tab:
    context = browser.new_context(viewport=viewport, **options)
    context.set_default_timeout(30_000)
    page = context.new_page()
    return Tab(page, Console(page), context)


def sign_in(studio: Studio, tab: Tab) -> Tab:
    tab.page.goto(studio.new_link())
    tab.page.wait_for_selector("#stat-credits")
    return tab


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    opened = open_tab(browser)
    yield opened
    opened.context.close()


@pytest.fixture
def signed_in(studio: Studio, tab: Tab) -> Tab:
    return sign_in(studio, tab)


def wait_for(page: Any, script: str, arg: Any = None, timeout: float = 30) -> Any:
    """Polls a function in the page until it returns something truthy. (Playwright's own
    wait_for_function evaluates strings with eval, which the studio's CSP rightly refuses.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {script}")
        page.wait_for_timeout(100)


def shoot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
