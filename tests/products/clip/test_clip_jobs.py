"""Clip jobs end to end with the tiny set, through one real `apexlocal serve`: a video made in the
test (real Piper speech on one topic, a moving face) uploaded and clipped, judged by the
writer through its OpenAI-compatible endpoint setting (a stand-in server here that answers under
the schema it is sent, so the writer's part is seen in the score, title and reasons); a threshold
nothing passes completes with zero clips, says so and keeps the credits; the bad requests are
400s naming the field, before anything is charged."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests import loopback
from tests.conftest import ServerProcess
from tests.e2e.helpers import wait_job
from tests.engines.clip.source_video import SourceVideo, make_source
from tests.products.live import api, tiny_server, upload

pytestmark = pytest.mark.e2e

COST = 30
ANSWER = {"score": 9, "hook": "Why is the sea salty?", "title": "The salty sea", "reasons": ["Clear and curious"]}


class _Writer(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Writer.seen.append(body)
        event = {"choices": [{"delta": {"content": json.dumps(ANSWER)}, "finish_reason": "stop"}]}
        data = f"data: {json.dumps(event)}\n\ndata: [DONE]\n\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def writer_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Writer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, writer_url: str) -> Iterator[ServerProcess]:
    extra = {"APEXLOCAL_WRITER_BASE_URL": writer_url, "APEXLOCAL_WRITER_MODEL": "judge-stand-in"}
    with tiny_server(tmp_path_factory, models_dir, "clip-e2e", env_extra=extra) as srv:
        yield srv


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> SourceVideo:
    return make_source(tmp_path_factory.mktemp("clip-e2e-src") / "talk.mp4", topics=1)


@pytest.fixture(scope="module")
def jobs(server: ServerProcess, talk: SourceVideo) -> dict[str, dict[str, Any]]:
    with api(server) as client:
        url = upload(client, "video", "talk.mp4", talk.path.read_bytes(), "video/mp4")
        bodies = {
            "clip": {"sourceVideoUrl": url, "maxClips": 1, "minDuration": 5, "maxDuration": 14, "model": "tiny.en"},
            "none": {
                "sourceVideoUrl": url,
                "viralScoreThreshold": 10,
                "minDuration": 5,
                "maxDuration": 14,
                "model": "tiny.en",
            },
        }
        ids = {}
        for name, body in bodies.items():
            r = client.post("/api/generate/clip", json=body)
            assert r.status_code == 202, r.text
            assert r.json()["data"]["creditsCharged"] == COST
            ids[name] = r.json()["data"]["jobId"]
    return {name: wait_job(server.url, server.owner_key, job_id, timeout=600) for name, job_id in ids.items()}


def test_a_clip_judged_by_the_writer(server: ServerProcess, jobs: dict[str, dict[str, Any]]) -> None:
    job = jobs["clip"]
    assert job["status"] == "completed", job
    meta = job["metadata"]
    assert meta["clipCount"] == 1 and len(meta["viralScores"]) == 1 and meta["scoring"] == "features+writer"
    assert meta["writerModel"] == "judge-stand-in" and meta["speechModel"] == "whisper-tiny-en"
    [clip] = meta["clips"]
    assert clip["title"] == ANSWER["title"] and clip["hook"] == ANSWER["hook"]
    assert "Writer: Clear and curious" in clip["reasons"] and 5 <= clip["end"] - clip["start"] <= 14
    # A clip with no captions was chosen from scenes, not speech: the metadata says what was heard.
    assert [o["type"] for o in job["outputs"]] == ["video/mp4", "text/vtt", "application/json"], meta
    assert job["outputType"] == "video/mp4" and job["outputUrl"] == job["outputs"][0]["url"]
    with loopback.client(timeout=30) as client:
        summary = client.get(job["outputs"][2]["url"]).json()
        vtt = client.get(job["outputs"][1]["url"]).text
        head = client.get(job["outputs"][0]["url"], headers={"Range": "bytes=0-63"}).content
    assert summary["clipCount"] == 1 and summary["clips"][0]["transcript"]
    assert vtt.startswith("WEBVTT") and b"ftyp" in head
    sent = _Writer.seen[0]
    assert sent["response_format"]["type"] == "json_schema" and sent["model"] == "judge-stand-in"
    assert "Transcript:" in sent["messages"][-1]["content"]


def test_no_clip_passing_the_threshold_completes_with_none_and_keeps_the_credits(
    jobs: dict[str, dict[str, Any]],
) -> None:
    job = jobs["none"]
    assert job["status"] == "completed", job
    assert job["metadata"]["clipCount"] == 0 and job["metadata"]["viralScores"] == []
    assert "No clip scored at least 10" in job["metadata"]["message"]
    assert [o["type"] for o in job["outputs"]] == ["application/json"]
    assert job["creditsCharged"] == COST and not job.get("creditsRefunded")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"minDuration": 30, "maxDuration": 20}, "minDuration: must be at most maxDuration"),
        ({"minDuration": 90}, "minDuration: must be at most maxDuration (90 s > 60 s"),
        ({"maxClips": 21}, "maxClips"),
        ({"maxClips": 0}, "maxClips"),
        ({"aspectRatio": "4:3"}, "aspectRatio"),
        ({"viralScoreThreshold": 11}, "viralScoreThreshold"),
        ({"minDuration": 1}, "minDuration"),
        ({"sourceVideoUrl": None}, "sourceVideoUrl"),
        ({"sourceVideoUrl": "ftp://example.com/a.mp4"}, "sourceVideoUrl"),
    ],
)
def test_bad_requests_are_refused_before_any_charge(server: ServerProcess, body: dict[str, Any], message: str) -> None:
    full = {"sourceVideoUrl": "https://videos.example.com/talk.mp4", **body}
    full = {k: v for k, v in full.items() if v is not None}
    with api(server) as client:
        before = client.get("/api/usage").json()["data"]["credits"]
        r = client.post("/api/generate/clip", json=full)
        assert r.status_code == 400, r.text
        assert message in r.json()["error"], r.text
        assert client.get("/api/usage").json()["data"]["credits"] == before
