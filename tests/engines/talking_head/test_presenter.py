"""The narrated video's presenter (`avatarImage`), at the engine: the face speaks the narration in
a picture-in-picture in the top-right corner over the generated scenes (tiny video and MuseTalk
stand-ins, real Piper speech)."""

from __future__ import annotations

from typing import Any

import pytest

from apexlocal.engines import compose as c
from apexlocal.engines.scripted_video.engine import ScriptedVideoEngine
from apexlocal.engines.scripted_video.presenter import INSET, pip_side
from apexlocal.errors import JobError

SCRIPT = "The harbor wakes before the town."


def test_the_presenter_speaks_in_the_top_right_corner(th_ctx: Any, th_manifest: Any) -> None:
    import av
    import numpy as np

    ctx, events = th_ctx()
    model = th_manifest.resolve("wan-2.6", "video")
    spec = {"script": SCRIPT, "duration": 3, "resolution": "720p", "captions": False, "avatarImage": "astronaut"}
    output = ScriptedVideoEngine().run({**spec, "voiceModel": "piper-joe-medium"}, model, ctx)
    meta = output.metadata["presenter"]
    side = pip_side((1280, 720))
    assert meta == {
        "model": "musetalk-1.5",
        "facesFound": 1,
        "layout": "picture-in-picture",
        "position": "top-right",
        "size": [side, side],
    }
    stages = events.stages()
    assert stages.index("presenter: lip-sync") < stages.index("loading video model")
    path = output.files[0].path
    info = c.probe(path)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (1280, 720, "h264", "aac")
    with av.open(str(path)) as container:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)]).astype(np.float32)
    inset = round(720 * INSET)
    x0, y0 = 1280 - inset - side, inset
    border = frames[:, y0 - 2, x0 + 10 : x0 + side - 10] @ np.array([0.299, 0.587, 0.114], np.float32)
    # The white frame around it, by its brightness: 4:2:0 chroma bleeds the scene's colour into
    # single channels of a 2-pixel line (a channel at 195 was seen beside 255s).
    assert border.min() > 200
    pip = frames[:, y0 : y0 + side, x0 : x0 + side]
    # The face inside the square is the one that moves: its lower middle changes most.
    motion = pip.std(axis=0).mean(axis=2)
    assert motion[side // 4 : 3 * side // 4, side // 4 : 3 * side // 4].mean() > motion[: side // 8].mean()


def test_a_presenter_photo_without_a_face_fails_before_any_narration(th_ctx: Any, th_manifest: Any) -> None:
    ctx, events = th_ctx()
    model = th_manifest.resolve("wan-2.6", "video")
    spec = {"script": SCRIPT, "duration": 3, "avatarImage": "coffee", "voiceModel": "piper-joe-medium"}
    with pytest.raises(JobError, match=r"^avatarImage: no face found$"):
        ScriptedVideoEngine().run(spec, model, ctx)
    assert events.items == []
