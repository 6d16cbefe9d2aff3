"""The S3 backend against a real S3-compatible server: moto's server mode on a loopback port."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from apexlocal.errors import ConfigError, NotFound
from apexlocal.settings import Settings
from apexlocal.storage import make_storage
from tests import loopback

if TYPE_CHECKING:
    from apexlocal.storage.s3 import S3Storage

REGION = "us-east-1"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


def make(endpoint: str, bucket: str, **extra: str) -> S3Storage:
    from apexlocal.storage.s3 import S3Storage

    return S3Storage(bucket, endpoint_url=endpoint, region=REGION, **CREDENTIALS, **extra)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "output.png"
    path.write_bytes(b"\x89PNG" + bytes(range(256)) * 8)
    return path


def keys_in(client: Any, bucket: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_put_file_and_exists(endpoint: str, bucket: str, client: Any, source: Path) -> None:
    storage = make(endpoint, bucket)
    key = "outputs/u1/j1/output.png"
    assert not storage.exists(key)
    assert storage.put_file(key, source, "image/png") == source.stat().st_size
    assert storage.exists(key)
    head = client.head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "image/png"
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == source.read_bytes()
    assert storage.local_path(key) is None


def test_move_file_uploads_then_deletes_the_source(endpoint: str, bucket: str, client: Any, source: Path) -> None:
    storage = make(endpoint, bucket)
    data = source.read_bytes()
    assert storage.move_file("outputs/u1/j1/moved.png", source, "image/png") == len(data)
    assert client.get_object(Bucket=bucket, Key="outputs/u1/j1/moved.png")["Body"].read() == data
    assert not source.exists()


def test_large_upload_is_stored_whole(endpoint: str, bucket: str, client: Any, tmp_path: Path) -> None:
    # Past boto3's 8 MiB threshold the upload is multipart: the object appears only when complete.
    path = tmp_path / "big.mp4"
    path.write_bytes(b"v" * (9 * 1024 * 1024))
    storage = make(endpoint, bucket)
    assert storage.put_file("outputs/u1/j1/big.mp4", path, "video/mp4") == 9 * 1024 * 1024
    assert client.head_object(Bucket=bucket, Key="outputs/u1/j1/big.mp4")["ContentLength"] == 9 * 1024 * 1024


def test_unsafe_keys_are_refused(endpoint: str, bucket: str, client: Any, source: Path) -> None:
    storage = make(endpoint, bucket)
    for key in ("../x", "/etc/passwd", "a\\b", "a/../b", "%2e%2e/x"):
        with pytest.raises(NotFound):
            storage.put_file(key, source, "image/png")
        with pytest.raises(NotFound):
            storage.signed_url(key, "http://unused", 60)
    assert keys_in(client, bucket) == []


def test_delete_prefix(endpoint: str, bucket: str, client: Any, source: Path) -> None:
    storage = make(endpoint, bucket)
    keys = ("outputs/u1/j1/a.png", "outputs/u1/j1/sub/b.png", "outputs/u1/j10/a.png", "outputs/u2/j1/a.png")
    for key in keys:
        storage.put_file(key, source, "image/png")
    storage.delete_prefix("outputs/u1/j1/")
    assert keys_in(client, bucket) == ["outputs/u1/j10/a.png", "outputs/u2/j1/a.png"]
    storage.delete_prefix("outputs/u1/j")
    assert keys_in(client, bucket) == ["outputs/u2/j1/a.png"]
    storage.delete_prefix("outputs/nobody/")
    with pytest.raises(ValueError, match="empty prefix"):
        storage.delete_prefix("")


def test_delete_prefix_pages_through_more_than_one_listing(endpoint: str, bucket: str, client: Any) -> None:
    keys = [f"outputs/u1/j1/frame{i:04d}.png" for i in range(23)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))
    client.put_object(Bucket=bucket, Key="outputs/u1/keep.png", Body=b"x")
    storage = make(endpoint, bucket)
    storage.list_page_size = 5  # 23 objects: five listing pages, the last one partial
    storage.delete_prefix("outputs/u1/j1/")
    assert keys_in(client, bucket) == ["outputs/u1/keep.png"]


def test_presigned_url_downloads_the_bytes(endpoint: str, bucket: str, source: Path) -> None:
    storage = make(endpoint, bucket)
    storage.put_file("outputs/u1/j1/output.png", source, "image/png")
    url = storage.signed_url("outputs/u1/j1/output.png", "http://ignored", 3600)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["3600"]
    assert "X-Amz-Signature" in query
    response = loopback.get(url)
    assert response.status_code == 200
    assert response.content == source.read_bytes()
    assert response.headers["content-type"] == "image/png"


def test_presigned_url_lifetime_is_capped_at_a_week(endpoint: str, bucket: str) -> None:
    url = make(endpoint, bucket).signed_url("a.png", "http://ignored", 30 * 86_400)
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == [str(7 * 86_400)]


def test_public_base_url_mode(endpoint: str, bucket: str, client: Any, source: Path) -> None:
    # A publicly readable bucket, reached by its plain path, stands in for a CDN or an R2 custom domain.
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    storage = make(endpoint, bucket, public_base_url=f"{endpoint}/{bucket}/")
    storage.put_file("outputs/u1/j1/my output.png", source, "image/png")
    url = storage.signed_url("outputs/u1/j1/my output.png", "http://ignored", 3600)
    assert url == f"{endpoint}/{bucket}/outputs/u1/j1/my%20output.png"
    response = loopback.get(url)
    assert response.status_code == 200
    assert response.content == source.read_bytes()


def test_make_storage_builds_the_s3_backend(endpoint: str, bucket: str, source: Path, tmp_path: Path) -> None:
    from apexlocal.storage.s3 import S3Storage

    settings = Settings(
        data_dir=tmp_path,
        storage_backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=endpoint,
        s3_region=REGION,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    storage = make_storage(settings, b"unused" * 6)
    assert isinstance(storage, S3Storage)
    storage.put_file("a/b.png", source, "image/png")
    assert storage.exists("a/b.png")
    assert not (tmp_path / "files").exists()


def test_s3_backend_needs_a_bucket(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="s3_bucket"):
        make_storage(Settings(data_dir=tmp_path, storage_backend="s3"), b"x" * 32)


def test_boto3_is_imported_only_when_the_s3_backend_is_built() -> None:
    code = (
        "import sys, apexlocal.storage, apexlocal.storage.s3, apexlocal.storage.local, apexlocal.api.files;"
        "print('boto3' in sys.modules or 'botocore' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
