"""A Hugging Face hub on loopback, for the model store's tests.

It serves, from files held in memory, the routes huggingface_hub uses to pull a model:

- `GET /api/models/{repo}/revision/{rev}`: the commit a revision points at, with the repo's files
  (`siblings`);
- `GET /api/models/{repo}/tree/{rev}?recursive=...`: the listing at a commit, paged through `Link`
  headers as the hub pages long listings;
- `HEAD` and `GET /{repo}/resolve/{rev}/{path}`: the file, with `X-Repo-Commit`, `ETag` (the git
  blob id), `Content-Length` and `Range` support; weights (`.safetensors`, `.bin`, `.pt`, `.pth`) are
  served as the hub serves LFS files, with `X-Linked-Etag` (their sha256) and `X-Linked-Size`.

Knobs make it misbehave the ways a network does: a body cut off halfway (once), bytes that are not
the file's (`serve_instead`), a gated repo. Every request is logged, so a test can count them.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx")


def git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_lfs(path: str) -> bool:
    return path.endswith(LFS_SUFFIXES)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # unquoted URL path, without the query
    headers: dict[str, str]  # names in lower case


@dataclass
class FakeHub:
    repos: dict[str, dict[str, dict[str, bytes]]] = field(default_factory=dict)  # repo -> commit -> files
    branches: dict[str, dict[str, str]] = field(default_factory=dict)  # repo -> branch -> commit
    gated: dict[str, str] = field(default_factory=dict)  # repo -> the token it accepts
    drop_once: set[str] = field(default_factory=set)  # paths whose first GET body stops halfway
    serve_instead: dict[str, bytes] = field(default_factory=dict)  # path -> bytes sent as its body
    page_size: int = 0  # 0: the whole listing on one page
    log: list[Request] = field(default_factory=list)
    url: str = ""
    _dropped: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, repo: str, commit: str, files: dict[str, bytes], branch: str = "") -> None:
        self.repos.setdefault(repo, {})[commit] = dict(files)
        if branch:
            self.branches.setdefault(repo, {})[branch] = commit

    def commit_of(self, repo: str, revision: str) -> str | None:
        if revision in self.repos.get(repo, {}):
            return revision
        return self.branches.get(repo, {}).get(revision)

    def downloads(self, path: str = "") -> list[Request]:
        """GET requests for file bodies (of `path` when given)."""
        return [
            r
            for r in self.log
            if r.method == "GET" and "/resolve/" in r.path and (not path or r.path.endswith("/" + path))
        ]

    def tree(self, repo: str, commit: str) -> list[dict[str, Any]]:
        files = self.repos[repo][commit]
        folders = sorted({p.rsplit("/", 1)[0] for p in files if "/" in p})
        items: list[dict[str, Any]] = [{"type": "directory", "oid": "0" * 40, "size": 0, "path": d} for d in folders]
        for path, data in sorted(files.items()):
            item: dict[str, Any] = {"type": "file", "oid": git_oid(data), "size": len(data), "path": path}
            if is_lfs(path):
                item["lfs"] = {"oid": sha256(data), "size": len(data), "pointerSize": 134}
            items.append(item)
        return items


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_HEAD(self) -> None:
            self._route("HEAD")

        def do_GET(self) -> None:
            self._route("GET")

        def _route(self, method: str) -> None:
            url = urlsplit(self.path)
            path = unquote(url.path)
            with hub._lock:
                hub.log.append(Request(method, path, {k.lower(): v for k, v in self.headers.items()}))
            parts = path.strip("/").split("/")
            if parts[:2] == ["api", "models"] and len(parts) >= 6:
                self._api(parts[2:], parse_qs(url.query))
            elif len(parts) >= 5 and parts[2] == "resolve":
                self._resolve(method, "/".join(parts[:2]), parts[3], "/".join(parts[4:]))
            else:
                self._error(404, "RepoNotFound")

        def _api(self, parts: list[str], query: dict[str, list[str]]) -> None:
            repo, kind, revision = "/".join(parts[:2]), parts[2], parts[3]
            commit = self._commit(repo, revision)
            if commit is None:
                return
            if kind == "revision":
                files = sorted(hub.repos[repo][commit])
                self._json({"id": repo, "sha": commit, "siblings": [{"rfilename": f} for f in files]})
                return
            items = hub.tree(repo, commit)
            start = int(query.get("cursor", ["0"])[0])
            size = hub.page_size or len(items)
            headers = {}
            if start + size < len(items):
                headers["Link"] = (
                    f"<{hub.url}/api/models/{repo}/tree/{quote(revision, safe='')}"
                    f'?recursive=true&cursor={start + size}>; rel="next"'
                )
            self._json(items[start : start + size], headers)

        def _resolve(self, method: str, repo: str, revision: str, path: str) -> None:
            commit = self._commit(repo, revision)
            if commit is None:
                return
            data = hub.repos[repo][commit].get(path)
            if data is None:
                self._error(404, "EntryNotFound", {"X-Repo-Commit": commit})
                return
            headers = {"X-Repo-Commit": commit, "ETag": f'"{git_oid(data)}"', "Accept-Ranges": "bytes"}
            if is_lfs(path):
                headers.update(
                    {"ETag": f'"{sha256(data)}"', "X-Linked-Etag": f'"{sha256(data)}"', "X-Linked-Size": str(len(data))}
                )
            body = hub.serve_instead.get(path, data)
            if method == "HEAD":
                self._send(200, {**headers, "Content-Length": str(len(body))})
                return
            self._body(path, body, headers)

        def _body(self, path: str, body: bytes, headers: dict[str, str]) -> None:
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            start = int(match.group(1)) if match else 0
            if start:
                headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
            chunk = body[start:]
            self._send(206 if start else 200, {**headers, "Content-Length": str(len(chunk))})
            with hub._lock:
                drop = path in hub.drop_once and path not in hub._dropped
                if drop:
                    hub._dropped.add(path)
            if drop:  # half the body, then the connection is gone
                self.wfile.write(chunk[: len(chunk) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(chunk)

        def _commit(self, repo: str, revision: str) -> str | None:
            token = hub.gated.get(repo)
            if token and self.headers.get("Authorization") != f"Bearer {token}":
                self._error(401, "GatedRepo")
                return None
            if repo not in hub.repos:
                self._error(404, "RepoNotFound")
                return None
            commit = hub.commit_of(repo, revision)
            if commit is None:
                self._error(404, "RevisionNotFound")
            return commit

        def _json(self, data: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(data).encode()
            self._send(200, {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})})
            self.wfile.write(body)

        def _error(self, status: int, code: str, headers: dict[str, str] | None = None) -> None:
            body = json.dumps({"error": code}).encode()
            self._send(
                status,
                {
                    "X-Error-Code": code,
                    "Content-Type": "application/json",
                    "Content-Length": str(len(body)),
                    **(headers or {}),
                },
            )
            if self.command != "HEAD":
                self.wfile.write(body)

        def _send(self, status: int, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the dropped connection is on purpose


@contextmanager
def serve(hub: FakeHub) -> Iterator[FakeHub]:
    server = _QuietServer(("127.0.0.1", 0), _handler(hub))
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
