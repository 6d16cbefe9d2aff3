"""BiRefNet (MIT), the cut-out model on a CUDA GPU: its Hugging Face checkpoint with the model code
that ships beside the weights (`trust_remote_code`, pinned to the manifest's revision), run at
1024x1024 as its authors do. Not run on the machines this project is tested on (no GPU, no model
hub): the CPU path is U2-Net-p (u2net.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

INPUT_SIDE = 1024
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def load(folder: Path, entry: ModelEntry, device: str) -> Any:
    import torch
    from transformers import AutoModelForImageSegmentation

    try:
        model = AutoModelForImageSegmentation.from_pretrained(folder, trust_remote_code=True, local_files_only=True)
    except Exception as exc:  # remote code and weights fail in many ways
        raise ModelError(f"{entry.id}: cannot load from {folder} ({type(exc).__name__}: {exc})") from exc
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    return model.to(device=device, dtype=dtype).eval()


def predict(model: Any, rgb: np.ndarray, device: str) -> np.ndarray:
    """Foreground probability at 1024x1024 (float32, 0..1)."""
    import numpy as np
    import torch
    from PIL import Image

    small = Image.fromarray(rgb).resize((INPUT_SIDE, INPUT_SIDE), Image.Resampling.BILINEAR)
    x = (np.asarray(small, np.float32) / 255.0 - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    dtype = next(model.parameters()).dtype
    tensor = torch.from_numpy(x.transpose(2, 0, 1)[None].copy()).to(device=device, dtype=dtype)
    with torch.inference_mode():
        logits = model(tensor)[-1]  # the last of its outputs is the finest prediction
    return torch.sigmoid(logits.float())[0, 0].cpu().numpy()
