"""The `clip` engine: a long video in, its best moments out as short clips.

Stages: [scenes] the pictures scanned (cuts, faces); [transcribing] the sound scanned (loudness,
words) by the job's speech-to-text model; [scoring] candidate windows measured, the best that do
not overlap judged (features, and the writer when one is installed); [rendering] each clip kept
(score at least viralScoreThreshold, at most maxClips, best first) cut, reframed, captioned and
encoded. Outputs: clip-NN.mp4 and, when words were heard in it, clip-NN.vtt for each clip, best
score first, then clips.json (the summary). No clip passing the threshold completes the job with
clips.json alone and says so in its metadata.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.clip.features import Features, measure
from apexlocal.engines.clip.judge import Verdict, open_judge
from apexlocal.engines.clip.moments import Window, pick, scene_windows, speech_windows
from apexlocal.engines.clip.reframe import OUTPUT_SIZES, CropPath
from apexlocal.engines.clip.render import Cut, clip_vtt, render_clip
from apexlocal.engines.clip.request import FIELD, ClipJob, parse_request
from apexlocal.engines.clip.scan import scan_pictures, scan_sound
from apexlocal.engines.clip.signals import Signals
from apexlocal.engines.compose.probe import MediaInfo, probe
from apexlocal.errors import JobError
from apexlocal.models.manifest import ModelEntry

MAX_SOURCE_S = 4 * 3600.0
JUDGED_PER_CLIP = 2  # candidates the writer reads per clip asked for
SUMMARY_NAME = "clips.json"


@dataclass(frozen=True)
class Chosen:
    window: Window
    features: Features
    verdict: Verdict


class ClipEngine:
    name = "clip"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        return make_clips(parse_request(spec), model, ctx)


def make_clips(job: ClipJob, model: ModelEntry, ctx: EngineContext) -> EngineOutput:
    started, clock = time.monotonic(), {}
    source, info = open_source(ctx, job.source_url)
    signals = Signals(info.duration, info.width, info.height, info.fps or 25.0)

    def stage(name: str) -> Any:
        def progress(fraction: float) -> None:
            ctx.progress(fraction, name)
            ctx.check_cancelled()

        return progress

    t0 = time.monotonic()
    scan_pictures(source, signals, stage("scenes"))
    clock["scenes"] = time.monotonic() - t0
    if info.audio_codec is not None:
        from apexlocal.engines.speech_to_text.whisper import FasterWhisperEngine

        t0 = time.monotonic()
        whisper = FasterWhisperEngine.load(model, ctx)
        ctx.progress(0.0, "transcribing")
        scan_sound(source, signals, whisper, job.language, stage("transcribing"))
        clock["transcribing"] = time.monotonic() - t0
    t0 = time.monotonic()
    ctx.progress(0.0, "scoring")
    chosen, judged_by = choose(job, signals, ctx)
    clock["scoring"] = time.monotonic() - t0
    t0 = time.monotonic()
    files, summaries = render_all(job, source, info, signals, chosen, ctx)
    clock["rendering"] = time.monotonic() - t0
    metadata = _metadata(job, signals, summaries, judged_by, model)
    summary = ctx.scratch_dir / SUMMARY_NAME
    summary.write_text(json.dumps({**metadata, "clips": summaries}, ensure_ascii=False, indent=1), encoding="utf-8")
    files.append(OutputFile(summary, "application/json", SUMMARY_NAME))
    metadata["stageSeconds"] = {k: round(v, 3) for k, v in clock.items()}
    metadata["durationMs"] = round((time.monotonic() - started) * 1000)
    return EngineOutput(files, metadata)


def open_source(ctx: EngineContext, url: str) -> tuple[Path, MediaInfo]:
    if ctx.fetch_input is None:
        raise JobError(f"{FIELD}: cannot fetch inputs in this context")
    path = ctx.fetch_input(url, FIELD)
    try:
        info = probe(path)
    except JobError:
        raise JobError(f"{FIELD}: the file is not a video this server can read") from None
    if info.video_codec is None or info.width <= 0 or info.height <= 0:
        raise JobError(f"{FIELD}: the file holds no video stream")
    if info.duration > MAX_SOURCE_S:
        raise JobError(f"{FIELD}: the video runs {info.duration:.0f} s; at most {MAX_SOURCE_S:.0f} s can be clipped")
    return path, info


def choose(job: ClipJob, signals: Signals, ctx: EngineContext) -> tuple[list[Chosen], str | None]:
    """The clips to make, best first, and the writer model that judged them (None: features only)."""
    windows = speech_windows(signals.words, signals.cuts, job.min_duration, job.max_duration, signals.duration)
    if not windows:
        windows = scene_windows(signals.cuts, job.min_duration, job.max_duration, signals.duration)
    median_db = signals.median_loudness_db()
    measured: dict[int, Features] = {}

    def features(window: Window) -> Features:
        if id(window) not in measured:
            measured[id(window)] = measure(window, signals, median_db)
        return measured[id(window)]

    judge, writer_model = open_judge(ctx)
    limit = job.max_clips * (JUDGED_PER_CLIP if writer_model else 1)
    candidates = pick(windows, lambda w: features(w).score, limit)
    chosen = []
    for i, window in enumerate(candidates):
        ctx.check_cancelled()
        chosen.append(Chosen(window, features(window), judge(window, features(window))))
        ctx.progress((i + 1) / len(candidates), "scoring")
    kept = [c for c in chosen if c.verdict.score >= job.threshold]
    kept.sort(key=lambda c: (-c.verdict.score, c.window.start))
    return kept[: job.max_clips], writer_model


def render_all(
    job: ClipJob, source: Path, info: MediaInfo, signals: Signals, chosen: list[Chosen], ctx: EngineContext
) -> tuple[list[OutputFile], list[dict[str, Any]]]:
    files: list[OutputFile] = []
    summaries: list[dict[str, Any]] = []
    for rank, choice in enumerate(chosen, start=1):
        window, verdict = choice.window, choice.verdict
        cut = Cut(round(window.start, 3), round(window.end, 3), tuple(window.words))
        path = CropPath((info.width, info.height), job.aspect, cut.start, cut.end, signals.cuts, signals.faces)
        name = f"clip-{rank:02d}"

        def progress(fraction: float, _stage: str, rank: int = rank) -> None:
            ctx.progress((rank - 1 + fraction) / len(chosen), "rendering")

        render_clip(
            source,
            path,
            cut,
            job.aspect,
            job.add_captions,
            ctx.scratch_dir / f"{name}.mp4",
            progress,
            ctx.cancelled,
            has_audio=info.audio_codec is not None,
        )
        summary = {
            "rank": rank,
            "file": f"{name}.mp4",
            "captionsFile": f"{name}.vtt" if cut.words else None,
            "start": cut.start,
            "end": cut.end,
            "duration": round(cut.duration, 3),
            "score": verdict.score,
            "title": verdict.title,
            "hook": verdict.hook,
            "reasons": verdict.reasons,
            "transcript": window.text,
            "featureScores": {k: round(v, 3) for k, v in choice.features.scores.items()},
            "featuresScore": choice.features.score,
            "writerScore": verdict.writer_score,
            "sceneCuts": [round(t - cut.start, 3) for t in path.cuts],
        }
        summaries.append(summary)
        keep = {k: summary[k] for k in ("rank", "score", "title", "start", "end", "duration", "reasons")}
        files.append(OutputFile(ctx.scratch_dir / f"{name}.mp4", "video/mp4", f"{name}.mp4", keep))
        if cut.words:
            vtt = ctx.scratch_dir / f"{name}.vtt"
            vtt.write_text(clip_vtt(cut.local_words(), signals.language), encoding="utf-8")
            files.append(OutputFile(vtt, "text/vtt", f"{name}.vtt", {"rank": rank}))
    return files, summaries


def _metadata(
    job: ClipJob, signals: Signals, summaries: list[dict[str, Any]], writer_model: str | None, model: ModelEntry
) -> dict[str, Any]:
    width, height = OUTPUT_SIZES[job.aspect]
    metadata: dict[str, Any] = {
        "clipCount": len(summaries),
        "viralScores": [s["score"] for s in summaries],
        "clips": [{k: s[k] for k in ("rank", "start", "end", "score", "title", "hook", "reasons")} for s in summaries],
        "scoring": "features+writer" if writer_model else "features",
        "writerModel": writer_model,
        "speechModel": model.id,
        "language": signals.language or None,
        "sourceDurationSeconds": round(signals.duration, 3),
        "sceneCount": len(signals.cuts) + 1,
        "wordCount": len(signals.words),
        "aspectRatio": job.aspect,
        "width": width,
        "height": height,
        "captions": job.add_captions,
        "viralScoreThreshold": job.threshold,
    }
    if not summaries:
        metadata["message"] = (
            f"No clip scored at least {job.threshold:g} (viralScoreThreshold), or none of "
            f"{job.min_duration:g}-{job.max_duration:g} s fits in the video: the job made no clips"
        )
    return metadata
