"""Finished jobs are read again from memory, and a deleted one is never served from it."""

from __future__ import annotations

from apexlocal.jobs.finished import FinishedJobs


def _row(job_id: str, status: str) -> dict:
    return {"id": job_id, "status": status, "user_id": "u1"}


def test_only_finished_jobs_are_kept_and_the_oldest_go_first():
    jobs = FinishedJobs(size=2)
    jobs.keep(_row("running", "processing"), [])
    assert jobs.get("running") is None
    for job_id in ("a", "b", "c"):
        jobs.keep(_row(job_id, "completed"), [{"storage_key": job_id}])
    assert jobs.get("a") is None and jobs.get("c") == (_row("c", "completed"), [{"storage_key": "c"}])


def test_a_deleted_job_is_not_kept_again_by_a_read_that_began_before():
    jobs = FinishedJobs()
    row = _row("j1", "completed")
    jobs.keep(row, [])
    jobs.forget("j1")  # deleted while another read of it was under way
    jobs.keep(row, [])  # that read ends
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
