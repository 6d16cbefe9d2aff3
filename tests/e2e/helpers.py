"""Driving a real server and the CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests import loopback


def cli(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> str:
    """Runs `apexlocal ARGS --data-dir DIR` and returns stdout."""
    out = subprocess.run(
        [sys.executable, "-m", "apexlocal", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def new_user(
    data_dir: Path, email: str, credits: int, plan: str = "enterprise", env: dict[str, str] | None = None
) -> str:
    """Creates a user and a key with the CLI; returns the key (the last line of stdout)."""
    cli("users", "create", email, "--plan", plan, "--credits", str(credits), data_dir=data_dir, env=env)
    return cli("keys", "create", "--user", email, "--name", "test", data_dir=data_dir, env=env).strip().splitlines()[-1]


def wait_job(base: str, key: str, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # A read's own timeout is generous: on a machine at load 10 one waited over httpx's 5 s.
        answer = loopback.get(f"{base}/api/jobs?id={job_id}", headers={"Authorization": f"Bearer {key}"}, timeout=30)
        job = answer.json()["data"]
        if job["status"] in ("completed", "failed", "canceled"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


def ledger_balanced(db_path: Path) -> tuple[int, int]:
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT u.credits, coalesce((SELECT sum(amount) FROM ledger l WHERE l.user_id = u.id), 0) FROM users u"
        ).fetchall()
    finally:
        conn.close()
    for balance, total in rows:
        assert balance == total and balance >= 0, rows
    return rows[0]
