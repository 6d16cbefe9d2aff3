"""The Hugging Face hub and its cache, as a pull uses them, through huggingface_hub.

The repo is listed at the pinned commit (from the listing an earlier `snapshot_download` left in the
cache when there is one, else from the hub), and each selected file is fetched with `hf_hub_download`
into the standard cache layout (`models--org--name/blobs` and `snapshots/<commit>`). The library does
the downloading: a temporary file per download, a dropped connection resumed with a Range request, the
size the hub announced checked, the blob (named by its etag: the LFS sha256, or the git blob id of a
small file) renamed into place under a per-file lock. A file already in the cache, whoever downloaded
it (apexlocal, diffusers, ComfyUI, `hf download`), is not fetched again.

huggingface_hub is imported inside functions: `apexlocal --help` and the API process stay light.
Its telemetry is turned off before the first call: in huggingface_hub 2.x building the User-Agent
fetches a registry from huggingface.co itself, whatever `hf_endpoint` says, and a pull must talk to
`hf_endpoint` only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.errors import ApexError, ModelError
from apexlocal.models.manifest import ModelEntry
from apexlocal.settings import Settings

# (bytes of this file done, its size or 0 when unknown, the file's path in the repo)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RemoteFile:
    """One file of the repo at the pinned commit, as the hub lists it."""

    path: str
    size: int
    sha256: str = ""  # LFS files: the sha256 the hub records for them
    git_oid: str = ""  # other (small) files: their git blob id


def cache_dir(settings: Settings) -> Path:
    """The Hugging Face cache that full-set models live in."""
    if settings.hf_cache_dir is not None:
        return settings.hf_cache_dir
    # The library's own answer: HF_HUB_CACHE, else HF_HOME/hub, as every Hugging Face tool reads it.
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def repo_dir(cache: Path, repo: str) -> Path:
    return cache / ("models--" + repo.replace("/", "--"))


def snapshot_dir(cache: Path, repo: str, commit: str) -> Path:
    return repo_dir(cache, repo) / "snapshots" / commit


class Hub:
    """One model's repo, at its pinned commit, on the hub and in the cache."""

    def __init__(self, settings: Settings, entry: ModelEntry) -> None:
        _only_the_endpoint()
        self.entry = entry
        self.repo = entry.source.repo
        self.commit = entry.source.revision
        self.cache = cache_dir(settings)
        self.endpoint = settings.hf_endpoint.rstrip("/")
        self.token = settings.hf_token or None  # None: the token huggingface_hub finds itself

    @property
    def snapshot(self) -> Path:
        return snapshot_dir(self.cache, self.repo, self.commit)

    def listing(self) -> dict[str, RemoteFile]:
        """Every file of the repo at the commit, with its size and (LFS files) sha256."""
        from huggingface_hub import HfApi, RepoFile, get_cached_repo_tree
        from huggingface_hub.errors import CachedRepoTreeNotFoundError

        with self._errors():
            try:  # a listing at a commit never changes, so a cached one saves asking the hub
                items: Any = get_cached_repo_tree(self.repo, revision=self.commit, cache_dir=self.cache)
            except CachedRepoTreeNotFoundError:
                api = HfApi(endpoint=self.endpoint, token=self.token)
                items = api.list_repo_tree(self.repo, revision=self.commit, recursive=True)
            return {
                f.path: RemoteFile(f.path, int(f.size or 0), f.lfs.sha256 if f.lfs else "", "" if f.lfs else f.blob_id)
                for f in items
                if isinstance(f, RepoFile)
            }

    def fetch(self, path: str, progress: Progress | None = None) -> Path:
        """The file in the cache, downloaded first unless it is there already."""
        from huggingface_hub import hf_hub_download

        with self._errors(path):
            return Path(
                hf_hub_download(
                    self.repo,
                    path,
                    revision=self.commit,
                    cache_dir=self.cache,
                    endpoint=self.endpoint,
                    token=self.token,
                    tqdm_class=_file_progress(path, progress) if progress else None,
                )
            )

    def model_index(self, progress: Progress | None = None) -> dict[str, Any]:
        """The pipeline's model_index.json (fetched into the cache first)."""
        path = self.fetch("model_index.json", progress)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"{self.entry.id}: model_index.json of {self.repo} is unreadable ({exc}); "
                f"run `apexlocal models pull {self.entry.id}` again"
            ) from None
        if not isinstance(data, dict):
            raise ModelError(f"{self.entry.id}: model_index.json of {self.repo} is not a JSON object")
        return data

    def _errors(self, path: str = "") -> contextlib.AbstractContextManager[None]:
        return _translated(self.entry, self.endpoint, path)


def delete_revision(cache: Path, repo: str, commit: str) -> int:
    """Remove the commit's snapshot and the blobs no other revision uses; the bytes freed."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    if not repo_dir(cache, repo).is_dir():
        return 0
    try:
        info = scan_cache_dir(cache)
    except CacheNotFound:
        return 0
    cached = next((r for r in info.repos if r.repo_type == "model" and r.repo_id == repo), None)
    if cached is None or commit not in {v.commit_hash for v in cached.revisions}:
        return 0
    # The library looks the commit up in every repo; only this one's may go.
    strategy = dataclasses.replace(info, repos=frozenset({cached})).delete_revisions(commit)
    strategy.execute()
    return int(strategy.expected_freed_size)


def _only_the_endpoint() -> None:
    from huggingface_hub import constants

    constants.HF_HUB_DISABLE_TELEMETRY = True  # read at each request, not only at import


# Progress ---------------------------------------------------------------------------------------------


def _file_progress(path: str, progress: Progress) -> type:
    """A tqdm class for one file's download that feeds `progress` instead of drawing a bar.

    It defines `update_transfer`, which tells huggingface_hub to send the network and the disk bytes
    of a Xet download to one bar: `update` then always counts the file's own bytes."""
    from tqdm import tqdm

    class FileProgress(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.done = int(kwargs.get("initial") or 0)
            progress(self.done, int(self.total or 0), path)

        def update(self, n: float | None = 1) -> bool | None:
            self.done += int(n or 0)  # negative when a server ignored a Range and the file restarts
            progress(self.done, int(self.total or 0), path)
            return None

        def update_transfer(self, n: float | None = 1) -> None:
            pass  # network bytes of a Xet download; `update` reports the file's bytes

        def set_transfer_postfix_str(self, *args: Any, **kwargs: Any) -> None:
            pass

    return FileProgress


# Errors -----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _translated(entry: ModelEntry, endpoint: str, path: str) -> Iterator[None]:
    """huggingface_hub's exceptions, as a ModelError that says what to do."""
    try:
        yield
    except ApexError:
        raise  # ours, a cancelled job among them
    except Exception as exc:
        raise model_error(entry, endpoint, exc, path) from exc


def model_error(entry: ModelEntry, endpoint: str, exc: Exception, path: str = "") -> ModelError:
    from huggingface_hub import errors

    model, repo, again = entry.id, entry.source.repo, f"`apexlocal models pull {entry.id}`"
    what = f"{path} of {repo}" if path else repo
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, errors.GatedRepoError) or status == 403:
        return ModelError(
            f"{model}: {repo} refused access: it is gated; accept its terms at "
            f"https://huggingface.co/{repo} and set APEXLOCAL_HF_TOKEN to a token of that "
            f"account, then run {again}"
        )
    if isinstance(exc, errors.RepositoryNotFoundError):
        return ModelError(
            f"{model}: {endpoint} has no repo {repo}, or it needs a token (status {status}); "
            f"check models_manifest.toml or set APEXLOCAL_HF_TOKEN, then run {again}"
        )
    if isinstance(exc, errors.RevisionNotFoundError):
        return ModelError(
            f"{model}: {repo} has no commit {entry.source.revision}; fix the revision in "
            f"models_manifest.toml, then run {again}"
        )
    if isinstance(exc, errors.RemoteEntryNotFoundError):
        return ModelError(
            f"{model}: {repo} has no file {path} at {entry.source.revision}; fix models_manifest.toml, then run {again}"
        )
    if isinstance(exc, errors.HfHubHTTPError) and status is not None:
        return ModelError(f"{model}: {endpoint} answered {status} for {what}; run {again} to try again")
    if _is_unreachable(exc):
        return ModelError(
            f"{model}: cannot reach {endpoint} ({type(exc).__name__}); check the network or "
            f"set APEXLOCAL_HF_ENDPOINT to a mirror, then run {again}"
        )
    # The first line only: the library's further advice (force_download=True) is not for our users.
    reason = (str(exc).strip().splitlines() or [""])[0]
    return ModelError(
        f"{model}: downloading {what} failed ({type(exc).__name__}: {reason}); files "
        f"finished so far are kept, run {again} to continue"
    )


def _is_unreachable(exc: Exception) -> bool:
    import httpx2
    from huggingface_hub import errors

    unreachable = (httpx2.TransportError, errors.OfflineModeIsEnabled, errors.LocalEntryNotFoundError)
    return isinstance(exc, unreachable)
