"""Scale-out fixtures: a real Debian `redis-server` on a loopback port in a temp dir (one per test
module), and `apexlocal worker` processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, free_port, kill_process, stop_process

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen[bytes]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> Any:
        import redis

        return redis.Redis.from_url(self.url(db))


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        pytest.fail(
            "redis-server is missing: the scale-out tests run a real one. On Debian or Ubuntu: "
            "apt-get install -y redis-server (.ci/run installs it)",
            pytrace=False,
        )
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no"]
    with open(folder / "redis.log", "wb") as log:
        proc = subprocess.Popen([REDIS_SERVER, *args], stdout=log, stderr=subprocess.STDOUT)
    server = RedisServer(port, proc)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.client().ping()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"redis-server did not start: {(folder / 'redis.log').read_text()}") from None
            time.sleep(0.05)
    try:
        yield server
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class WorkerProcess:
    """`apexlocal worker` as a real child process; its log (stderr) goes to a file."""

    name: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"worker-{self.name}.log"

    def start(self, timeout: float = 60) -> WorkerProcess:
        cmd = [sys.executable, "-m", "apexlocal", "worker", "--name", self.name, "--data-dir", str(self.data_dir)]
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
        ready = threading.Event()

        def read() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line)
                if "takes jobs" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout):
            raise AssertionError(f"worker {self.name} did not start: {self.log_path.read_text()[-3000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        kill_process(self.proc)

    def stop(self) -> None:
        stop_process(self.proc)
