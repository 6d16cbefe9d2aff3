"""Where outputs and uploads are kept: a local directory or an S3-compatible bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apexlocal.storage.base import Storage

if TYPE_CHECKING:
    from apexlocal.settings import Settings

__all__ = ["Storage", "make_storage"]


def make_storage(settings: Settings, secret: bytes) -> Storage:
    """The backend that `settings.storage_backend` names. `secret` signs the local backend's URLs."""
    if settings.storage_backend == "s3":
        from apexlocal.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    from apexlocal.storage.local import LocalStorage

    return LocalStorage(settings.storage_dir, secret)
