"""One clip of EchoMimicV3 Flash: known first frames + speech windows -> new frames.

As upstream's WanFunInpaintAudioPipeline (src/pipeline_wan_fun_inpaint_audio_2512.py):

- Conditioning (Wan2.1-Fun-InP): the clip's frames with only the known ones kept (the photo for the
  first clip, the previous clip's last frames after that) are VAE-encoded; a 4-channel mask says,
  per latent frame, which frames are known (the first frame's mask repeated 4 times, as the VAE's
  first latent frame holds one frame). Noise (16) + mask (4) + known latents (16) = 36 channels in.
- Text: the fixed prompt's UMT5 states (encoded once at load); image: the CLIP ViT-H hidden states
  of the reference picture (31st of 32 blocks).
- 8 steps of UniPC in flow mode with shift 5 (diffusers' `UniPCMultistepScheduler`,
  `use_flow_sigmas`, as diffusers' Wan pipelines use; upstream's FlowUniPCMultistepScheduler is
  the same solver), and audio-only guidance: the prediction with the speech's windows and the one
  with zero windows, mixed as uncond + 3.0 x (cond - uncond). Upstream's text guidance is off in
  the Flash settings (both passes see the same prompt).

`on_step` runs before every step: the engine checks cancel there and reports progress.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apexlocal.engines.echomimic.layout import VAE_TIME

if TYPE_CHECKING:
    import numpy as np
    import torch

    from apexlocal.engines.echomimic.loading import EchoMimic


def sample_clip(
    em: EchoMimic,
    known: np.ndarray,
    frames: int,
    windows: torch.Tensor,
    image_features: torch.Tensor,
    generator: torch.Generator,
    on_step: Callable[[], None],
) -> np.ndarray:
    """`frames` (4k + 1) RGB uint8 frames [frames, H, W, 3] continuing `known` [n, H, W, 3]
    (n >= 1; they come back as the model redraws them), driven by `windows` [frames, 5, L, C]."""
    import torch

    height, width = known.shape[1:3]
    with torch.inference_mode():
        condition = _condition(em, known, frames)
        latents = torch.randn(
            (condition.shape[0], em.vae.config.z_dim, *condition.shape[2:]),
            generator=generator,
            dtype=torch.float32,
        ).to(em.device)
        scheduler = em.new_scheduler()
        scheduler.set_timesteps(em.settings.steps, device=em.device)
        audio = windows.unsqueeze(0).to(em.device, em.dtype)
        audio = torch.cat([audio, torch.zeros_like(audio)])  # with speech, without
        text = em.text.expand(2, -1, -1)
        image = image_features.to(em.device, em.dtype).expand(2, -1, -1)
        for t in scheduler.timesteps:
            on_step()
            model_in = torch.cat([latents.to(em.dtype), condition], dim=1).expand(2, -1, -1, -1, -1)
            both = em.transformer(model_in, t.expand(2), text, image, audio).float()
            speech, silent = both.chunk(2)
            guided = silent + em.settings.audio_guidance * (speech - silent)
            latents = scheduler.step(guided, t, latents).prev_sample
        pixels = em.decode(latents)
    return _to_uint8(pixels)[:frames, :height, :width]


def _condition(em: EchoMimic, known: np.ndarray, frames: int) -> torch.Tensor:
    """[1, 4 + 16, T, h, w]: the known-frame mask and the latents of the clip with only the known
    frames kept (the rest black, 0 in [-1, 1])."""
    import torch
    import torch.nn.functional as F

    count, height, width = known.shape[:3]
    video = torch.zeros((1, 3, frames, height, width), dtype=torch.float32)
    video[0, :, :count] = torch.from_numpy(known).permute(3, 0, 1, 2).float() / 127.5 - 1.0
    latents = em.encode(video)
    generate = torch.ones((1, 1, frames, height, width), dtype=torch.float32)
    generate[:, :, :count] = 0.0
    grouped = torch.cat([generate[:, :, :1].repeat(1, 1, VAE_TIME, 1, 1), generate[:, :, 1:]], dim=2)
    grouped = grouped.view(1, -1, VAE_TIME, height, width).transpose(1, 2)  # 1, 4, T, H, W
    mask = F.interpolate(1.0 - grouped, size=latents.shape[2:], mode="trilinear", align_corners=False)
    return torch.cat([mask.to(em.device, em.dtype), latents.to(em.dtype)], dim=1)


def _to_uint8(pixels: Any) -> np.ndarray:
    """[1, 3, F, H, W] in [-1, 1] -> [F, H, W, 3] uint8."""
    image = ((pixels[0].float().clamp(-1, 1) + 1) * 127.5).round().byte()
    return image.permute(1, 2, 3, 0).cpu().numpy()
