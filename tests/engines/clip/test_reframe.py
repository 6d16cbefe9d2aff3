"""The crop path: the target aspect's largest box, following the face smoothly within a shot,
jumping only at a scene cut, held still for a still face, centred without one."""

from __future__ import annotations

from apexlocal.engines.clip.reframe import CropPath, crop_size


def test_crop_sizes_keep_the_aspect_inside_the_frame() -> None:
    assert crop_size(1920, 1080, "9:16") == (606, 1080)
    assert crop_size(1920, 1080, "1:1") == (1080, 1080)
    assert crop_size(1920, 1080, "16:9") == (1920, 1080)
    assert crop_size(1080, 1920, "16:9") == (1080, 606)


def test_the_crop_follows_a_moving_face_and_jumps_only_at_the_cut() -> None:
    faces = [(t, (0.2 + 0.05 * t, 0.5, 0.1)) for t in range(10)] + [(t, (0.8, 0.5, 0.1)) for t in range(10, 20)]
    path = CropPath((1000, 500), "9:16", 0.0, 20.0, [10.0], faces)
    steps = []
    previous = path.centre_at(0.0)[0]
    for k in range(1, 200):
        x = path.centre_at(k / 10)[0]
        steps.append((k / 10, abs(x - previous)))
        previous = x
    big = [t for t, step in steps if step > 20]
    assert big == [10.0], "the only jump is at the scene cut"
    assert abs(path.centre_at(5.0)[0] - 0.45 * 1000) < 15, "it follows the face"
    x0, y0, x1, y1 = path.box_at(5.0)
    assert (x1 - x0, y1 - y0) == path.size and x0 >= 0 and x1 <= 1000


def test_a_still_face_gives_a_still_frame_and_no_face_the_centre() -> None:
    jitter = [(t * 0.5, (0.5 + (0.01 if t % 2 else -0.01), 0.5, 0.1)) for t in range(20)]
    still = CropPath((1000, 500), "9:16", 0.0, 10.0, [], jitter)
    assert len({still.box_at(t / 4) for t in range(40)}) == 1
    empty = CropPath((1000, 500), "1:1", 0.0, 10.0, [], [(1.0, None)])
    assert empty.box_at(3.0) == (250, 0, 750, 500)
