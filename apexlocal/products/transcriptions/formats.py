"""A transcript in OpenAI's response formats: json ({"text"}), text, srt, vtt, verbose_json
(task, language by name, duration, text, segments and/or words by `timestamp_granularities`).

Segment fields OpenAI's clients read are all there: `seek` is the segment's start in Whisper's
10 ms frames and `tokens` is empty (faster-whisper's word-timed decoding does not hand them out);
avg_logprob, no_speech_prob and compression_ratio are Whisper's own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apexlocal.engines.speech_to_text.whisper import Transcript
from apexlocal.engines.video_translate.subtitles import render_vtt, timestamp
from apexlocal.products.translate.names import language_name

FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
GRANULARITIES = ("word", "segment")
CONTENT_TYPES = {
    "json": "application/json",
    "verbose_json": "application/json",
    "text": "text/plain; charset=utf-8",
    "srt": "text/plain; charset=utf-8",
    "vtt": "text/plain; charset=utf-8",
}


def render(transcript: Transcript, fmt: str, granularities: Sequence[str] = ("segment",)) -> Any:
    """The body: a dict for the JSON formats, a str for the others."""
    if fmt == "json":
        return {"text": transcript.text}
    if fmt == "text":
        return transcript.text + "\n"
    if fmt == "srt":
        return srt(transcript)
    if fmt == "vtt":
        return render_vtt([(s.text, s.start, s.end) for s in transcript.segments])
    return verbose(transcript, granularities)


def verbose(transcript: Transcript, granularities: Sequence[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": language_name(transcript.language).lower() if transcript.language else "",
        "duration": transcript.duration,
        "text": transcript.text,
    }
    if "segment" in granularities or not granularities:
        body["segments"] = [
            {
                "id": i,
                "seek": round(s.start * 100),
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for i, s in enumerate(transcript.segments)
        ]
    if "word" in granularities:
        body["words"] = [{"word": w.text, "start": w.start, "end": w.end} for w in transcript.words]
    return body


def srt(transcript: Transcript) -> str:
    blocks = []
    for i, s in enumerate(transcript.segments, start=1):
        start, end = timestamp(s.start).replace(".", ","), timestamp(max(s.end, s.start + 0.001)).replace(".", ",")
        blocks.append(f"{i}\n{start} --> {end}\n{' '.join(s.text.split())}\n")
    return "\n".join(blocks)
