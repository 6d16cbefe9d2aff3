"""One API process and two `apexlocal worker` processes on a real Redis, sharing an S3-compatible
bucket (moto's server on loopback) the way two machines would: each worker has a data dir of its own
and never opens the database. Tiny image jobs (256x256, the smallest size the API takes, 2 steps)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import loopback
from tests.conftest import ServerProcess, free_port, server_env
from tests.e2e.helpers import ledger_balanced, new_user, wait_job
from tests.scaleout.conftest import WorkerProcess
from tests.storage.conftest import wait_until_up

pytestmark = pytest.mark.e2e

TINY = {"width": 256, "height": 256, "steps": 2}
LEASE_S = "3"


@pytest.fixture(scope="module")
def bucket_env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("moto")
    port = free_port()
    with open(folder / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(endpoint, proc, folder / "server.log")
        import boto3

        name = f"scaleout-{uuid.uuid4().hex[:8]}"
        boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
        ).create_bucket(Bucket=name)
        yield {
            "APEXLOCAL_STORAGE_BACKEND": "s3",
            "APEXLOCAL_S3_BUCKET": name,
            "APEXLOCAL_S3_ENDPOINT_URL": endpoint,
            "APEXLOCAL_S3_REGION": "us-east-1",
            "APEXLOCAL_S3_ACCESS_KEY_ID": "k",
            "APEXLOCAL_S3_SECRET_ACCESS_KEY": "s",
        }
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, models_dir, redis_server, bucket_env):
    """The API process (no model threads of its own) and workers w1 and w2."""
    root = tmp_path_factory.mktemp("cluster")
    for name in ("api", "w1", "w2"):
        (root / name).mkdir()
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_QUEUE_BACKEND": "redis",
            "APEXLOCAL_REDIS_URL": redis_server.url(),
            "APEXLOCAL_WORKER_LEASE_SECONDS": LEASE_S,
            "APEXLOCAL_RATE_LIMITS": "read=100000/10,generation=1000/10",
            # One compute thread a process: two workers on a 2-core machine, as two GPUs would be.
            "OMP_NUM_THREADS": "1",
            **bucket_env,
        },
    )
    api = ServerProcess(root / "api" / "data", free_port(), {**env, "APEXLOCAL_GPU_WORKERS": "0"}).start()
    workers = {name: WorkerProcess(name, root / name / "data", env).start() for name in ("w1", "w2")}
    key = new_user(api.data_dir, "scale@example.com", credits=1000, env=env)
    try:
        yield api, workers, key
    finally:
        for worker in workers.values():
            worker.stop()
        api.stop()


def post_image(api, key, **fields):
    r = loopback.post(
        f"{api.url}/api/generate/image",
        headers={"Authorization": f"Bearer {key}"},
        json={"prompt": "a lighthouse", **TINY, **fields},
        timeout=30,
    )
    assert r.status_code == 202, r.text
    return r.json()["data"]["jobId"]


def credits(api, key):
    ledger_balanced(api.data_dir / "app.db")
    usage = loopback.get(f"{api.url}/api/usage", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return usage.json()["data"]["credits"]


def ledger_rows(api, job_id):
    conn = sqlite3.connect(api.data_dir / "app.db")
    try:
        return conn.execute("SELECT kind, amount FROM ledger WHERE job_id = ? ORDER BY id", (job_id,)).fetchall()
    finally:
        conn.close()


def attempts(api, job_id):
    conn = sqlite3.connect(api.data_dir / "app.db")
    try:
        return conn.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
    finally:
        conn.close()


def test_twenty_jobs_all_complete_spread_over_both_workers(cluster):
    api, workers, key = cluster
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda _: post_image(api, key), range(20)))
    jobs = [wait_job(api.url, key, job_id, timeout=600) for job_id in ids]
    assert [j["status"] for j in jobs] == ["completed"] * 20, [j["error"] for j in jobs]
    ran_on = [j["metadata"]["worker"] for j in jobs]
    assert set(ran_on) == {"w1", "w2"}, ran_on
    png = loopback.get(jobs[0]["outputUrl"], timeout=30)  # a presigned URL of the shared bucket
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert "/1/output.png" in jobs[0]["outputUrl"]  # the run's own folder: attempt 1
    assert credits(api, key) == 1000 - 20 * 10
    for worker in workers.values():
        assert not (worker.data_dir / "app.db").exists()  # workers never open the database
        assert "Periodic tasks are disabled." in worker.log()  # the API process alone runs them
        assert worker.proc.poll() is None


def test_a_worker_killed_mid_job_the_job_ends_once_and_the_rest_complete(cluster):
    api, workers, key = cluster
    before = credits(api, key)
    slow = post_image(api, key, width=1024, height=1024, steps=30)
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 300
    while True:
        job = loopback.get(f"{api.url}/api/jobs/{slow}", headers=headers).json()["data"]
        if job["status"] == "processing" and job["stage"] == "denoising":
            break
        assert time.monotonic() < deadline, f"the slow job never started denoising: {job}"
        time.sleep(0.05)
    holder = next(w for w in workers.values() if f"job {slow} (attempt 1) runs here" in w.log())
    survivor = next(w for w in workers.values() if w is not holder)
    quick = [post_image(api, key) for _ in range(3)]
    holder.kill()

    ended = wait_job(api.url, key, slow, timeout=600)
    # It ran again on the other worker (job_max_attempts is 2): completed once, never refunded.
    assert ended["status"] == "completed", ended
    assert ended["metadata"]["worker"] == survivor.name and attempts(api, slow) == 2
    assert ledger_rows(api, slow) == [("debit", -10)]
    assert "/2/output.png" in ended["outputUrl"]
    for job_id in quick:
        done = wait_job(api.url, key, job_id, timeout=600)
        assert done["status"] == "completed" and done["metadata"]["worker"] == survivor.name
    assert credits(api, key) == before - 4 * 10
