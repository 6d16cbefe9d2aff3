"""Speech features of EchoMimicV3: wav2vec2 hidden states at the video's frame rate.

Upstream (infer_flash.py get_audio_embed and src/wav2vec2.py): 16 kHz speech through
`Wav2Vec2FeatureExtractor`, then transformers' `Wav2Vec2Model` with one change: the
convolutional features (50 a second) are linearly interpolated (align_corners) to one per video
frame BEFORE the feature projection and the transformer encoder. Every encoder layer's output is
kept (12 layers of 768 for chinese-wav2vec2-base). Frame i then takes the features of frames
i-2..i+2, clamped at the ends (`frame_windows`).

Upstream first scales the speech to -23 LUFS; the extractor's zero-mean, unit-variance
normalisation (`do_normalize`, on in chinese-wav2vec2-base) removes any constant gain, so that
step is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from apexlocal.engines.echomimic.layout import AUDIO_WINDOW

if TYPE_CHECKING:
    import numpy as np
    import torch

AUDIO_RATE = 16_000


def frame_features(encoder: Any, extractor: Any, samples: np.ndarray, frames: int, device: str) -> torch.Tensor:
    """[frames, layers, width] float32 on the CPU: wav2vec2's layer outputs, one row per frame."""
    import torch
    import torch.nn.functional as F

    values = extractor(samples, sampling_rate=AUDIO_RATE, return_tensors="pt").input_values
    dtype = next(encoder.parameters()).dtype
    with torch.inference_mode():
        conv = encoder.feature_extractor(values.to(device, dtype))  # [1, channels, steps]
        conv = F.interpolate(conv.float(), size=frames, mode="linear", align_corners=True).to(dtype)
        hidden, _ = encoder.feature_projection(conv.transpose(1, 2))
        outputs: list[torch.Tensor] = []
        # each layer's output (upstream's hidden_states[1:]), taken by hooks: transformers 5's
        # inner encoder no longer returns hidden states on request
        hooks = [
            layer.register_forward_hook(lambda _m, _i, out: outputs.append(out[0] if isinstance(out, tuple) else out))
            for layer in encoder.encoder.layers
        ]
        try:
            encoder.encoder(hidden)
        finally:
            for hook in hooks:
                hook.remove()
        layers = torch.stack(outputs, dim=2)  # [1, frames, layers, width]
    return layers[0].float().cpu()


def frame_windows(features: torch.Tensor, frames: Sequence[int]) -> torch.Tensor:
    """[len(frames), 5, layers, width]: each frame's features and its two neighbours on each
    side, indices clamped to the speech's frames (upstream's center_indices)."""
    import torch

    half = AUDIO_WINDOW // 2
    index = torch.tensor(list(frames)).unsqueeze(1) + torch.arange(-half, half + 1).unsqueeze(0)
    return features[index.clamp(0, features.shape[0] - 1)]
