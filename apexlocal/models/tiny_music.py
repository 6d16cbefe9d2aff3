"""Random-weight stand-in of the music model for the `tiny` set: ACE-Step 1.5's own
`AceStepPipeline` with every component built small under a fixed seed and saved with
`save_pretrained`, so the engine loads it with `from_pretrained(..., local_files_only=True)` exactly
as it loads the real files.

Sizes: the DiT and the condition encoder are 32 wide with two heads; the text encoder is a one-layer
Qwen3 (16 wide) over a byte-level Qwen tokenizer built in memory; the Oobleck VAE keeps the real
model's downsampling (2 x 4 x 4 x 6 x 10 = 1920 samples per latent at 48 kHz, 25 latents a second)
with 4 channels, and 8 acoustic channels where the real one has 64. The silence latent is the
class's placeholder (zeros), as before conversion. A 12 s bed takes seconds on a CPU; the output is
noise of the right length, rate and channels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option

ACOUSTIC = 8  # latent channels (64 in the real model)


def _ace_step15(out: Path, seed: int) -> None:
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step.modeling_ace_step import AceStepConditionEncoder
    from transformers import Qwen3Model

    from apexlocal.models.tiny_text import qwen3_config, qwen_tokenizer

    torch.manual_seed(seed)
    tokenizer = qwen_tokenizer()
    text_encoder = Qwen3Model(qwen3_config(len(tokenizer), 1))
    attention: dict[str, Any] = {
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 16,
        "sliding_window": 16,
    }
    pipe: Any = AceStepPipeline(
        vae=AutoencoderOobleck(
            encoder_hidden_size=4,
            downsampling_ratios=[2, 4, 4, 6, 10],
            channel_multiples=[1, 1, 1, 1, 1],
            decoder_channels=4,
            decoder_input_channels=ACOUSTIC,
            audio_channels=2,
            sampling_rate=48_000,
        ),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=AceStepTransformer1DModel(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            in_channels=3 * ACOUSTIC,
            audio_acoustic_hidden_dim=ACOUSTIC,
            patch_size=2,
            is_turbo=True,
            model_version="turbo",
            **attention,
        ),
        condition_encoder=AceStepConditionEncoder(
            hidden_size=32,
            intermediate_size=64,
            text_hidden_dim=text_encoder.config.hidden_size,
            timbre_hidden_dim=ACOUSTIC,
            num_lyric_encoder_hidden_layers=1,
            num_timbre_encoder_hidden_layers=1,
            **attention,
        ),
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0),
    )
    pipe.save_pretrained(out)


BUILDERS: dict[str, Callable[[Path, int], None]] = {"ace_step15": _ace_step15}


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the music stand-in `builder` into `out_dir`, atomically."""
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny music builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(staging, seed))
