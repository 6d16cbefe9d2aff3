"""Random-weight stand-ins of MuseTalk 1.5's three parts for the `tiny` set.

MuseTalk is a diffusers `UNet2DConditionModel` (8 latent channels in: the masked face and the
reference face; cross-attention over Whisper encoder features), the `AutoencoderKL` of
sd-vae-ft-mse, and the encoder of transformers' `WhisperModel` (whisper-tiny) with its
`WhisperFeatureExtractor`. Each builder makes the SAME class from a small config under a fixed seed
and writes it in the layout of the real download, so the engine loads both alike:

- `musetalk_tiny`: `musetalkV15/musetalk.json` (the UNet's config) and `musetalkV15/unet.pth` (its
  state dict, as `torch.save` wrote upstream's);
- `sd_vae_tiny`: `config.json` and `diffusion_pytorch_model.safetensors` (`save_pretrained`);
- `whisper_encoder_tiny`: `config.json`, `model.safetensors` and `preprocessor_config.json`.

What keeps them fast on a CPU: the VAE keeps the real 8x downsampling (a 256x256 face crop is a
32x32 latent, as in MuseTalk) with 4 to 8 channels (those of the tiny set's other VAEs) and no
mid-block attention; the UNet has two levels of 8 and 16 channels and attends (to itself and to
the audio) at the lower one only, 16x16, where attention costs a sixteenth of 32x32's. Each frame
of a lip-sync test runs both, so their width is most of those tests' time. Whisper is 16 wide
with two layers but keeps the real front end (80 mel bins, 30 s windows of 3000 frames, 1500
positions at 50 per second), so audio features line up with video frames exactly as with the real
model. The widths agree across the three builders: the UNet attends over TINY_AUDIO_DIM features
and takes 2 x TINY_LATENT latents.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option

TINY_AUDIO_DIM = 16  # Whisper's d_model (384 in whisper-tiny)
TINY_LATENT = 4  # the VAE's latent channels, as in sd-vae-ft-mse
UNET_DIR = "musetalkV15"
UNET_CONFIG = "musetalk.json"
UNET_WEIGHTS = "unet.pth"


def tiny_unet_config() -> dict[str, Any]:
    """MuseTalk's UNet layout (8 in, 4 out, cross-attention over audio) at a tiny width."""
    return {
        "_class_name": "UNet2DConditionModel",
        "act_fn": "silu",
        "attention_head_dim": 2,
        "block_out_channels": [8, 16],
        "center_input_sample": False,
        "cross_attention_dim": TINY_AUDIO_DIM,
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": 2 * TINY_LATENT,
        "layers_per_block": 1,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": 8,
        "out_channels": TINY_LATENT,
        "sample_size": 32,
        "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
    }


def _musetalk_tiny(staging: Path, seed: int) -> None:
    import torch
    from diffusers import UNet2DConditionModel

    config = tiny_unet_config()
    folder = staging / UNET_DIR
    folder.mkdir()
    (folder / UNET_CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
    torch.manual_seed(seed)
    unet: Any = UNet2DConditionModel(**{k: v for k, v in config.items() if not k.startswith("_")})
    torch.save(unet.state_dict(), folder / UNET_WEIGHTS)


def _sd_vae_tiny(staging: Path, seed: int) -> None:
    import torch
    from diffusers import AutoencoderKL

    torch.manual_seed(seed)
    vae: Any = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 4, 8, 8),
        layers_per_block=1,
        latent_channels=TINY_LATENT,
        norm_num_groups=4,
        sample_size=256,
        mid_block_add_attention=False,
    )
    vae.save_pretrained(staging, safe_serialization=True)


def _whisper_encoder_tiny(staging: Path, seed: int) -> None:
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    config = WhisperConfig(
        vocab_size=64,
        num_mel_bins=80,
        d_model=TINY_AUDIO_DIM,
        encoder_layers=2,
        encoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_layers=1,
        decoder_attention_heads=2,
        decoder_ffn_dim=32,
        max_source_positions=1500,
        max_target_positions=16,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
        suppress_tokens=[],
        begin_suppress_tokens=[],
    )
    torch.manual_seed(seed)
    WhisperModel(config).eval().save_pretrained(staging, safe_serialization=True)
    WhisperFeatureExtractor(feature_size=80, sampling_rate=16_000).save_pretrained(staging)


BUILDERS: dict[str, Callable[[Path, int], None]] = {
    "musetalk_tiny": _musetalk_tiny,
    "sd_vae_tiny": _sd_vae_tiny,
    "whisper_encoder_tiny": _whisper_encoder_tiny,
}


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the talking-head stand-in `builder` into `out_dir`, atomically."""
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny talking-head builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(staging, seed))
