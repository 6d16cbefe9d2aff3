"""The studio's files: `webui/index.html` at `/` and at each page of the single-page app, and
`webui/assets/` at `/assets/`.

Only files of known types are served, with their proper types (an ES module must be served as
JavaScript), an ETag and `no-cache` (a browser revalidates, so a new release shows at once).
"""

from __future__ import annotations

import hashlib
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from anyio import to_thread
from litestar import MediaType, Request, Response, get
from litestar.openapi import ResponseSpec
from litestar.params import FromPath

from apexlocal.api.openapi import errors
from apexlocal.errors import ConfigError, NotFound

# The pages of the app (webui/assets/js/router.js lists the same); each answers index.html.
PAGES = ("signin", "dashboard", "generate", "jobs", "keys", "settings", "voices", "brands", "agents", "models", "users")

TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}
NOT_MODIFIED = {304: ResponseSpec(None, description="Not modified: the If-None-Match ETag is current")}
ASSET = ResponseSpec(
    bytes,
    media_type="*/*",
    generate_examples=False,
    description="The file, typed by its suffix: " + ", ".join(sorted(set(TYPES.values()))),
)


def webui_candidates() -> list[Path]:
    """Where the studio may be: inside the one-file binary, beside the package (a checkout, or an
    installed wheel, whose package data puts it next to `apexlocal/`)."""
    here = Path(__file__).resolve()
    candidates = [here.parents[2] / "webui"]
    if hasattr(sys, "_MEIPASS"):  # the one-file binary unpacks data beside the code
        candidates.insert(0, Path(sys._MEIPASS) / "webui")
    candidates.append(here.parents[1] / "webui")
    return candidates


@lru_cache(maxsize=1)
def webui_dir() -> Path:
    for path in webui_candidates():
        if (path / "index.html").is_file():
            return path
    raise ConfigError("the web UI (webui/index.html) was not found beside the apexlocal package")


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _file_response(request: Request[Any, Any, Any], path: Path, media_type: str) -> Response[bytes]:
    data = path.read_bytes()
    etag = _etag(data)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(b"", status_code=304, headers=headers, media_type=media_type)
    return Response(data, headers=headers, media_type=media_type)


def _asset(relative: str) -> Path:
    root = (webui_dir() / "assets").resolve()
    parts = [p for p in relative.split("/") if p]
    if not parts or any(p.startswith(".") for p in parts):
        raise NotFound("Not found")
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root) or not target.is_file() or target.suffix not in TYPES:
        raise NotFound("Not found")
    return target


@get(
    ["/", *[f"/{page}" for page in PAGES]],
    summary="The studio (web UI)",
    tags=["web ui"],
    media_type=MediaType.HTML,
    responses={**NOT_MODIFIED, **errors(404)},
    description="The single-page studio; every page of it answers the same document.",
)
async def index(request: Request[Any, Any, Any]) -> Response[bytes]:
    # Async with the file read in a thread: Litestar wraps a sync handler once per path it is
    # registered at, and this one has a path per page.
    return await to_thread.run_sync(_index, request)


def _index(request: Request[Any, Any, Any]) -> Response[bytes]:
    try:
        path = webui_dir() / "index.html"
    except ConfigError:
        raise NotFound("The web UI is not installed with this server") from None
    return _file_response(request, path, TYPES[".html"])


@get(
    "/assets/{path:path}",
    summary="Web UI assets",
    tags=["web ui"],
    responses={**NOT_MODIFIED, 200: ASSET},
    sync_to_thread=True,
)
def asset(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[bytes]:
    try:
        target = _asset(path)
    except ConfigError:
        raise NotFound("Not found") from None
    return _file_response(request, target, TYPES[target.suffix])


routes = [index, asset]
