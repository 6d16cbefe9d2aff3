"""MuseTalk 1.5 on diffusers and transformers: the lip-sync model of the `talking-head` engine.

How it works (upstream's scripts/inference.py, musetalk/utils/audio_processor.py and
musetalk/models/vae.py, rebuilt on the library classes):

- Audio: 16 kHz speech in 30 s windows through `WhisperFeatureExtractor` (80 log-mel bins) and the
  encoder of `WhisperModel` (whisper-tiny); every layer's hidden states are kept (embeddings + 4
  layers, 384 wide, 50 per second). Video frame i takes the 10 feature steps starting at
  floor(i * 50 / fps) of the sequence padded with 2 * ceil(50 / fps) zero steps in front: a window
  of about 0.2 s around the frame, flattened to 50 tokens of 384, plus a sinusoidal position code.
- Face: a crop of the lower face resized to 256x256 (see geometry.py), encoded by the VAE
  (sd-vae-ft-mse `AutoencoderKL`) twice: once with its lower half blacked out, once whole as the
  reference; the two 4-channel latents (32x32) are stacked into 8 channels.
- One UNet step: `UNet2DConditionModel` at timestep 0, cross-attending to the audio tokens,
  predicts the face's latent directly (no noise, no scheduler), which the VAE decodes to the new
  256x256 face.

Where this differs from upstream: latents are the VAE posterior's mode, not a random sample (the
same face every run; upstream's training code uses the mode too), and the UNet is built on the
`meta` device and given the checkpoint's tensors, instead of being built with random weights first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext, model_parts
from apexlocal.engines.runtime import torch_dtype_for
from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np
    import torch

CROP = 256  # the face crop MuseTalk was trained on
AUDIO_RATE = 16_000
FEATURE_RATE = 50  # Whisper encoder steps per second
WINDOW_S = 30  # Whisper's input window
PAD_LEFT = PAD_RIGHT = 2  # upstream's audio_padding_length_left / _right
STEPS_PER_FRAME = 2 * (PAD_LEFT + PAD_RIGHT + 1)  # 10 feature steps per video frame
UNET_DIR = "musetalkV15"
PART_ROLES = ("vae", "audio_encoder")


@dataclass
class MuseTalk:
    unet: Any  # diffusers UNet2DConditionModel
    vae: Any  # diffusers AutoencoderKL
    encoder: Any  # transformers WhisperEncoder
    features: Any  # transformers WhisperFeatureExtractor
    device: str
    dtype: Any  # torch.dtype

    @property
    def batch_size(self) -> int:
        """Frames per UNet call: upstream's 8 doubled on a GPU; 4 on a CPU keeps cancels prompt."""
        return 4 if self.device == "cpu" else 16

    @property
    def components(self) -> dict[str, Any]:
        """What the warm runtime counts the memory of."""
        return {"unet": self.unet, "vae": self.vae, "encoder": self.encoder}

    def speech_features(self, samples: np.ndarray, fps: float) -> SpeechFeatures:
        """The Whisper features of `samples` (16 kHz mono float32), cut into windows per frame
        at `fps` by `SpeechFeatures.windows`."""
        hidden = self._encode_audio(samples)  # [1, steps, layers, width]
        steps = math.floor(samples.shape[0] / AUDIO_RATE * FEATURE_RATE)
        return SpeechFeatures(hidden[0, :steps], fps)

    def _encode_audio(self, samples: np.ndarray) -> torch.Tensor:
        import torch

        window = WINDOW_S * AUDIO_RATE
        parts = []
        with torch.inference_mode():
            for start in range(0, max(1, samples.shape[0]), window):
                mel = self.features(
                    samples[start : start + window], sampling_rate=AUDIO_RATE, return_tensors="pt"
                ).input_features
                out = self.encoder(mel.to(self.device, self.dtype), output_hidden_states=True)
                parts.append(torch.stack(out.hidden_states, dim=2).float().cpu())
        return torch.cat(parts, dim=1)

    def face_latents(self, crops: np.ndarray) -> torch.Tensor:
        """[B, 8, 32, 32]: the masked and the whole face latents of B 256x256 RGB uint8 crops."""
        import torch

        pixels = torch.from_numpy(crops).to(self.device).permute(0, 3, 1, 2).to(self.dtype) / 127.5 - 1.0
        masked = pixels.clone()
        masked[:, :, CROP // 2 :, :] = -1.0  # the lower half black, as upstream's half mask
        with torch.inference_mode():
            both = self.vae.encode(torch.cat([masked, pixels])).latent_dist.mode()
        both = both * self.vae.config.scaling_factor
        return torch.cat(both.chunk(2), dim=1)

    def generate(self, latents: torch.Tensor, audio: torch.Tensor) -> np.ndarray:
        """New faces, [B, 256, 256, 3] RGB uint8, from face latents [B, 8, ...] and audio tokens
        [B, tokens, width]: one UNet step at t = 0, then the VAE decoder."""
        import torch

        with torch.inference_mode():
            tokens = audio.to(self.device, self.dtype)
            tokens = tokens + positional_encoding(tokens.shape[1], tokens.shape[2]).to(self.device, self.dtype)
            timestep = torch.zeros(1, device=self.device, dtype=torch.long)
            predicted = self.unet(latents.to(self.dtype), timestep, encoder_hidden_states=tokens).sample
            image = self.vae.decode(predicted / self.vae.config.scaling_factor).sample
            image = ((image.float() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
        return image.permute(0, 2, 3, 1).cpu().numpy()


@dataclass
class SpeechFeatures:
    hidden: torch.Tensor  # [steps, layers, width], 50 steps a second
    fps: float

    def windows(self, frames: Sequence[int]) -> torch.Tensor:
        """[len(frames), 10 * layers, width] audio tokens: frame i takes the 10 steps from
        floor(i * 50 / fps) of the features with 2 * ceil(50 / fps) zero steps in front (about
        0.2 s around the frame); steps past the end of the speech are zeros."""
        import torch

        per_frame = FEATURE_RATE / self.fps
        lead = math.ceil(per_frame) * PAD_LEFT
        total = self.hidden.shape[0]
        out = self.hidden.new_zeros((len(frames), STEPS_PER_FRAME, *self.hidden.shape[1:]))
        for row, i in enumerate(frames):
            start = math.floor(i * per_frame) - lead  # in unpadded steps
            lo, hi = max(0, start), min(total, start + STEPS_PER_FRAME)
            if hi > lo:
                out[row, lo - start : hi - start] = self.hidden[lo:hi]
        return torch.flatten(out, 1, 2)


def positional_encoding(length: int, width: int) -> torch.Tensor:
    """Upstream's PositionalEncoding: sin on even, cos on odd channels, [1, length, width]."""
    import torch

    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    pe = torch.zeros(length, width)
    pe[:, 0::2] = torch.sin(position * div)
    pe[:, 1::2] = torch.cos(position * div)
    return pe.unsqueeze(0)


def load_musetalk(model: ModelEntry, ctx: EngineContext) -> MuseTalk:
    """The model, warm in ctx.runtime after the first job; its parts are pulled first if needed."""
    parts = model_parts(model, ctx.manifest, PART_ROLES)
    folders = {"unet": ctx.model_dir(model), **{role: ctx.model_dir(entry) for role, entry in parts.items()}}
    key = f"talking-head:{model.id}:{'+'.join(p.id for p in parts.values())}:{ctx.device}"
    loaded: MuseTalk = ctx.runtime.get(key, lambda: _load(folders, ctx.device))
    return loaded


def _load(folders: dict[str, Path], device: str) -> MuseTalk:
    from diffusers import AutoencoderKL
    from transformers import WhisperFeatureExtractor, WhisperModel

    dtype = torch_dtype_for(device)
    unet = _load_unet(folders["unet"] / UNET_DIR, dtype).to(device).eval()
    vae = AutoencoderKL.from_pretrained(folders["vae"], torch_dtype=dtype, local_files_only=True)
    whisper = WhisperModel.from_pretrained(folders["audio_encoder"], torch_dtype=dtype, local_files_only=True)
    features = WhisperFeatureExtractor.from_pretrained(folders["audio_encoder"], local_files_only=True)
    encoder = whisper.get_encoder().to(device).eval()
    return MuseTalk(unet, vae.to(device).eval(), encoder, features, device, dtype)


def _load_unet(folder: Path, dtype: Any) -> Any:
    """musetalk.json (the UNet's config) and unet.pth (its state dict), as upstream loads them."""
    import torch
    from diffusers import UNet2DConditionModel

    config_path, weights_path = folder / "musetalk.json", folder / "unet.pth"
    for path in (config_path, weights_path):
        if not path.is_file():
            raise ModelError(f"MuseTalk: {path} is missing")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    with torch.device("meta"):
        unet: Any = UNet2DConditionModel(**{k: v for k, v in config.items() if not k.startswith("_")})
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    unet.load_state_dict(state, strict=True, assign=True)
    if any(p.dtype != dtype for p in unet.parameters()):
        unet = unet.to(dtype)
    return unet
