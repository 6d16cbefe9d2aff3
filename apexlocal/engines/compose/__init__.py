"""Composition: cut, join, fit, mix, caption and encode video, frame by frame, in bounded memory.
Every video endpoint finishes its output here.

    from apexlocal.engines import compose as c

    size = c.resolve_size("720p", "9:16")                        # (720, 1280)
    result = c.compose(
        [c.Segment(c.open_video(a)),                               # a whole file, its own sound too
         c.Segment(c.open_video(b), start=2.0, duration=4.0,       # seconds 2-6 of another,
                   transition=c.crossfade(0.5), fit="pad"),        #   crossfaded in, letterboxed
         c.Segment(c.still(png, 3.0))],                            # a picture for 3 s
        "out.mp4", size, fps=30,
        audio_tracks=[c.AudioTrack(c.AudioArray(speech, 22_050), role="narration"),
                      c.AudioTrack(c.AudioFile(song), role="music", loop=True, fade_out=1.5)],
        captions=[("Hello", 0.2, 0.5), ("world", 0.55, 0.9)],      # word timings, e.g. Whisper's
        progress=ctx.progress, cancelled=ctx.cancelled)            # progress(fraction, stage)

The model
- A `Clip` is a re-openable stream of RGB frames (numpy uint8 HxWx3) at a frame rate, with its size
  and duration known up front and optional sound (an `AudioSource`). `open_video` reads any
  container PyAV decodes, lazily; `from_frames` wraps frames a model made (a list, or a generator
  factory); `still` and `solid` hold one picture.
- A timeline is a list of `Segment`s: a clip, its in-point and duration, how it is fitted (`fit`:
  crop around `anchor` / pad with `pad_color` / stretch, optionally cutting a `box` first), and the
  `transition` into it (`CUT` or `crossfade(seconds)`). Clips of any frame rate are normalised to
  the output's (frames dropped or repeated, by timestamp); a segment longer than its clip holds the
  last frame.
- An `AudioTrack` places a source on the timeline with a role: "narration" (ducks the bed),
  "music" (ducked under narration, can loop), "effects" (not ducked). The clips' own sound joins
  the mix, crossfaded in step with the pictures.
- `AudioSettings`: loudness target (-16 LUFS by default: integrated, BS.1770 K-weighted and gated,
  measured in numpy), true-peak ceiling (-1 dBTP, a look-ahead limiter on 4x-oversampled peaks),
  ducking (`Ducking`: depth, threshold, attack, release, hold). Everything is resampled to 48 kHz.
- Captions: `Captions(words, style, max_chars, max_gap)` or plain [(word, start, end)]: grouped
  into short lines, drawn with Pillow (system bold sans or Pillow's own font), white with a dark
  outline on a translucent box, in the safe area of the aspect ratio (`safe_area`), the spoken
  word highlighted (`CaptionStyle`).
- Output: H.264 (libx264, yuv420p, BT.709, CRF and preset from `EncodeSettings`) and AAC 48 kHz
  stereo in MP4 with `moov` before `mdat`, written to a temporary file and renamed into place.
  Sizes come from `resolve_size(resolution, aspect)`: 480p/720p/1080p at 16:9, 9:16, 1:1, 4:5.

`compose` returns a `ComposeResult` (path, size, fps, frame count, duration, whether there is
sound, the mix's loudness before normalisation and the gain applied); progress is reported as the
stages "audio" (measuring loudness) and "encoding". `probe` and `is_faststart` read a finished file
back.

Memory does not grow with the length: frames are made, drawn and converted one at a time on the
calling thread while a worker thread encodes and muxes the few before them (a queue of 4); audio
is mixed in 100 ms blocks, twice (once to measure loudness, once to encode), never held whole.
Sources are opened when the playhead reaches them and closed when it has passed.

Errors: bad input raises JobError (message fit for the user) before any work; `cancelled()`
returning true raises JobCancelled; either way no file is left behind, not even a partial one.

Modules: sizes, geometry, clips, audio_sources, retime, timeline, join, mixer, ducking, loudness,
limiter, master, captions, caption_render, encode, probe, composer. Heavy libraries (av, numpy, PIL)
are imported inside functions only.
"""

from __future__ import annotations

from apexlocal.engines.compose.audio_sources import SAMPLE_RATE, AudioArray, AudioFile, AudioSource, Reader
from apexlocal.engines.compose.caption_render import CaptionRenderer, SafeArea, safe_area
from apexlocal.engines.compose.captions import CaptionLine, Captions, CaptionStyle, group_words
from apexlocal.engines.compose.clips import Clip, from_frames, open_video, solid, still
from apexlocal.engines.compose.composer import ComposeResult, compose
from apexlocal.engines.compose.ducking import Ducking
from apexlocal.engines.compose.encode import EncodeSettings, Mp4Writer
from apexlocal.engines.compose.geometry import FitPlan, fit_frame, plan_fit
from apexlocal.engines.compose.join import blend, timeline_frames
from apexlocal.engines.compose.loudness import LoudnessMeter, integrated_loudness
from apexlocal.engines.compose.master import AudioSettings
from apexlocal.engines.compose.mixer import AudioTrack, Mix
from apexlocal.engines.compose.probe import MediaInfo, is_faststart, probe, top_level_boxes
from apexlocal.engines.compose.sizes import ASPECTS, RESOLUTIONS, resolve_size
from apexlocal.engines.compose.timeline import CUT, Segment, Transition, crossfade, layout

__all__ = [
    "ASPECTS",
    "CUT",
    "RESOLUTIONS",
    "SAMPLE_RATE",
    "AudioArray",
    "AudioFile",
    "AudioSettings",
    "AudioSource",
    "AudioTrack",
    "CaptionLine",
    "CaptionRenderer",
    "CaptionStyle",
    "Captions",
    "Clip",
    "ComposeResult",
    "Ducking",
    "EncodeSettings",
    "FitPlan",
    "LoudnessMeter",
    "MediaInfo",
    "Mix",
    "Mp4Writer",
    "Reader",
    "SafeArea",
    "Segment",
    "Transition",
    "blend",
    "compose",
    "crossfade",
    "fit_frame",
    "from_frames",
    "group_words",
    "integrated_loudness",
    "is_faststart",
    "layout",
    "open_video",
    "plan_fit",
    "probe",
    "resolve_size",
    "safe_area",
    "solid",
    "still",
    "timeline_frames",
    "top_level_boxes",
]
