"""With the S3 backend on, outputs and uploads live in the bucket: a finished job's outputUrl is a
presigned URL of the S3 server that downloads the file, the local files route serves nothing, and
an uploaded file is handed to a job straight from the bucket."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from apexlocal.app import create_app
from apexlocal.jobs.inputs import fetch_input
from apexlocal.jobs.services import Services
from apexlocal.storage.signing import file_url
from tests import loopback
from tests.conftest import Account, add_account, make_settings, wait_for_job
from tests.storage.conftest import REGION


class S3Client(TestClient[Litestar]):
    services: Services
    account: Account


@pytest.fixture
def s3_client(tmp_path: Path, models_dir: Path, endpoint: str, bucket: str) -> Iterator[S3Client]:
    settings = make_settings(
        tmp_path / "data",
        models_dir,
        storage_backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=endpoint,
        s3_region=REGION,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    app = create_app(settings)
    with S3Client(app, base_url="http://127.0.0.1:8000") as client:
        client.services = app.state.services
        client.account = add_account(app.state.services.db, settings, "s3@example.com")
        yield client


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_output_url_is_a_presigned_bucket_url(s3_client, endpoint, bucket):
    headers = s3_client.account.headers
    r = s3_client.post("/api/generate/image", json={"prompt": "a boat", "width": 256, "height": 256}, headers=headers)
    job = wait_for_job(s3_client, r.json()["data"]["jobId"], headers)
    assert job["status"] == "completed", job
    url = job["outputUrl"]
    assert url.startswith(f"{endpoint}/{bucket}/outputs/") and "X-Amz-Signature=" in url
    downloaded = loopback.get(url)
    assert downloaded.status_code == 200 and downloaded.content[:8] == b"\x89PNG\r\n\x1a\n"
    key = url.split(f"/{bucket}/", 1)[1].split("?", 1)[0]
    local = file_url(s3_client.services.file_secret, "", key, int(time.time()) + 60)
    assert s3_client.get(local).status_code == 404
    assert not list((s3_client.services.settings.data_dir / "files").rglob("*.png"))


def test_uploads_go_to_the_bucket_and_feed_jobs_from_it(s3_client, endpoint, bucket, tmp_path):
    account = s3_client.account
    r = s3_client.post("/api/upload/image", files={"file": ("red.png", _png(), "image/png")}, headers=account.headers)
    assert r.status_code == 201, r.text
    url = r.json()["data"]["url"]
    assert url.startswith(f"{endpoint}/{bucket}/uploads/")
    assert loopback.get(url).content == _png()
    path = fetch_input(s3_client.services, account.id, url, "image", ("image/",), tmp_path / "in")
    assert path.read_bytes() == _png()
    storage = s3_client.services.storage
    assert storage.key_for_url(url).startswith(f"uploads/{account.id}/")
    assert storage.key_for_url(f"{endpoint}/other-bucket/uploads/x.png") is None
    assert storage.key_for_url("https://example.com/uploads/x.png") is None
