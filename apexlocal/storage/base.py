"""One storage interface for outputs and uploads, with a local and an S3/R2 backend."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    """Keys are relative POSIX paths like `outputs/<user>/<job>/output.png`."""

    def put_file(self, key: str, source: Path, content_type: str) -> int:
        """Store `source` under `key` atomically (no half-written object is ever visible).
        Returns the stored size in bytes."""
        ...

    def move_file(self, key: str, source: Path, content_type: str) -> int:
        """`put_file` for a file its caller is done with: moved instead of copied where the backend
        can (a rename on the same filesystem), deleted after the upload otherwise. Returns the size."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Remove every object whose key starts with `prefix`."""
        ...

    def exists(self, key: str) -> bool: ...

    def local_path(self, key: str) -> Path | None:
        """The file on local disk for `key`, or None where the backend is remote."""
        ...

    def signed_url(self, key: str, base_url: str, ttl_seconds: int) -> str:
        """A URL that fetches `key` until `ttl_seconds` from now, and only that key."""
        ...

    def key_for_url(self, url: str) -> str | None:
        """The key behind a URL this backend handed out (signed_url), or None for any other URL."""
        ...

    def read_to(self, key: str, dest: Path) -> None:
        """Copies the object at `key` to the local file `dest`."""
        ...
