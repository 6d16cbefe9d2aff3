"""The face finder on real photos (scikit-image's bundled data) with RetinaFace's real weights,
and the crop, paste and tracking helpers built on it."""

from __future__ import annotations

from typing import Any

import pytest

from apexlocal.engines.faces import Face, find_faces
from apexlocal.engines.faces.crop import cut, feather_mask, paste, square_box
from apexlocal.engines.faces.track import FaceTracker

SKIMAGE_MISSING = "scikit-image is missing: pip install -e '.[test]' (its bundled photos are the test faces)"


@pytest.fixture(scope="module")
def data() -> Any:
    try:
        import skimage.data
    except ImportError:
        pytest.fail(SKIMAGE_MISSING)
    return skimage.data


def _inside(point: tuple[float, float], box: tuple[int, int, int, int]) -> bool:
    return box[0] <= point[0] < box[2] and box[1] <= point[1] < box[3]


def test_the_astronaut_has_one_face_with_its_landmarks_in_place(data: Any) -> None:
    [face] = find_faces(data.astronaut())
    x0, y0, x1, y1 = face.box
    assert 150 < x0 < x1 < 300 and 30 < y0 < y1 < 200  # her face, not the flag or the shuttle
    assert face.score > 0.95 and len(face.landmarks) == 5
    assert all(_inside(p, face.box) for p in face.landmarks)
    left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks
    assert left_eye[0] < right_eye[0] and mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


def test_pictures_without_a_face_have_none(data: Any) -> None:
    import numpy as np

    assert find_faces(data.coffee()) == []
    assert find_faces(np.full((360, 640, 3), 128, np.uint8)) == []


def test_a_large_picture_is_searched_scaled_down_and_boxes_come_back_in_its_pixels(data: Any) -> None:
    import numpy as np

    [small] = find_faces(data.astronaut())
    big = np.repeat(np.repeat(data.astronaut(), 4, axis=0), 4, axis=1)  # 2048x2048
    [face] = find_faces(big)
    assert all(abs(b - 4 * s) <= 12 for b, s in zip(face.box, small.box, strict=True))


def test_faces_come_largest_first(data: Any) -> None:
    import numpy as np
    from PIL import Image

    astronaut = data.astronaut()
    pair = np.zeros((512, 768, 3), np.uint8)
    pair[:, 256:], pair[128:384, :256] = astronaut, np.asarray(Image.fromarray(astronaut).resize((256, 256)))
    faces = find_faces(pair)
    assert len(faces) == 2 and faces[0].area > 2 * faces[1].area
    assert faces[0].box[0] >= 256 and faces[1].box[2] <= 256


def test_find_faces_wants_rgb_uint8() -> None:
    import numpy as np

    with pytest.raises(ValueError, match="uint8 HxWx3"):
        find_faces(np.zeros((10, 10), np.uint8))


def test_a_square_box_stays_in_the_frame() -> None:
    assert square_box((10, 20, 30, 60), margin=0.5) == (-10, 10, 50, 70)
    assert square_box((10, 20, 30, 60), margin=0.5, frame=(100, 100)) == (0, 10, 60, 70)
    assert square_box((0, 0, 90, 90), margin=1.0, frame=(100, 80)) == (0, 0, 80, 80)


def test_a_crop_past_the_edge_is_black_and_pasting_writes_only_inside_the_frame() -> None:
    import numpy as np

    frame = np.full((40, 40, 3), 100, np.uint8)
    crop = cut(frame, (-10, -10, 10, 10))
    assert crop.shape == (20, 20, 3) and crop[:10, :10].max() == 0 and crop[10:, 10:].min() == 100
    assert cut(frame, (0, 0, 20, 20), (8, 8)).shape == (8, 8, 3)
    paste(frame, np.full((20, 20, 3), 200, np.uint8), (-10, -10, 10, 10))
    assert frame[:10, :10].min() == 200 and frame[10:, :].max() == 100 and frame[:, 10:].max() == 100


def test_a_feathered_paste_keeps_the_border_and_fills_the_middle() -> None:
    import numpy as np

    mask = feather_mask((40, 40), feather=0.2)
    assert mask[20, 20] == pytest.approx(1.0) and mask[0, 0] < 0.05
    frame = np.zeros((60, 60, 3), np.uint8)
    paste(frame, np.full((40, 40, 3), 255, np.uint8), (10, 10, 50, 50), mask)
    assert frame[30, 30, 0] == 255 and frame[10, 10, 0] < 15 and frame[5, 5, 0] == 0


def test_the_tracker_follows_a_moving_face_and_lets_go_when_it_leaves(data: Any) -> None:
    import numpy as np

    astronaut = data.astronaut()
    canvas = np.zeros((512, 700, 3), np.uint8)
    frames = []
    for shift in (0, 8, 16, 24, 32, 40):
        frame = canvas.copy()
        frame[:, shift : shift + 512] = astronaut
        frames.append(frame)
    frames += [canvas.copy() for _ in range(4)]
    tracker = FaceTracker(detect_every=2, smoothing=0.5, lost_after=2)
    seen: list[Face | None] = [tracker.update(f) for f in frames]
    first, moved = seen[0], seen[5]
    assert first is not None and moved is not None
    assert 8 < moved.box[0] - first.box[0] < 40  # it follows, smoothed behind the true 40 px
    assert seen[-1] is None and tracker.faces_seen == 1
