"""A finished job read from memory by the middleware (api/finished_reads.py) answers exactly as the
route's handler does, and everything else still reaches the handler."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from apexlocal.api import jobs as jobs_api
from tests.api.webhook_helpers import submit_image
from tests.conftest import add_account, wait_for_job

VARYING = {"x-ratelimit-remaining", "content-length"}  # the count goes down; URLs are signed afresh


def _comparable(answer: Any) -> tuple[int, dict[str, str], Any]:
    """Status, headers and body, each signed URL without its query (its expiry is signed per read)."""
    body = answer.json()
    data = body["data"]
    data["outputUrl"] = urlsplit(data["outputUrl"])._replace(query="").geturl()
    for output in data["outputs"]:
        output["url"] = urlsplit(output["url"])._replace(query="").geturl()
    headers = {k: v for k, v in answer.headers.items() if k not in VARYING}
    assert int(answer.headers["content-length"]) == len(answer.content)
    return answer.status_code, headers, body


@pytest.fixture
def handler_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = jobs_api._one

    async def counting(request: Any, job_id: str) -> Any:
        calls.append(job_id)
        return await real(request, job_id)

    monkeypatch.setattr(jobs_api, "_one", counting)
    return calls


def test_a_finished_read_from_memory_equals_the_handlers(app_client, account, handler_calls):
    job_id = submit_image(app_client, account.headers)
    wait_for_job(app_client, job_id, account.headers)  # the read that sees it end keeps it in memory
    handler_calls.clear()
    by_handler = app_client.get(f"/api/jobs?id={job_id}&limit=20", headers=account.headers)
    assert handler_calls == [job_id]  # another parameter: the handler answers (it ignores limit)
    for path in (f"/api/jobs?id={job_id}", f"/api/jobs/{job_id}"):
        fast = app_client.get(path, headers=account.headers)
        assert _comparable(fast) == _comparable(by_handler)
        assert fast.headers["content-security-policy"]  # the app's own headers still apply
        assert int(fast.headers["x-ratelimit-remaining"]) < int(by_handler.headers["x-ratelimit-remaining"])
        assert app_client.get(fast.json()["data"]["outputUrl"]).status_code == 200  # signed now, valid
    assert handler_calls == [job_id]
    elsewhere = {**account.headers, "Host": "studio.example:9000"}  # URLs are signed for the caller's origin
    by_handler = app_client.get(f"/api/jobs?id={job_id}&limit=20", headers=elsewhere)
    fast = app_client.get(f"/api/jobs/{job_id}", headers=elsewhere)
    assert fast.json()["data"]["outputUrl"].startswith("http://studio.example:9000/files/")
    assert _comparable(fast) == _comparable(by_handler)


def test_other_reads_reach_the_handler(app_client, account, settings, handler_calls):
    job_id = submit_image(app_client, account.headers)
    wait_for_job(app_client, job_id, account.headers)
    other = add_account(app_client.services.db, settings, "bob@example.com")
    handler_calls.clear()
    assert app_client.get(f"/api/jobs?id={job_id}", headers=other.headers).status_code == 404
    assert app_client.get(f"/api/jobs/{job_id}", headers=other.headers).status_code == 404
    assert app_client.get("/api/jobs?id=nosuchjob", headers=account.headers).status_code == 404
    assert app_client.get(f"/api/jobs?id={job_id}", headers={}).status_code == 401  # auth runs first
    assert handler_calls == [job_id, job_id, "nosuchjob"]
    listing = app_client.get("/api/jobs?limit=5", headers=account.headers).json()
    assert [j["jobId"] for j in listing["data"]] == [job_id]
