"""The studio's files at `/` and security headers on every response."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apexlocal.api import webui
from apexlocal.api.security import content_security_policy

ROOT = Path(__file__).resolve().parents[2]
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


def directives(policy: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/dashboard",
        "/jobs",
        "/api/usage",
        "/nope",
        "/assets/js/main.js",
        "/auth/me",
        "/healthz",
        "/schema/openapi.json",
    ],
)
def test_security_headers_on_every_response(app_client, path):
    r = app_client.get(path)
    policy = directives(r.headers["content-security-policy"])
    assert {k: policy.get(k) for k in STRICT} == STRICT
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


def test_the_schema_viewers_keep_framing_refused(app_client):
    r = app_client.get("/schema/swagger")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_bucket_storage_origins_may_load_media(settings):
    s3 = settings.replace(storage_backend="s3", s3_public_base_url="https://cdn.example.com/media")
    policy = directives(content_security_policy(s3))
    for name in ("img-src", "media-src", "connect-src"):
        assert "https://cdn.example.com" in policy[name]
    assert policy["script-src"] == "'self'"


@pytest.mark.parametrize("page", ["/", *[f"/{p}" for p in webui.PAGES]])
def test_every_page_answers_the_app_document(app_client, page):
    r = app_client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/assets/js/main.js"></script>' in r.text
    assert r.headers["cache-control"] == "no-cache" and r.headers["etag"]
    assert app_client.get(page, headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_assets_have_their_types_and_nothing_else_is_served(app_client):
    types = {
        "/assets/js/main.js": "text/javascript",
        "/assets/css/base.css": "text/css",
        "/assets/favicon.svg": "image/svg+xml",
    }
    for path, media in types.items():
        r = app_client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), path
    for path in ("/assets/js/../../index.html", "/assets/%2e%2e/index.html", "/assets/js/nope.js", "/assets/"):
        r = app_client.get(path)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", path
    assert app_client.post("/dashboard").status_code == 405


def test_the_ui_has_no_inline_script_or_style_and_no_third_party_code():
    files = [p for p in (ROOT / "webui").rglob("*") if p.is_file()]
    html = (ROOT / "webui" / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert " style=" not in html and "<style" not in html
    assert re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html) == []
    for path in files:
        text = path.read_text(errors="ignore")
        # Every module is this repository's own: nothing is imported from elsewhere.
        assert re.findall(r"""(?:from|import\()\s*["'](?!\.{1,2}/)""", text) == [], path
        assert ".innerHTML" not in text and "setAttribute('style'" not in text, path
    js = [p for p in files if p.suffix == ".js"]
    assert js and all(len(p.read_text().splitlines()) < 400 for p in js)


def test_webui_is_found_beside_the_package_and_shipped_as_package_data():
    assert webui.webui_dir() == ROOT / "webui"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"../webui/**/*"' in pyproject
