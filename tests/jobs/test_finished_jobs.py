"""Finished jobs are read again from memory, and a deleted one is never served from it."""

from __future__ import annotations

from apexlocal.jobs.finished import FinishedJobs
from apexlocal.jobs.views import Unsigned


def _job(job_id: str, status: str, keys: tuple[str, ...] = ()) -> Unsigned:
    return Unsigned("u1", {"jobId": job_id, "status": status}, keys)


def test_only_finished_jobs_are_kept_and_the_oldest_go_first():
    jobs = FinishedJobs(size=2)
    jobs.keep(_job("running", "processing"))
    assert jobs.get("running") is None
    for job_id in ("a", "b", "c"):
        jobs.keep(_job(job_id, "completed", (job_id,)))
    assert jobs.get("a") is None and jobs.get("c") == _job("c", "completed", ("c",))


def test_a_deleted_job_is_not_kept_again_by_a_read_that_began_before():
    jobs = FinishedJobs()
    job = _job("j1", "completed")
    jobs.keep(job)
    jobs.forget("j1")  # deleted while another read of it was under way
    jobs.keep(job)  # that read ends
    assert jobs.get("j1") is None


def test_reading_a_finished_job_twice_touches_the_database_once(app_client, account, monkeypatch):
    from apexlocal.db import jobs as records
    from tests.api.webhook_helpers import submit_image
    from tests.conftest import wait_for_job

    job_id = submit_image(app_client, account.headers)
    first = wait_for_job(app_client, job_id, account.headers)
    reads: list[str] = []
    real_get = records.get_owned
    monkeypatch.setattr(records, "get_owned", lambda *args: reads.append(args[1]) or real_get(*args))
    for path in (f"/api/jobs?id={job_id}", f"/api/jobs/{job_id}"):
        again = app_client.get(path, headers=account.headers).json()["data"]
        assert (again["jobId"], again["status"], again["completedAt"]) == (job_id, "completed", first["completedAt"])
        assert [o["size"] for o in again["outputs"]] == [o["size"] for o in first["outputs"]]
        assert app_client.get(again["outputUrl"]).status_code == 200  # freshly signed, still valid
    assert reads == []  # both answered from memory: the poll that saw it end kept it
    assert app_client.delete(f"/api/jobs/{job_id}", headers=account.headers).status_code == 200
    assert app_client.get(f"/api/jobs?id={job_id}", headers=account.headers).status_code == 404
