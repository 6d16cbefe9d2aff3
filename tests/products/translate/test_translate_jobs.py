"""Translate jobs end to end with the tiny set, through one real `apexlocal serve` process: a clip
made in the test (real English speech by the packaged Piper voice over skimage's astronaut)
uploaded through /api/upload/video and translated into Spanish; its MP4 and WebVTT read back
from their signed URLs; the stages seen over SSE; and the endings that must refund and leave
nothing behind: a video without speech, a 404 video URL, a cancel. Input URLs on loopback are
allowed here (`inputs_allow_private`) so that the 404 comes from a real HTTP server; the refusal
of loopback URLs is in test_translate_routes.py. The quality of the translation itself (heard as
Spanish, line timing) is measured in tests/engines/video_translate.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests import loopback
from tests.conftest import ServerProcess
from tests.e2e.helpers import ledger_balanced, wait_job
from tests.engines.video_translate.translate_clip import SourceClip, apertium, make_clip, parse_vtt
from tests.products.live import Stages, api, assert_stages, not_found_url, upload

pytestmark = pytest.mark.e2e

COST = 1800
TOLERANCE_S = 0.1
NO_SPEECH = "videoUrl: no speech was heard in the video, so there is nothing to translate"


@pytest.fixture(scope="module")
def missing_video_url() -> Iterator[str]:
    with not_found_url("talk.mp4") as url:
        yield url


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SourceClip]:
    folder = tmp_path_factory.mktemp("translate-inputs")
    return {"english": make_clip(folder / "english.mp4"), "quiet": make_clip(folder / "quiet.mp4", speech=False)}


@pytest.fixture(scope="module")
def submitted(server: ServerProcess, clips: dict[str, SourceClip], missing_video_url: str) -> dict[str, Any]:
    with api(server) as client:
        urls = {
            name: upload(client, "video", clip.path.name, clip.path.read_bytes(), "video/mp4")
            for name, clip in clips.items()
        }
        credits = client.get("/api/usage").json()["data"]["credits"]
        bodies = {
            "english": {"videoUrl": urls["english"], "outputLanguage": "es"},
            "quiet": {"videoUrl": urls["quiet"], "outputLanguage": "es"},
            "missing": {"videoUrl": missing_video_url, "outputLanguage": "es"},
        }
        ids, stages = {}, {}
        for name, body in bodies.items():
            r = client.post("/api/generate/translate", json=body)
            assert r.status_code == 202, r.text
            assert r.json()["data"]["creditsCharged"] == COST and r.json()["data"]["status"] == "queued"
            ids[name] = r.json()["data"]["jobId"]
            stages[name] = Stages(server, ids[name])
            stages[name].start()
    return {"ids": ids, "stages": stages, "urls": urls, "credits": credits}


def ended(server: ServerProcess, submitted: dict[str, Any], name: str) -> dict[str, Any]:
    job = wait_job(server.url, server.owner_key, submitted["ids"][name], timeout=900)
    submitted["stages"][name].join(30)
    return job


def assert_left_nothing(server: ServerProcess, job: dict[str, Any]) -> None:
    assert job["creditsRefunded"] == COST and job["outputUrl"] is None and job["outputs"] == []
    data = server.data_dir
    assert not (data / "scratch" / job["jobId"]).exists()
    assert not [p for p in (data / "files").rglob("*") if job["jobId"] in str(p)]


def test_a_video_is_translated_with_its_subtitles(server, clips, submitted, tmp_path):
    import av

    job = ended(server, submitted, "english")
    assert job["status"] == "completed", job
    assert (job["type"], job["model"], job["outputType"]) == ("translate", "musetalk-1.5", "video/mp4")
    assert [o["type"] for o in job["outputs"]] == ["video/mp4", "text/vtt"]
    video = loopback.get(job["outputs"][0]["url"], timeout=30)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    (tmp_path / "out.mp4").write_bytes(video.content)
    with av.open(str(tmp_path / "out.mp4")) as container:
        assert [s.codec_context.name for s in container.streams] == ["h264", "aac"]
        assert container.duration is not None
        assert abs(container.duration / 1e6 - clips["english"].duration) <= TOLERANCE_S
    subtitles = loopback.get(job["outputs"][1]["url"], timeout=30)
    assert subtitles.status_code == 200 and subtitles.headers["content-type"] == "text/vtt; charset=utf-8"
    meta = job["metadata"]
    assert (meta["outputLanguage"], meta["sourceLanguage"]) == ("es", "en")
    assert abs(meta["durationSeconds"] - clips["english"].duration) <= TOLERANCE_S
    assert meta["models"]["speechToText"] == "whisper-base" and meta["models"]["translation"] == "apertium"
    assert meta["models"]["lipSync"] == "musetalk-1.5" and meta["voiceId"]
    cues = parse_vtt(subtitles.text)
    assert [(c[0], c[1], c[2]) for c in cues] == [(x["text"], x["start"], x["end"]) for x in meta["lines"]]
    assert [c[0] for c in cues] == apertium([x["original"] for x in meta["lines"]])
    # Every stage ran, in order, with its time; over SSE the long ones are seen.
    order = ["transcribe", "translate", "voice", "mix", "lip-sync", "encoding"]
    assert list(meta["stageSeconds"]) == order, meta["stageSeconds"]
    assert_stages(submitted["stages"]["english"].seen, order, brief=("translate", "voice", "mix", "encoding"))


def test_a_video_without_speech_fails_refunded_and_leaves_nothing(server, submitted):
    job = ended(server, submitted, "quiet")
    assert (job["status"], job["error"]) == ("failed", NO_SPEECH), job
    assert_left_nothing(server, job)


def test_a_404_video_url_fails_refunded_and_leaves_nothing(server, submitted):
    job = ended(server, submitted, "missing")
    assert (job["status"], job["error"]) == ("failed", "videoUrl: could not be fetched (HTTP 404)"), job
    assert_left_nothing(server, job)


def test_a_cancel_while_it_runs_refunds_and_leaves_nothing(server, submitted):
    for name in submitted["ids"]:  # the queue is empty: this job is the only one running
        ended(server, submitted, name)
    with api(server) as client:
        body = {"videoUrl": submitted["urls"]["english"], "outputLanguage": "es"}
        r = client.post("/api/generate/translate", json=body)
        assert r.status_code == 202, r.text
        job_id = r.json()["data"]["jobId"]
        deadline = time.monotonic() + 300
        while (job := client.get(f"/api/jobs/{job_id}").json()["data"])["stage"] not in ("voice", "mix", "lip-sync"):
            assert job["status"] in ("queued", "processing") and time.monotonic() < deadline, job
            time.sleep(0.02)
        assert client.delete(f"/api/jobs/{job_id}").status_code in (200, 202)
    job = wait_job(server.url, server.owner_key, job_id, timeout=120)
    assert job["status"] == "canceled", job
    assert_left_nothing(server, job)


def test_credits_stay_balanced(server, submitted):
    for name in submitted["ids"]:
        ended(server, submitted, name)
    with api(server) as client:
        jobs = client.get("/api/jobs", params={"type": "translate", "limit": 100}).json()["data"]
        completed = sum(j["status"] == "completed" for j in jobs)
        assert client.get("/api/usage").json()["data"]["credits"] == submitted["credits"] - COST * completed
    ledger_balanced(server.data_dir / "app.db")
