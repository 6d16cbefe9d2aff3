"""The S3-compatible storage backend (AWS S3, Cloudflare R2, MinIO ...), on boto3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from apexlocal.errors import ApexError, ConfigError
from apexlocal.storage.local import check_key

if TYPE_CHECKING:
    from apexlocal.settings import Settings

# SigV4 presigned URLs cannot outlive a week; S3 refuses longer ones outright.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_DELETE_BATCH = 1000  # the most keys one DeleteObjects call accepts
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """Objects live in one bucket under their key; URLs are presigned GETs or a public base URL."""

    list_page_size = 1000  # keys per listing page while deleting a prefix (S3's own maximum)

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str = "",
        region: str = "auto",
        access_key_id: str = "",
        secret_access_key: str = "",
        public_base_url: str = "",
    ) -> None:
        if not bucket:
            raise ConfigError("s3_bucket must be set when storage_backend is s3")
        # boto3 takes about half a second to import: only pay for it when the s3 backend is chosen.
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.public_base_url = public_base_url.rstrip("/")
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(signature_version="s3v4", retries={"mode": "standard"}),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        return cls(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            public_base_url=settings.s3_public_base_url,
        )

    def put_file(self, key: str, source: Path, content_type: str) -> int:
        # An S3 object becomes visible only once its upload (multipart or not) completes.
        self._client.upload_file(str(source), self.bucket, check_key(key), ExtraArgs={"ContentType": content_type})
        return source.stat().st_size

    def move_file(self, key: str, source: Path, content_type: str) -> int:
        size = self.put_file(key, source, content_type)
        source.unlink()
        return size

    def delete_prefix(self, prefix: str) -> None:
        if not prefix:
            raise ValueError("refusing to delete every stored object (empty prefix)")
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": self.list_page_size}
        )
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            for start in range(0, len(keys), _DELETE_BATCH):
                self._delete_batch(keys[start : start + _DELETE_BATCH])

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING_CODES:
                return False
            raise
        return True

    def local_path(self, key: str) -> Path | None:
        return None

    def signed_url(self, key: str, base_url: str, ttl_seconds: int) -> str:
        check_key(key)
        if self.public_base_url:
            return f"{self.public_base_url}/{quote(key, safe='/')}"
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=max(1, min(int(ttl_seconds), MAX_PRESIGN_SECONDS)),
        )

    def key_for_url(self, url: str) -> str | None:
        """A key from this bucket's public URL, or from a presigned URL in the path style
        (`endpoint/bucket/key`) or the virtual-hosted style (`bucket.endpoint/key`)."""
        if self.public_base_url and url.startswith(self.public_base_url + "/"):
            return unquote(urlsplit(url).path[len(urlsplit(self.public_base_url).path) + 1 :]) or None
        try:
            parts, endpoint = urlsplit(url), urlsplit(self._client.meta.endpoint_url)
        except ValueError:
            return None
        if parts.hostname == endpoint.hostname and parts.port == endpoint.port:
            bucket, _, key = parts.path.lstrip("/").partition("/")
            return (unquote(key) or None) if bucket == self.bucket else None
        if parts.hostname == f"{self.bucket}.{endpoint.hostname}":
            return unquote(parts.path.lstrip("/")) or None
        return None

    def read_to(self, key: str, dest: Path) -> None:
        partial = dest.with_name(dest.name + ".part")
        self._client.download_file(self.bucket, check_key(key), str(partial))
        partial.replace(dest)

    def _delete_batch(self, objects: list[dict[str, str]]) -> None:
        response = self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        if response.get("Errors"):
            raise ApexError(f"could not delete {len(response['Errors'])} objects from bucket {self.bucket}")
