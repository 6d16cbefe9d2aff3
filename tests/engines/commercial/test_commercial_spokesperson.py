"""The commercial engine with `spokespersonImage`: a real face (scikit-image's astronaut) speaks
the hook and the call to action, lip-synced by the talking-head engine on MuseTalk's tiny
stand-ins; the scenes between them come from the tiny video model. The writer is a fake (no
language model loads); the voice is the packaged Piper one. A photo without a face fails first.

The ad is made at half the platform's frame in each direction (540x960 for TikTok): lip-sync and
composition cost by the pixel, and the full-HD frame is checked end to end in
tests/products/commercial (the same composition, without a spokesperson).

The talking-head tests' fixtures (tests/engines/talking_head/conftest.py) are reused here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines import compose as c
from apexlocal.engines.commercial import request as commercial_request
from apexlocal.engines.commercial.engine import make_commercial
from apexlocal.errors import JobError
from tests.engines.commercial.fake_writer import BOTTLE, FakeWriter
from tests.engines.talking_head.conftest import make_context, photos, th_manifest, th_models, th_runtime

__all__ = ["photos", "th_manifest", "th_models", "th_runtime"]  # the fixtures, imported to be found

SPEC = {
    "product": "a reusable steel water bottle",
    "platform": "tiktok",  # made at FRAME here (see the module's docs)
    "duration": 15,  # the shortest
    "tone": "energetic",
    "spokespersonImage": "astronaut",
    "voiceModel": "piper-joe-medium",
}
FRAME = (540, 960)  # half of TikTok's 1080x1920, still 9:16


def run(spec: dict[str, Any], scratch: Path, fixtures: tuple[Any, ...]) -> Any:
    models, runtime, manifest, inputs = fixtures
    ctx, _events = make_context(scratch, models, runtime, manifest, inputs)
    return make_commercial(spec, manifest.default_for("video"), ctx, writer=FakeWriter(BOTTLE))


@pytest.fixture(scope="module")
def ad(tmp_path_factory: pytest.TempPathFactory, th_models: Any, th_runtime: Any, th_manifest: Any, photos: Any) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(commercial_request.PLATFORMS, "tiktok", ("9:16", FRAME))
        return run(SPEC, tmp_path_factory.mktemp("commercial") / "job", (th_models, th_runtime, th_manifest, photos))


def frames_at(path: Path, times: list[float]) -> list[Any]:
    """The first decoded frame at or after each time (seconds), RGB."""
    import av

    out, wanted = [], sorted(times)
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if wanted and frame.time is not None and frame.time >= wanted[0]:
                out.append(frame.to_ndarray(format="rgb24"))
                wanted.pop(0)
    assert not wanted, f"no frames at {wanted}"
    return out


def test_the_hook_and_the_call_to_action_are_the_lip_synced_spokesperson(ad: Any) -> None:
    from apexlocal.engines.faces import find_faces

    clips = ad.metadata["sceneClips"]
    assert [(clip["part"], clip["source"]) for clip in clips] == [
        ("hook", "spokesperson"),
        ("scene", "video"),
        ("scene", "video"),
        ("cta", "spokesperson"),
    ]
    assert "spokesperson" in ad.metadata["stageSeconds"]
    talking = [clip for clip in clips if clip["source"] == "spokesperson"]
    middles = [(clip["start"] + clip["end"]) / 2 for clip in talking]
    for when, frame in zip(middles, frames_at(ad.files[0].path, middles), strict=True):
        faces = find_faces(frame)
        assert faces, f"no face at {when:.2f} s"
        x0, _, x1, _ = faces[0].box
        assert x1 - x0 > frame.shape[1] / 8, (when, faces[0].box)  # the spokesperson's face, not a speck


def test_it_lasts_the_duration_at_the_platform_frame(ad: Any) -> None:
    info = c.probe(ad.files[0].path)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (*FRAME, "h264", "aac")
    assert (ad.metadata["width"], ad.metadata["height"]) == FRAME
    assert info.duration == pytest.approx(15.0, abs=0.1)
    assert (ad.metadata["duration"], ad.metadata["durationSeconds"]) == (15, pytest.approx(15.0, abs=0.05))


def test_a_photo_without_a_face_fails_naming_spokesperson_image(
    tmp_path: Path, th_models: Any, th_runtime: Any, th_manifest: Any, photos: Any
) -> None:
    writer = FakeWriter(BOTTLE)
    ctx, events = make_context(tmp_path / "job", th_models, th_runtime, th_manifest, photos)
    spec = {**SPEC, "spokespersonImage": "coffee"}
    with pytest.raises(JobError, match=r"^spokespersonImage: no face found$"):
        make_commercial(spec, th_manifest.default_for("video"), ctx, writer=writer)
    assert writer.calls == [] and events.items == []  # failed before writing or narrating
