"""Avatar jobs end to end with the tiny set, through one real `apexlocal serve` process: a photo
(skimage's astronaut) uploaded through /api/upload/image, speaking text with the packaged Piper
voice or an uploaded Piper recording; the MP4 read back with PyAV; the stages seen over SSE; and
the same recording through `kling-avatar-v2` (EchoMimicV3 Flash's tiny stand-ins); and
the failures that must refund and leave nothing behind: a photo with no face, a 404 audio URL,
a cancel. The same photo as the presenter (`avatarImage`) of a narrated video, through the video
route (the drawing itself is tested at the engine: tests/engines/talking_head/test_presenter.py).
Input URLs on loopback are allowed here (`inputs_allow_private`) so that the 404 comes from a real
HTTP server; the refusal of loopback URLs is in test_avatar_routes.py.

The jobs are submitted together at the start, so the worker runs them back to back while the
tests read their results in turn.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import loopback
from tests.api.voice_helpers import piper_speech
from tests.conftest import ServerProcess
from tests.e2e.helpers import ledger_balanced, wait_job
from tests.products.live import Stages, api, assert_stages, not_found_url, upload

# The first job builds the tiny models; on a CPU shared with other work a job takes minutes.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

COST = 750
VIDEO_COST = 250
TOLERANCE_S = 0.1
PIPER_VOICE = "en_US-joe-medium"
TEXT = "Hello, I am an astronaut, and this is my talking head."
RECORDING = "Good morning from the space station, where the coffee floats."
LONG_TEXT = " ".join(
    [
        "The harbor wakes before the town, and the fishing boats slide out past the lighthouse into the fog.",
        "By noon the market is full of voices and the smell of salt, and the gulls circle the stalls.",
    ]
    * 4
)


def png(array: Any) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def missing_audio_url() -> Iterator[str]:
    with not_found_url("speech.wav") as url:
        yield url


@pytest.fixture(scope="module")
def inputs(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from skimage import data

    folder = tmp_path_factory.mktemp("avatar-inputs")
    speech_s = piper_speech(RECORDING, folder / "speech.wav")
    with api(server) as client:
        return {
            "face": upload(client, "image", "astronaut.png", png(data.astronaut()), "image/png"),
            "no_face": upload(client, "image", "coffee.png", png(data.coffee()), "image/png"),
            "speech": upload(client, "audio", "speech.wav", (folder / "speech.wav").read_bytes(), "audio/wav"),
            "speech_s": speech_s,
            "credits": client.get("/api/usage").json()["data"]["credits"],
        }


@pytest.fixture(scope="module")
def submitted(server: ServerProcess, inputs: dict[str, Any], missing_audio_url: str) -> dict[str, Any]:
    bodies = {
        "audio": {"image": inputs["face"], "audio": inputs["speech"], "resolution": "480p"},
        "text": {
            "image": inputs["face"],
            "text": TEXT,
            "voiceId": PIPER_VOICE,
            "resolution": "720p",
            "model": "veed-fabric",
        },
        "echomimic": {
            "image": inputs["face"],
            "audio": inputs["speech"],
            "resolution": "480p",
            "model": "kling-avatar-v2",
        },
        "no_face": {"image": inputs["no_face"], "audio": inputs["speech"], "resolution": "480p"},
        "missing_audio": {"image": inputs["face"], "audio": missing_audio_url, "resolution": "480p"},
    }
    videos = {
        "presenter": {"script": "The harbor wakes before the town.", "duration": 10, "avatarImage": inputs["face"]},
        "presenter_no_face": {"script": "The harbor wakes.", "duration": 10, "avatarImage": inputs["no_face"]},
    }
    ids, stages = {}, {}
    with api(server) as client:
        for name, (path, body, cost) in {
            **{n: ("avatar", b, COST) for n, b in bodies.items()},
            **{n: ("video", b, VIDEO_COST) for n, b in videos.items()},
        }.items():
            r = client.post(f"/api/generate/{path}", json=body)
            assert r.status_code == 202, r.text
            assert r.json()["data"]["creditsCharged"] == cost
            ids[name] = r.json()["data"]["jobId"]
            stages[name] = Stages(server, ids[name])
            stages[name].start()
    return {"ids": ids, "stages": stages}


def ended(server: ServerProcess, submitted: dict[str, Any], name: str) -> dict[str, Any]:
    job = wait_job(server.url, server.owner_key, submitted["ids"][name], timeout=600)
    submitted["stages"][name].join(30)
    return job


def probe(path: Path) -> dict[str, Any]:
    import av

    from apexlocal.engines.compose import is_faststart

    assert is_faststart(path)
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert container.duration is not None and video.codec_context.pix_fmt == "yuv420p"
        return {
            "codecs": (video.codec_context.name, audio.codec_context.name),
            "size": (video.width, video.height),
            "duration": container.duration / 1_000_000,
        }


def download(job: dict[str, Any], dest: Path) -> Path:
    r = loopback.get(job["outputUrl"], timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    dest.write_bytes(r.content)
    return dest


def assert_left_nothing(server: ServerProcess, job: dict[str, Any]) -> None:
    assert job["creditsRefunded"] == job["creditsCharged"] and job["outputUrl"] is None and job["outputs"] == []
    data = server.data_dir
    assert not (data / "scratch" / job["jobId"]).exists()
    assert not [p for p in (data / "files").rglob("*") if job["jobId"] in str(p)]


def test_an_uploaded_recording_is_lip_synced_for_its_whole_length(server, inputs, submitted, tmp_path):
    job = ended(server, submitted, "audio")
    assert job["status"] == "completed", job
    assert (job["type"], job["outputType"], len(job["outputs"])) == ("avatar", "video/mp4", 1)
    info = probe(download(job, tmp_path / "audio.mp4"))
    assert info["codecs"] == ("h264", "aac") and info["size"] == (854, 480)
    assert abs(info["duration"] - inputs["speech_s"]) <= TOLERANCE_S, (info, inputs["speech_s"])
    meta = job["metadata"]
    assert meta["resolution"] == "480p" and abs(meta["durationSeconds"] - inputs["speech_s"]) <= TOLERANCE_S
    assert meta["facesFound"] == 1 and meta["model"] == job["model"]
    seen = submitted["stages"]["audio"].seen
    assert "voice" not in seen
    assert_stages(seen, ["lip-sync", "encoding"], brief=("encoding",))


def test_text_is_spoken_by_the_voice_and_lip_synced(server, submitted, tmp_path):
    job = ended(server, submitted, "text")
    assert job["status"] == "completed", job
    info = probe(download(job, tmp_path / "text.mp4"))
    assert info["codecs"] == ("h264", "aac") and info["size"] == (1280, 720)
    meta = job["metadata"]
    assert (job["model"], meta["model"], meta["resolution"]) == ("veed-fabric", "veed-fabric", "720p")
    assert abs(meta["durationSeconds"] - info["duration"]) <= TOLERANCE_S and 2 < info["duration"] < 10
    seen = submitted["stages"]["text"].seen
    assert_stages(seen, ["voice", "lip-sync", "encoding"], brief=("encoding",))


def test_kling_avatar_v2_runs_echomimic_for_the_whole_recording(server, inputs, submitted, tmp_path):
    job = ended(server, submitted, "echomimic")
    assert job["status"] == "completed", job
    info = probe(download(job, tmp_path / "echomimic.mp4"))
    assert info["codecs"] == ("h264", "aac") and info["size"] == (854, 480)
    assert abs(info["duration"] - inputs["speech_s"]) <= TOLERANCE_S, (info, inputs["speech_s"])
    meta = job["metadata"]
    assert (job["model"], meta["model"], meta["modelId"]) == (
        "kling-avatar-v2",
        "kling-avatar-v2",
        "echomimic-v3-flash",
    )
    assert "by the model" in meta["motion"]
    assert_stages(submitted["stages"]["echomimic"].seen, ["lip-sync", "encoding"], brief=("encoding",))


def test_a_photo_with_no_face_fails_refunded_and_leaves_nothing(server, submitted):
    job = ended(server, submitted, "no_face")
    assert (job["status"], job["error"]) == ("failed", "image: no face found"), job
    assert_left_nothing(server, job)


def test_a_404_audio_url_fails_refunded_and_leaves_nothing(server, submitted):
    job = ended(server, submitted, "missing_audio")
    assert (job["status"], job["error"]) == ("failed", "audio: could not be fetched (HTTP 404)"), job
    assert_left_nothing(server, job)


def test_a_narrated_video_with_avatar_image_has_the_presenter(server, submitted, tmp_path):
    job = ended(server, submitted, "presenter")
    assert job["status"] == "completed", job
    info = probe(download(job, tmp_path / "presenter.mp4"))
    assert info["codecs"] == ("h264", "aac") and info["size"] == (1280, 720)
    presenter = job["metadata"]["presenter"]
    assert (presenter["layout"], presenter["position"], presenter["facesFound"]) == (
        "picture-in-picture",
        "top-right",
        1,
    )
    assert "avatar" in next(m for m in models(server) if m["id"] == presenter["model"])["tasks"]
    assert_stages(submitted["stages"]["presenter"].seen, ["presenter: lip-sync", "encoding"], brief=("encoding",))


def test_a_presenter_photo_with_no_face_fails_refunded(server, submitted):
    job = ended(server, submitted, "presenter_no_face")
    assert (job["status"], job["error"]) == ("failed", "avatarImage: no face found"), job
    assert_left_nothing(server, job)


def models(server: ServerProcess) -> list[dict[str, Any]]:
    with api(server) as client:
        return client.get("/api/models").json()["data"]


def test_a_cancel_while_it_runs_refunds_and_leaves_nothing(server, inputs, submitted):
    for name in submitted["ids"]:  # the queue is empty: this job is the only one running
        ended(server, submitted, name)
    with api(server) as client:
        r = client.post("/api/generate/avatar", json={"image": inputs["face"], "text": LONG_TEXT, "resolution": "480p"})
        assert r.status_code == 202, r.text
        job_id = r.json()["data"]["jobId"]
        deadline = time.monotonic() + 120
        while (job := client.get(f"/api/jobs/{job_id}").json()["data"])["stage"] not in ("voice", "lip-sync"):
            assert job["status"] in ("queued", "processing") and time.monotonic() < deadline, job
            time.sleep(0.02)
        assert client.delete(f"/api/jobs/{job_id}").status_code in (200, 202)
    job = wait_job(server.url, server.owner_key, job_id, timeout=60)
    assert job["status"] == "canceled", job
    assert_left_nothing(server, job)


def test_credits_stay_balanced(server, inputs, submitted):
    # This module's jobs only: the server is shared with the other product modules (conftest.py).
    jobs = [ended(server, submitted, name) for name in submitted["ids"]]
    with api(server) as client:
        spent = sum(j["creditsCharged"] for j in jobs if j["status"] == "completed")
        assert spent == 3 * COST + VIDEO_COST  # audio, text, echomimic; the presenter video
        assert client.get("/api/usage").json()["data"]["credits"] == inputs["credits"] - spent
    ledger_balanced(server.data_dir / "app.db")
