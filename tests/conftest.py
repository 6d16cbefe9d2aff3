"""Shared fixtures: real SQLite files in temp dirs, a real huey consumer, the `tiny` model set, and
a real server process on a free loopback port for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apexlocal.settings import Settings, load_settings
from tests import loopback, worker_plan

ROOT = Path(__file__).resolve().parents[1]

# The suite's two workers keep both cores busy, one each. A second torch thread in a process only
# queues behind the other worker's work (the engine tests ran in 0.96 of the time with one thread,
# measured A/B), and a thread left spinning while it waits spins against that work: one compute
# thread a process, and any OpenMP thread a library still starts waits passively. Set before
# anything imports torch; the servers that tests start inherit both.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pytest_configure(config: pytest.Config) -> None:
    """Compiles apexlocal's and the tests' modules once, before the workers start, as pip does for
    the packages it installs: where the environment sets PYTHONDONTWRITEBYTECODE, every one of the
    run's 60-odd Python processes (workers, servers, CLI calls) would otherwise compile them again
    (0.2-0.3 s each)."""
    import compileall

    if not hasattr(config, "workerinput"):
        for folder in ("apexlocal", "tests"):
            compileall.compile_dir(ROOT / folder, quiet=1, workers=0)


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models dir per test run, shared by its workers and every server they start: each tiny
    model is built once and the writer converted once (a second process asking meanwhile waits
    on the first one's lock)."""
    run = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = run.parent  # the run's folder, above each worker's own
    folder = run / "models"
    folder.mkdir(exist_ok=True)
    return folder


def require_chromium(binary: Path) -> None:
    """Fails, saying how to get it, when the browser tests' Chromium is missing: a missing browser
    must not pass for a green run."""
    if not binary.exists():
        pytest.fail(
            f"{binary} is missing: the browser tests need Chromium. On Debian or Ubuntu: "
            "apt-get install -y chromium (or set APEXLOCAL_TEST_CHROMIUM to a Chromium binary). "
            'To leave the browser tests out on purpose: python -m pytest -m "not browser"',
            pytrace=False,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "webui" in item.path.parts:
            item.add_marker(pytest.mark.browser)
    if hasattr(config, "workerinput"):  # a worker of a distributed run: the plan's order
        worker_plan.order(items)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    return worker_plan.make_scheduler(config, log) if config.getoption("dist") == "loadfile" else None


def make_settings(data_dir: Path, models_dir: Path, **overrides: Any) -> Settings:
    # Reads are polled in tests; their limit is raised so polling never trips it.
    # Full-set weights go to a cache of the test's own, never the machine's Hugging Face cache.
    base = {
        "data_dir": data_dir,
        "models_dir": models_dir,
        "hf_cache_dir": models_dir / "hf-cache",
        "model_set": "tiny",
        "queue_max_idle_wait": 0.5,
        "owner_credits": 1000,
        "rate_limits": "read=100000/10",
    }
    return load_settings(environ={}, overrides={**base, **overrides})


@pytest.fixture
def settings(tmp_path: Path, models_dir: Path) -> Settings:
    return make_settings(tmp_path / "data", models_dir)


@dataclass
class Account:
    id: str
    email: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def add_account(db: Any, settings: Settings, email: str, plan: str = "enterprise", credits: int = 1000) -> Account:
    from apexlocal.accounts.api_keys import create_key
    from apexlocal.accounts.users import create_user

    user = create_user(db, email, plan, settings.plans, credits)
    return Account(user.id, email, create_key(db, user.id, "test").key)


@pytest.fixture
def app_client(settings: Settings) -> Iterator[Any]:
    """A TestClient on the real app, its workers running in this process."""
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.services = app.state.services
        yield client


@pytest.fixture
def account(app_client: Any, settings: Settings) -> Account:
    return add_account(app_client.services.db, settings, "alice@example.com")


def wait_for_job(client: Any, job_id: str, headers: dict[str, str], timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}", headers=headers).json()["data"]
        if job["status"] in ("completed", "failed", "canceled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end in {timeout}s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_process(proc: subprocess.Popen[str] | None) -> None:
    if proc and proc.poll() is None:
        proc.kill()
        proc.wait(10)


def stop_process(proc: subprocess.Popen[str] | None) -> None:
    """SIGTERM, a graceful shutdown's 30 s, then SIGKILL."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            kill_process(proc)


@dataclass
class ServerProcess:
    """`apexlocal serve` as a real child process."""

    data_dir: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[str] | None = None
    owner_key: str = ""
    lines: list[str] = field(default_factory=list)  # stdout of every start, read as it comes
    _seen: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        with open(self.data_dir.parent / f"server-{self.port}.log", "a") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "apexlocal",
                    "serve",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=ROOT,
            )
        # Always read stdout (the access log goes there): a full pipe would block the server.
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}")
            try:
                if loopback.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not become ready")

    def _read(self, stream: Any) -> None:
        for line in stream:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()

    def wait_for_line(self, wanted: Any, timeout: float = 30) -> str:
        """The first stdout line for which `wanted(line)` is true."""
        with self._seen:
            self._seen.wait_for(lambda: any(wanted(line) for line in self.lines), timeout)
            return next((line.strip() for line in self.lines if wanted(line)), "")

    def read_owner_key(self) -> str:
        self.owner_key = self.wait_for_line(lambda line: line.startswith("sk_live_"))
        return self.owner_key

    def kill(self) -> None:
        kill_process(self.proc)

    def stop(self) -> None:
        stop_process(self.proc)


def server_env(models_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A test server's environment: this process's without its APEXLOCAL_ settings, the tiny set, then
    `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APEXLOCAL_")}
    env.update(
        {
            "APEXLOCAL_MODEL_SET": "tiny",
            "APEXLOCAL_MODELS_DIR": str(models_dir),
            "APEXLOCAL_QUEUE_MAX_IDLE_WAIT": "0.5",
            "APEXLOCAL_RATE_LIMITS": "read=100000/10",
            "PYTHONUNBUFFERED": "1",
            **(extra or {}),
        }
    )
    return env


@pytest.fixture
def server_factory(tmp_path: Path, models_dir: Path) -> Iterator[Any]:
    servers: list[ServerProcess] = []

    def make(**env_overrides: str) -> ServerProcess:
        server = ServerProcess(tmp_path / "srv-data", free_port(), server_env(models_dir, env_overrides))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
