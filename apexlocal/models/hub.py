"""The Hugging Face hub, as a model pull talks to it.

Resolves a branch or tag to a commit, lists a repo's files at that commit (page by page), and
downloads one file with HTTP Range requests so an interrupted download resumes where it stopped.
Redirects are followed by hand so the token only ever goes to `hf_endpoint`. Each download is hashed
as it arrives: sha256 always, and the git blob sha1 when that is the only digest the hub has for it
(small, non-LFS files).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry
from apexlocal.settings import Settings

CHUNK = 1 << 20
MAX_REDIRECTS = 5
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")

# (bytes of this file done, its total size or 0 when unknown, the file's path in the repo)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its expected size and digests (empty when the hub gave none)."""

    path: str
    size: int | None = None  # None: unknown
    sha256: str = ""
    git_oid: str = ""  # the git blob sha1 of a small (non-LFS) file, from the hub's tree listing


class RetryableError(Exception):
    """A download attempt failed in a way that another attempt may fix."""


@contextlib.contextmanager
def open_client(client: httpx.Client | None = None) -> Iterator[httpx.Client]:
    """`client` as given (tests pass one), or a fresh one that leaves redirects to `Hub`."""
    if client is not None:
        yield client
        return
    timeout = httpx.Timeout(60.0, connect=20.0)
    # follow_redirects=False: httpx would carry the Authorization header to the CDN.
    with httpx.Client(timeout=timeout, follow_redirects=False,
                      headers={"User-Agent": "apexlocal"}) as fresh:
        yield fresh


class Hub:
    """The Hugging Face hub API calls a pull makes, for one model."""

    def __init__(self, client: httpx.Client, settings: Settings, entry: ModelEntry) -> None:
        self.client = client
        self.endpoint = settings.hf_endpoint.rstrip("/")
        self.token = settings.hf_token
        self.entry = entry
        self.repo = entry.source.repo

    def resolve_revision(self) -> str:
        """A full commit hash: the manifest's pin, or what a branch or tag points at now."""
        revision = self.entry.source.revision or "main"
        if is_commit(revision):
            return revision
        data = self._json(f"{self.endpoint}/api/models/{self.repo}/revision/{quote(revision, safe='')}")
        sha = data.get("sha", "") if isinstance(data, dict) else ""
        if not is_commit(sha):
            raise ModelError(f"{self.entry.id}: the hub gave no commit for {self.repo}@{revision}; "
                             f"run `apexlocal models pull {self.entry.id}` again later")
        return sha

    def plan(self, revision: str) -> list[RemoteFile]:
        """The files to fetch at `revision`, with the sizes and digests to check them against."""
        listed = self.entry.source.files
        if listed and all(f.sha256 and f.size for f in listed):
            return [RemoteFile(safe_path(f.path), f.size, f.sha256.lower()) for f in listed]
        # Sizes and digests the manifest leaves out come from the hub's listing at that commit.
        tree = {item["path"]: item for item in self._tree(revision)}
        if not listed:
            return [_from_tree(item) for item in tree.values()]
        plan = []
        for f in listed:
            item = tree.get(f.path)
            if item is None:
                raise ModelError(f"{self.entry.id}: the manifest lists {f.path}, which {self.repo} does "
                                 f"not have at {revision}; fix models_manifest.toml, then run "
                                 f"`apexlocal models pull {self.entry.id}`")
            remote = _from_tree(item)
            # A manifest sha256 beats the hub's git blob id: only one digest is checked.
            plan.append(RemoteFile(remote.path, f.size or remote.size, f.sha256.lower() or remote.sha256,
                                   "" if f.sha256 else remote.git_oid))
        return plan

    def download(self, revision: str, remote: RemoteFile, part: Path, progress: Progress | None) -> Digest:
        """One attempt: fetch what `part` lacks. Returns the digest of the whole file."""
        offset = _resume_offset(part, remote)
        if remote.size is not None and offset == remote.size and offset:
            return Digest.of_file(part, git_size(remote))
        url = f"{self.endpoint}/{self.repo}/resolve/{revision}/{quote(remote.path, safe='/')}"
        # Identity encoding and raw reads: the bytes on disk must be the file's bytes, and every
        # byte that arrived before a dropped connection is kept for the next Range request.
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with self._stream(url, headers) as response:
            digest, mode = self._start(response, part, offset, remote)
            with open(part, mode) as out:
                done = _receive(response, out, digest, offset if mode == "ab" else 0, remote, progress)
        if remote.size is not None and done != remote.size:
            if done > remote.size:
                part.unlink(missing_ok=True)  # more than the file holds: nothing in it can be trusted
            raise RetryableError(f"got {done} of {remote.size} bytes of {remote.path}")
        return digest

    def _start(self, response: httpx.Response, part: Path, offset: int,
               remote: RemoteFile) -> tuple[Digest, str]:
        """Decide, from the status, whether the body continues `part` or replaces it."""
        status = response.status_code
        if status == 206 and offset:
            start = _content_range_start(response.headers.get("content-range", ""))
            if start != offset:
                part.unlink(missing_ok=True)
                raise RetryableError(f"the server resumed {remote.path} at byte {start}, not {offset}")
            return Digest.of_file(part, git_size(remote)), "ab"
        if status == 200 or (status == 206 and not offset):
            # A server that ignores Range sends the whole file again: start over.
            return Digest(git_size(remote)), "wb"
        if status == 416:
            part.unlink(missing_ok=True)
            raise RetryableError(f"the server refused to resume {remote.path} at byte {offset}")
        self._raise_for(response, remote.path)
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def _stream(self, url: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
        # Redirects are followed here, not by httpx, so the token goes to hf_endpoint and nowhere else
        # (the hub sends LFS files from a CDN, which must not see it).
        for _ in range(MAX_REDIRECTS + 1):
            with self.client.stream("GET", url, headers=self._headers(url, headers)) as response:
                location = response.headers.get("location")
                if response.is_redirect and location:
                    url = urljoin(url, location)
                    continue
                yield response
                return
        raise ModelError(f"{self.entry.id}: too many redirects fetching {url}")

    def _tree(self, revision: str) -> list[dict[str, Any]]:
        url: str | None = f"{self.endpoint}/api/models/{self.repo}/tree/{revision}?recursive=true"
        items: list[dict[str, Any]] = []
        while url:
            response = self._get(url)
            page = response.json()
            if not isinstance(page, list):
                raise ModelError(f"{self.entry.id}: unexpected answer from {url}")
            items += [i for i in page if isinstance(i, dict) and i.get("type") == "file"]
            url = response.links.get("next", {}).get("url")  # the hub pages long listings
        return items

    def _json(self, url: str) -> Any:
        return self._get(url).json()

    def _get(self, url: str) -> httpx.Response:
        try:
            with self._stream(url, {}) as response:
                if response.status_code != 200:
                    self._raise_for(response, url)
                response.read()
                return response
        except RetryableError as exc:
            # API calls are not retried: only file downloads have progress worth a retry loop.
            raise ModelError(f"{self.entry.id}: {exc}; run `apexlocal models pull {self.entry.id}` "
                             f"again later") from None
        except httpx.TransportError as exc:
            raise ModelError(f"{self.entry.id}: cannot reach {self.endpoint} ({exc}); check the network "
                             f"or set APEXLOCAL_HF_ENDPOINT to a mirror, then run "
                             f"`apexlocal models pull {self.entry.id}`") from None

    def _headers(self, url: str, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.token and _same_origin(url, self.endpoint):
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _raise_for(self, response: httpx.Response, what: str) -> None:
        status, model = response.status_code, self.entry.id
        if status in (401, 403):
            raise ModelError(
                f"{model}: {self.repo} refused access ({status}): it may be gated; accept its terms at "
                f"https://huggingface.co/{self.repo} and set APEXLOCAL_HF_TOKEN to a token of that "
                f"account, then run `apexlocal models pull {model}`")
        if status == 404:
            raise ModelError(f"{model}: {what} was not found on {self.endpoint} (status 404); check the "
                             f"repo and revision in models_manifest.toml, then run "
                             f"`apexlocal models pull {model}`")
        if status == 429 or status >= 500:
            raise RetryableError(f"{self.endpoint} answered {status} for {what}")
        raise ModelError(f"{model}: {self.endpoint} answered {status} for {what}; run "
                         f"`apexlocal models pull {model}` to try again")


def _resume_offset(part: Path, remote: RemoteFile) -> int:
    """Where the download picks up: the bytes already in `part`, unless it is longer than the file."""
    offset = part.stat().st_size if part.exists() else 0
    if remote.size is not None and offset > remote.size:
        part.unlink()
        offset = 0
    return offset


def _receive(response: httpx.Response, out: IO[bytes], digest: Digest, done: int, remote: RemoteFile,
             progress: Progress | None) -> int:
    """Write the body to `out`, hashing it and reporting about every CHUNK; return the bytes done."""
    reported = done
    total = remote.size or 0
    if progress:
        progress(done, total, remote.path)
    for chunk in response.iter_raw():
        out.write(chunk)
        digest.update(chunk)
        done += len(chunk)
        if progress and (done - reported >= CHUNK or done == total):
            reported = done
            progress(done, total, remote.path)
    if progress and done != reported:
        progress(done, total, remote.path)
    return done


# Hashing -------------------------------------------------------------------------------------------


class Digest:
    """sha256 of a file, and its git blob sha1 when given the size (which that hash starts with)."""

    def __init__(self, size: int | None) -> None:
        self.sha256 = hashlib.sha256()
        self._git = hashlib.sha1(b"blob %d\0" % size) if size is not None else None

    @classmethod
    def of_file(cls, path: Path, size: int | None) -> Digest:
        digest = cls(size)
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        if self._git is not None:
            self._git.update(chunk)

    def git_hex(self) -> str:
        return self._git.hexdigest() if self._git is not None else ""


def sha256_file(path: Path) -> str:
    return Digest.of_file(path, None).sha256.hexdigest()


def git_oid_file(path: Path) -> str:
    """The git blob sha1 of the file as it is on disk."""
    return Digest.of_file(path, path.stat().st_size).git_hex()


def needs_git(remote: RemoteFile) -> bool:
    """Whether the git blob id is the only digest to check `remote` against."""
    return not remote.sha256 and bool(remote.git_oid)


def git_size(remote: RemoteFile) -> int | None:
    """The size to seed a git blob hash with, or None when no git hash is wanted."""
    return remote.size if needs_git(remote) else None


def digest_ok(remote: RemoteFile, sha256: str, git_oid: str) -> bool:
    if remote.sha256:
        return sha256 == remote.sha256
    if remote.git_oid:
        return git_oid == remote.git_oid
    return True  # the hub gave no digest to compare with; the marker records what arrived


def check_file(path: Path, rel: str, size: int, sha256: str) -> list[str]:
    """Problems with a file on disk against its recorded size and sha256 (empty or 0: not checked)."""
    if not path.is_file():
        return [f"{rel}: missing"]
    actual = path.stat().st_size
    if size and actual != size:
        return [f"{rel}: size {actual}, expected {size}"]
    if sha256 and (got := sha256_file(path)) != sha256:
        return [f"{rel}: sha256 {got}, expected {sha256}"]
    return []


# Small helpers ---------------------------------------------------------------------------------------


def is_commit(revision: str) -> bool:
    return bool(COMMIT_RE.match(revision))


def safe_path(path: str) -> str:
    """`path`, once sure it stays inside the model folder (the listing comes from the network)."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\\" in path:
        raise ModelError(f"refusing the file path {path!r}: it would land outside the model folder")
    return path


def _from_tree(item: dict[str, Any]) -> RemoteFile:
    # LFS files carry their sha256 in `lfs.oid`; for the others `oid` is the git blob sha1.
    lfs = item.get("lfs") or {}
    size = int(item.get("size", lfs.get("size", 0)))
    sha256 = str(lfs.get("oid") or "").lower()
    git_oid = "" if lfs else str(item.get("oid") or "").lower()
    return RemoteFile(safe_path(str(item["path"])), size, sha256, git_oid)


def _content_range_start(value: str) -> int:
    match = re.match(r"bytes\s+(\d+)-", value.strip())
    return int(match.group(1)) if match else -1


def _same_origin(url: str, base: str) -> bool:
    def origin(u: str) -> tuple[str, str, int]:
        parts = urlsplit(u)
        return parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)

    return origin(url) == origin(base)
