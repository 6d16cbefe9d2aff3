"""A property-based run of the OpenAPI document (schemathesis) against a real server on loopback,
with an admin's API key: every answer must conform to the document (status code, content type,
headers, body schema, SSE events), no request may cause a 500, invalid requests must be refused,
and `Allow` must list what a path answers.

Left out of the run, with why:
- POST /api/generate/voice-clone, POST /v1/audio/speech, POST /v1/chat/completions,
  GET /api/voices/{voice_id}/preview: they run a model while the request waits (transcription,
  speech, writing); their own tests cover them.
- POST /api/voice-agent/calls/outbound: with no SIP trunk configured here it answers 503 naming the
  setting, by design, and the run counts every 5xx as a server error; with a trunk it would dial.
  tests/products/voice_agent and tests/telephony cover its answers.
- GET /api/jobs/{job_id}/events: it streams until the job ends, and no job runs here (no gpu
  worker), so every stream would last the request timeout.
- GET/DELETE /api/models/{model_id} and POST .../pull: they read, delete or fetch model files, the
  shared tiny models among them.
- the `positive_data_acceptance` check: it expects a 2xx for any body the schema allows, and the
  rules no schema can state (a model that exists, a configured plan, a webhook URL that resolves
  outside private networks, a balance that stays positive) refuse most of those with a 400.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from apexlocal.accounts.api_keys import create_key
from apexlocal.accounts.users import create_user
from tests.api.live_server import LiveServer
from tests.conftest import make_settings

EXCLUDED_PATHS = [
    "/api/generate/voice-clone",
    "/v1/audio/speech",
    "/v1/chat/completions",
    "/api/voices/{voice_id}/preview",
    "/api/jobs/{job_id}/events",
    "/api/voice-agent/calls/outbound",
]
EXCLUDED_PATH_REGEX = r"^/api/models/\{model_id\}(/pull)?$"
EXAMPLES = 8  # per operation and phase: about 20 s on two cores
UNLIMITED = "read=1000000/10,generation=1000000/10,upload=1000000/10,delete=1000000/10"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[LiveServer, str]]:
    from apexlocal.app import create_app

    root = tmp_path_factory.mktemp("schema-run")
    # Its own empty models dir: nothing here may touch the shared tiny models. One io worker (so the
    # server is ready), no gpu worker: the jobs the run creates stay queued.
    settings = make_settings(
        root / "data", root / "models", rate_limits=UNLIMITED, gpu_workers=0, io_workers=1, clone_workers=0
    )
    app = create_app(settings)
    db = app.state.services.db
    admin = create_user(db, "admin@example.com", "enterprise", settings.plans, 1_000_000, is_admin=True)
    with LiveServer(app) as server:
        yield server, create_key(db, admin.id, "schemathesis").key


def test_the_server_answers_as_its_openapi_document_says(served: Any, tmp_path):
    server, key = served
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.url}/schema/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--header",
        f"Authorization: Bearer {key}",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "1",
        "--request-timeout",
        "20",
        "--workers",
        "1",
        "--exclude-path-regex",
        EXCLUDED_PATH_REGEX,
        "--warnings",
        "off",
        *[arg for path in EXCLUDED_PATHS for arg in ("--exclude-path", path)],
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-12_000:] + run.stderr[-2_000:]
