"""The `talking-head` engine on MuseTalk's tiny stand-ins (random weights: the mouth is noise, the
pipeline is the real one), a real photo (scikit-image's astronaut) and real speech (the packaged
Piper voice): the avatar MP4 is of the asked size, as long as the speech, says the text, and
moves around the head while the background stays still."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines import compose as c
from apexlocal.engines.registry import get_engine
from apexlocal.engines.speech_to_text.decode import SAMPLE_RATE, decode_audio
from apexlocal.engines.talking_head.engine import MAX_SPEECH_S, TalkingHeadEngine, check_photo, speech_seconds
from apexlocal.engines.talking_head.placement import place_photo
from apexlocal.engines.voice.audio import write_wav
from apexlocal.errors import JobCancelled, JobError
from tests.api.voice_helpers import transcribe
from tests.engines.talking_head.conftest import make_context

TEXT = "Hello there. The astronaut is speaking today."


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z ]", "", text.lower()).split()


@pytest.fixture(scope="module")
def avatar(
    tmp_path_factory: pytest.TempPathFactory, th_models: Any, th_runtime: Any, th_manifest: Any, photos: Any
) -> dict[str, Any]:
    """One avatar job at 480p from text, shared by the tests of this module."""
    ctx, events = make_context(tmp_path_factory.mktemp("avatar") / "job", th_models, th_runtime, th_manifest, photos)
    model = th_manifest.resolve("veed-fabric", "avatar")
    spec = {"image": "astronaut", "resolution": "480p", "model": "veed-fabric", "text": TEXT}
    spec["voiceModel"] = "piper-joe-medium"
    output = TalkingHeadEngine().run(spec, model, ctx)
    return {"output": output, "events": events, "ctx": ctx}


def test_registry_names_the_engine() -> None:
    assert isinstance(get_engine("talking-head"), TalkingHeadEngine)


def test_the_avatar_is_an_h264_aac_mp4_of_the_asked_size(avatar: dict[str, Any]) -> None:
    [out] = avatar["output"].files
    assert out.content_type == "video/mp4" and out.path.name == "output.mp4"
    info = c.probe(out.path)
    assert (info.video_codec, info.audio_codec, info.width, info.height) == ("h264", "aac", 854, 480)
    assert c.is_faststart(out.path)
    meta = avatar["output"].metadata
    assert meta["model"] == "veed-fabric" and meta["modelId"] == "musetalk-1.5"
    assert (meta["resolution"], meta["facesFound"], meta["voiceModel"]) == ("480p", 1, "piper-joe-medium")


def test_it_lasts_as_long_as_the_speech(avatar: dict[str, Any]) -> None:
    speech = decode_audio(avatar["ctx"].scratch_dir / "speech.wav")
    speech_s = speech.shape[0] / SAMPLE_RATE
    out = avatar["output"].files[0].path
    info = c.probe(out)
    heard = decode_audio(out).shape[0] / SAMPLE_RATE
    assert abs(info.frames / info.fps - speech_s) <= 0.1
    assert abs(heard - speech_s) <= 0.1
    assert abs(avatar["output"].metadata["durationSeconds"] - speech_s) <= 0.1


def test_its_sound_says_the_text(avatar: dict[str, Any]) -> None:
    heard = transcribe(avatar["output"].files[0].path, "en").text
    assert words(heard) == words(TEXT)


def test_frames_change_around_the_head_and_the_background_stays_still(avatar: dict[str, Any], photos: Any) -> None:
    import av
    import numpy as np
    from PIL import Image

    from apexlocal.engines.faces import find_faces

    with av.open(str(avatar["output"].files[0].path)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.float32)
    moving = frames.std(axis=0).mean(axis=2) > 3.0  # pixels whose level visibly varies over time
    canvas = place_photo(np.asarray(Image.open(photos["astronaut"]).convert("RGB")), (854, 480))
    [face] = find_faces(canvas)  # where the engine placed the face
    x0, y0, x1, y1 = face.box
    w, h = x1 - x0, y1 - y0
    head = np.zeros(moving.shape, bool)
    head[max(0, y0 - h) : y1 + h, max(0, x0 - w) : x1 + w] = True  # a fifth of the frame
    assert moving[head].sum() / moving.sum() >= 0.75  # most of the motion is the head's
    assert moving[~head].mean() < 0.03  # the background hardly changes (encoder noise)
    assert moving[head].mean() > 0.1
    mouth = moving[round(face.landmarks[2][1]) : y1, x0:x1]
    assert mouth.mean() > 0.5  # the lips move most


def test_progress_goes_voice_then_lip_sync_then_encoding(avatar: dict[str, Any]) -> None:
    events = avatar["events"]
    assert events.stages() == ["voice", "lip-sync", "encoding"]
    lip = [f for s, f in events.items if s == "lip-sync"]
    assert lip == sorted(lip) and lip[-1] == 1.0 and len(lip) > 3


def test_a_photo_without_a_face_fails_before_any_voice(th_ctx: Any, th_manifest: Any) -> None:
    ctx, events = th_ctx()
    model = th_manifest.resolve("omnihuman-1.5", "avatar")
    spec = {"image": "coffee", "resolution": "480p", "text": TEXT, "voiceModel": "piper-joe-medium"}
    with pytest.raises(JobError, match=r"^image: no face found$"):
        TalkingHeadEngine().run(spec, model, ctx)
    assert events.items == []
    assert list(ctx.scratch_dir.iterdir()) == []


def test_with_several_faces_the_largest_speaks(photos: Any) -> None:
    faces = check_photo(photos["pair"])
    assert len(faces) == 2
    assert faces[0].area > faces[1].area and faces[0].box[2] <= 512  # the full-size astronaut


def test_speech_past_five_minutes_fails(tmp_path: Path) -> None:
    import numpy as np

    long = tmp_path / "long.wav"
    write_wav(long, np.zeros(int((MAX_SPEECH_S + 1) * 8000), np.float32), 8000)
    with pytest.raises(JobError, match=r"^audio: the speech runs 301 s, more than the 5-minute cap \(300 s\)"):
        speech_seconds(long, "audio")


def test_recorded_audio_drives_the_lips_and_a_cancel_leaves_nothing(
    th_ctx: Any, th_manifest: Any, avatar: dict[str, Any]
) -> None:
    speech = avatar["ctx"].scratch_dir / "speech.wav"

    def after_two_batches(items: list[tuple[str, float]]) -> bool:
        return sum(1 for s, _ in items if s == "lip-sync") >= 2

    ctx, events = th_ctx(cancel_when=after_two_batches, inputs={"speech": speech})
    model = th_manifest.resolve("kling-avatar-v2", "avatar")
    with pytest.raises(JobCancelled):
        TalkingHeadEngine().run({"image": "astronaut", "resolution": "480p", "audio": "speech"}, model, ctx)
    assert "voice" not in events.stages()
    assert sum(1 for s, _ in events.items if s == "lip-sync") == 2  # stopped at the next batch
    assert not any(p.suffix == ".mp4" or p.name.endswith(".part") for p in ctx.scratch_dir.rglob("*"))
