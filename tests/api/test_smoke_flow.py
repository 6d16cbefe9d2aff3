from __future__ import annotations

from tests.conftest import wait_for_job


def test_image_job_end_to_end(app_client, account):
    r = app_client.post(
        "/api/generate/image",
        json={"prompt": "a red fox", "width": 256, "height": 256, "seed": 7},
        headers=account.headers,
    )
    assert r.status_code == 202, r.text
    body = r.json()["data"]
    assert body["status"] == "queued" and body["jobId"]
    job = wait_for_job(app_client, body["jobId"], account.headers)
    assert job["status"] == "completed", job
    assert job["outputType"] == "image/png"
    assert job["metadata"]["width"] == 256
    png = app_client.get(job["outputUrl"].replace("http://127.0.0.1:8000", ""))
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
