"""A restart removes what the previous process left in its scratch folders and half-received uploads."""

from __future__ import annotations

from litestar.testing import TestClient

from apexlocal.app import create_app
from tests.conftest import make_settings


def test_startup_removes_the_scratch_and_uploads_a_crash_left(tmp_path, models_dir):
    settings = make_settings(tmp_path / "data", models_dir)
    scratch, tmp = settings.data_dir / "scratch", settings.data_dir / "tmp"
    left = [
        scratch / "job_1" / "inputs" / "photo.png",  # a job's fetched input
        scratch / "vc_1" / "sample.wav",  # the copy of a voice sample whose clone was refunded
        scratch / "preview-1" / "speech.wav",
        tmp / ".upload-abc123",
    ]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 100)
    kept = tmp / "not-an-upload.txt"
    kept.write_text("kept")

    with TestClient(create_app(settings, start_workers=False)):
        assert list(scratch.iterdir()) == []
        assert list(tmp.iterdir()) == [kept]
