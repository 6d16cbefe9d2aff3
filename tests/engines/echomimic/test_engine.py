"""The avatar engine with EchoMimicV3 Flash's tiny stand-ins (random weights: the head square is
noise, the pipeline is the real one), the astronaut photo and Piper speech: an MP4 of the asked
size, as long as the speech, whose frames change around the head only; cancel stops at the next
sampling step and leaves no video."""

from __future__ import annotations

from typing import Any

import pytest

from apexlocal.engines import compose as c
from apexlocal.engines.echomimic.render import head_box
from apexlocal.engines.speech_to_text.decode import SAMPLE_RATE, decode_audio
from apexlocal.engines.talking_head.engine import TalkingHeadEngine
from apexlocal.engines.talking_head.placement import place_photo
from apexlocal.errors import JobCancelled, JobError
from tests.engines.talking_head.conftest import make_context

TEXT = "Hello there. The astronaut is speaking today, for a little while longer."


@pytest.fixture(scope="module")
def avatar(tmp_path_factory: Any, th_models: Any, th_runtime: Any, th_manifest: Any, photos: Any) -> dict[str, Any]:
    ctx, events = make_context(tmp_path_factory.mktemp("em-avatar") / "job", th_models, th_runtime, th_manifest, photos)
    model = th_manifest.resolve("omnihuman-1.5", "avatar")
    spec = {"image": "astronaut", "resolution": "480p", "model": "omnihuman-1.5", "text": TEXT}
    spec["voiceModel"] = "piper-joe-medium"
    return {"output": TalkingHeadEngine().run(spec, model, ctx), "events": events, "ctx": ctx}


def test_the_seed_names_choose_the_model(th_manifest: Any) -> None:
    assert th_manifest.resolve("kling-avatar-v2", "avatar").id == "echomimic-v3-flash"
    assert th_manifest.resolve("omnihuman-1.5", "avatar").id == "echomimic-v3-flash"
    assert th_manifest.resolve("veed-fabric", "avatar").id == "musetalk-1.5"
    assert th_manifest.resolve("creatify-aurora", "avatar").id == "musetalk-1.5"
    assert th_manifest.default_for("avatar").id == "musetalk-1.5"


def test_an_mp4_of_the_asked_size_as_long_as_the_speech(avatar: dict[str, Any]) -> None:
    [out] = avatar["output"].files
    info = c.probe(out.path)
    assert (info.video_codec, info.audio_codec, info.width, info.height) == ("h264", "aac", 854, 480)
    speech_s = decode_audio(avatar["ctx"].scratch_dir / "speech.wav").shape[0] / SAMPLE_RATE
    assert speech_s > 3.5  # long enough for three tiny clips of 33 frames
    assert abs(info.frames / info.fps - speech_s) <= 0.1
    assert abs(decode_audio(out.path).shape[0] / SAMPLE_RATE - speech_s) <= 0.1
    meta = avatar["output"].metadata
    assert (meta["modelId"], meta["model"], meta["fps"]) == ("echomimic-v3-flash", "omnihuman-1.5", 25.0)
    assert "by the model" in meta["motion"]
    assert avatar["events"].stages() == ["voice", "lip-sync", "encoding"]


def test_frames_change_around_the_head_and_the_rest_stays_still(avatar: dict[str, Any], photos: Any) -> None:
    import av
    import numpy as np
    from PIL import Image

    from apexlocal.engines.faces import find_faces

    with av.open(str(avatar["output"].files[0].path)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.float32)
    moving = frames.std(axis=0).mean(axis=2) > 3.0
    canvas = place_photo(np.asarray(Image.open(photos["astronaut"]).convert("RGB")), (854, 480))
    [face] = find_faces(canvas)
    x0, y0, x1, y1 = head_box(face, (854, 480))
    head = np.zeros(moving.shape, bool)
    head[y0:y1, x0:x1] = True
    assert moving[head].sum() / moving.sum() >= 0.9
    assert moving[~head].mean() < 0.03
    fx0, fy0, fx1, fy1 = face.box
    assert moving[fy0:fy1, fx0:fx1].mean() > 0.5  # the face itself changes (the model draws it)


def test_cancel_stops_at_the_next_step_and_leaves_no_video(em_ctx: Any, th_manifest: Any, avatar: Any) -> None:
    speech = avatar["ctx"].scratch_dir / "speech.wav"

    def after_two_steps(items: list[tuple[str, float]]) -> bool:
        return sum(1 for s, _ in items if s == "lip-sync") >= 2

    ctx, events = em_ctx(cancel_when=after_two_steps, inputs={"speech": speech})
    model = th_manifest.resolve("kling-avatar-v2", "avatar")
    with pytest.raises(JobCancelled):
        TalkingHeadEngine().run({"image": "astronaut", "resolution": "480p", "audio": "speech"}, model, ctx)
    assert sum(1 for s, _ in events.items if s == "lip-sync") == 2
    assert not any(p.suffix == ".mp4" or p.name.endswith(".part") for p in ctx.scratch_dir.rglob("*"))


def test_a_photo_without_a_face_fails_before_the_model(em_ctx: Any, th_manifest: Any, avatar: Any) -> None:
    ctx, events = em_ctx(inputs={"speech": avatar["ctx"].scratch_dir / "speech.wav"})
    model = th_manifest.resolve("omnihuman-1.5", "avatar")
    with pytest.raises(JobError, match=r"^image: no face found$"):
        TalkingHeadEngine().run({"image": "coffee", "resolution": "480p", "audio": "speech"}, model, ctx)
    assert events.items == []
