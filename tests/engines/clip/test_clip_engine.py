"""The `clip` engine on a video made in the test: real English speech (the packaged Piper voice,
heard by the packaged Whisper tiny.en) on distinct topics, one shot per topic, a face moving across
the frame. Clips start and end in the silence around whole sentences (judged against where the
voice really is), last [min, max], come out 720x1280 H.264 + AAC with faststart, keep the face in
the middle third (found again by the face finder), show captions, and their WebVTT holds the words
Whisper heard. maxClips and viralScoreThreshold on the same scan; a video with no speech gives
clips of whole scenes. Scores here are the features' (no writer: tests/engines/clip/test_scoring.py
has the writer's part, tests/products/clip the server's run). The issue's 10-minute video is made
in bench/bench_clip.py; a 58-second one keeps this module quick."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apexlocal.engines.base import EngineContext, EngineOutput
from apexlocal.engines.clip import engine as clip_engine
from apexlocal.engines.clip import judge
from apexlocal.engines.clip.request import parse_request
from apexlocal.engines.clip.signals import Signals
from apexlocal.engines.compose import is_faststart, open_video, probe
from apexlocal.engines.faces import find_faces
from apexlocal.engines.runtime import ModelRuntime
from apexlocal.errors import JobError
from apexlocal.models.manifest import load_manifest
from apexlocal.models.packaged import check_package
from tests.engines.clip.source_video import SourceVideo, make_source

MIN_S, MAX_S = 8.0, 20.0
EDGE_SLACK_S = 0.12  # a clip edge may reach this far into a sentence's first or last 10 ms frames


def context(scratch: Path) -> EngineContext:
    manifest = load_manifest()
    scratch.mkdir(parents=True, exist_ok=True)
    return EngineContext(
        job_id=scratch.name,
        device="cpu",
        scratch_dir=scratch,
        model_set="tiny",
        progress=lambda fraction, stage: None,
        cancelled=lambda: False,
        model_dir=check_package,
        runtime=ModelRuntime("cpu", budget_bytes=None),
        fetch_input=lambda url, field: Path(url),
        manifest=manifest,
    )


@pytest.fixture(scope="module")
def features_only() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clip_engine, "open_judge", lambda ctx: (judge.features_only, None))
        yield


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> SourceVideo:
    return make_source(tmp_path_factory.mktemp("clip-src") / "talk.mp4", topics=4)


@pytest.fixture(scope="module")
def run(talk: SourceVideo, tmp_path_factory: pytest.TempPathFactory, features_only: None) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    choose = clip_engine.choose

    def recording(job: Any, signals: Signals, ctx: EngineContext) -> Any:
        seen["signals"] = signals
        return choose(job, signals, ctx)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clip_engine, "choose", recording)
        ctx = context(tmp_path_factory.mktemp("clip-run") / "job")
        spec = {"sourceVideoUrl": str(talk.path), "minDuration": MIN_S, "maxDuration": MAX_S, "maxClips": 2}
        out = clip_engine.ClipEngine().run(spec, load_manifest().by_id()["whisper-tiny-en"], ctx)
    summary = json.loads(next(f.path for f in out.files if f.name == "clips.json").read_text())
    return {"out": out, "summary": summary, "signals": seen["signals"], "ctx": ctx}


def outputs(out: EngineOutput) -> dict[str, Path]:
    return {f.name: f.path for f in out.files}


def test_clips_are_whole_sentences_within_the_bounds(talk: SourceVideo, run: dict[str, Any]) -> None:
    clips = run["summary"]["clips"]
    assert len(clips) == 2 and run["out"].metadata["clipCount"] == 2
    voices = talk.sentences
    for clip in clips:
        assert MIN_S <= clip["end"] - clip["start"] <= MAX_S
        for _, begin, end in voices:  # never inside a sentence's voice
            assert not (begin + EDGE_SLACK_S < clip["start"] < end - EDGE_SLACK_S), (clip, begin, end)
            assert not (begin + EDGE_SLACK_S < clip["end"] < end - EDGE_SLACK_S), (clip, begin, end)
        inside = [text for text, begin, end in voices if clip["start"] <= begin and end <= clip["end"] + EDGE_SLACK_S]
        assert inside, clip
        heard, said = words(clip["transcript"]), words(" ".join(inside))
        assert heard[0] == said[0] and heard[-1] == said[-1], (heard, said)  # whole sentences, no more
    scores = run["out"].metadata["viralScores"]
    assert scores == sorted(scores, reverse=True) and all(1 <= s <= 10 for s in scores)
    for clip in clips:
        assert clip["reasons"] and clip["title"] and clip["hook"]


def test_outputs_are_faststart_vertical_mp4s_best_first_then_the_summary(run: dict[str, Any]) -> None:
    names = [f.name for f in run["out"].files]
    assert names == ["clip-01.mp4", "clip-01.vtt", "clip-02.mp4", "clip-02.vtt", "clips.json"]
    for clip in run["summary"]["clips"]:
        path = outputs(run["out"])[clip["file"]]
        info = probe(path)
        assert (info.width, info.height, info.video_codec, info.audio_codec) == (720, 1280, "h264", "aac")
        assert abs(info.duration - clip["duration"]) < 0.3 and is_faststart(path)
    meta = run["out"].metadata
    assert meta["scoring"] == "features" and meta["writerModel"] is None and meta["language"] == "en"
    assert meta["sceneCount"] == 4 and meta["clipCount"] == len(meta["viralScores"]) == 2


def test_the_face_stays_in_the_middle_third(run: dict[str, Any]) -> None:
    for clip in run["summary"]["clips"]:
        video = open_video(outputs(run["out"])[clip["file"]], audio=False)
        found = 0
        for k in range(6):
            frames = video.frames(video.duration * (k + 0.5) / 6)
            frame = next(frames)
            frames.close()
            faces = find_faces(frame)
            if faces:
                found += 1
                assert video.width / 3 <= faces[0].center[0] <= 2 * video.width / 3, (clip["file"], k, faces[0])
        assert found >= 5, "the face is seen in the clip"


def test_captions_are_drawn_and_the_vtt_holds_whisper_words(run: dict[str, Any]) -> None:
    files = outputs(run["out"])
    for clip in run["summary"]["clips"]:
        cues = parse_vtt(files[clip["captionsFile"]].read_text())
        assert " ".join(text for text, _, _ in cues).split() == clip["transcript"].split()
        video = open_video(files[clip["file"]], audio=False)
        _, start, end = cues[1]
        frames = video.frames((start + end) / 2)
        frame = next(frames)
        frames.close()
        assert highlighted(frame) > 200, "the spoken word is drawn in the highlight colour"
        frames = video.frames(max(0.0, cues[0][1] - 0.3))
        before = next(frames)
        frames.close()
        assert highlighted(before) < highlighted(frame)


def test_max_clips_and_the_threshold_on_the_same_scan(run: dict[str, Any]) -> None:
    signals, ctx = run["signals"], run["ctx"]
    base = parse_request({"sourceVideoUrl": "x", "minDuration": MIN_S, "maxDuration": MAX_S})
    one, _ = clip_engine.choose(replace(base, max_clips=1), signals, ctx)
    many, _ = clip_engine.choose(replace(base, max_clips=20), signals, ctx)
    assert len(one) == 1 and 2 < len(many) <= 20
    assert one[0].verdict.score == max(c.verdict.score for c in many)
    for i, a in enumerate(many):
        for b in many[i + 1 :]:
            assert min(a.window.end, b.window.end) - max(a.window.start, b.window.start) <= 1.0
    middle = sorted(c.verdict.score for c in many)[len(many) // 2]
    kept, _ = clip_engine.choose(replace(base, max_clips=20, threshold=middle), signals, ctx)
    assert 0 < len(kept) < len(many) and all(c.verdict.score >= middle for c in kept)
    assert clip_engine.choose(replace(base, threshold=10.0), signals, ctx)[0] == []
    with pytest.raises(JobError, match="minDuration: must be at most maxDuration"):
        parse_request({"sourceVideoUrl": "x", "minDuration": 30, "maxDuration": 20})


def test_a_video_without_speech_gives_clips_of_whole_scenes(
    tmp_path_factory: pytest.TempPathFactory, features_only: None
) -> None:
    quiet = make_source(tmp_path_factory.mktemp("clip-quiet") / "quiet.mp4", topics=3, speech=False)
    ctx = context(tmp_path_factory.mktemp("clip-quiet-run") / "job")
    spec = {"sourceVideoUrl": str(quiet.path), "minDuration": MIN_S, "maxDuration": MAX_S, "maxClips": 1}
    out = clip_engine.ClipEngine().run({**spec, "aspectRatio": "1:1"}, load_manifest().by_id()["whisper-tiny-en"], ctx)
    assert [f.name for f in out.files] == ["clip-01.mp4", "clips.json"]
    [clip] = out.metadata["clips"]
    edges = [0.0, *quiet.cuts, quiet.duration]
    assert any(abs(clip["start"] - e) < 0.3 for e in edges) and any(abs(clip["end"] - e) < 0.3 for e in edges)
    assert "Whole shots: starts and ends on a scene change" in clip["reasons"]
    assert out.metadata["wordCount"] == 0 and out.metadata["clipCount"] == 1
    assert (probe(out.files[0].path).width, probe(out.files[0].path).height) == (720, 720)


def words(text: str) -> list[str]:
    return ["".join(ch for ch in w.lower() if ch.isalnum()) for w in text.split()]


def highlighted(frame: np.ndarray) -> int:
    """Pixels of the captions' highlight colour (255, 214, 10)."""
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    return int(np.count_nonzero((r > 215) & (abs(g - 214) < 35) & (b < 80)))


def parse_vtt(text: str) -> list[tuple[str, float, float]]:
    cues = []
    for block in text.strip().split("\n\n")[1:]:
        lines = block.splitlines()
        start, _, end = lines[1].partition(" --> ")
        cues.append((" ".join(lines[2:]), seconds(start), seconds(end)))
    return cues


def seconds(stamp: str) -> float:
    h, m, s = stamp.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)
