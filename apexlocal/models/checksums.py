"""Checking model files against their digests.

A file in the Hugging Face cache is a link to a blob named by its etag: the sha256 of an LFS file, or
the git blob id of a small one. The content must hash to that name, or to the digest the manifest or
the hub's listing gives, which is checked first. The library only checks a download's size, so this is
what catches bytes that are the right length but not the file. Package files are checked against the
sha256 their wheel's RECORD gives.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
GIT_OID_RE = re.compile(r"^[0-9a-f]{40}$")
CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def git_oid_file(path: Path) -> str:
    from huggingface_hub.utils.sha import git_hash

    return git_hash(path.read_bytes())  # only small (non-LFS) files carry a git blob id


def check_file(path: Path, rel: str, size: int, sha256: str) -> list[str]:
    """Problems with a file on disk against its size and sha256 (0 or empty: not checked)."""
    if not path.is_file():
        return [f"{rel}: missing"]
    actual = path.stat().st_size
    if size and actual != size:
        return [f"{rel}: size {actual}, expected {size}"]
    if sha256 and (got := sha256_file(path)) != sha256:
        return [f"{rel}: sha256 {got}, expected {sha256}"]
    return []


def check_cached(snapshot: Path, rel: str, size: int, sha256: str = "", git_oid: str = "") -> list[str]:
    """Problems with one file of a cached snapshot; digests not given come from the blob's name."""
    pointer = snapshot / rel
    if not pointer.is_file():
        return [f"{rel}: missing"]
    etag = pointer.resolve().name if pointer.is_symlink() else ""  # a copy, where links are unsupported
    if not (sha256 or git_oid):
        sha256 = etag if SHA256_RE.match(etag) else ""
        git_oid = etag if GIT_OID_RE.match(etag) else ""
    problems = check_file(pointer, rel, size, sha256)
    if problems or sha256 or not git_oid:
        return problems
    if (got := git_oid_file(pointer)) != git_oid:
        return [f"{rel}: git blob id {got}, expected {git_oid}"]
    return []


def delete_cached(snapshot: Path, rel: str) -> None:
    """Remove a file from the snapshot and its blob, so that the next pull downloads it again."""
    pointer = snapshot / rel
    blob = pointer.resolve()
    for path in (pointer, blob):
        path.unlink(missing_ok=True)
