"""EchoMimicV3's video transformer: diffusers' `WanTransformer3DModel` (Wan2.1 image-to-video,
1.3B) with upstream's audio parts added, so the released checkpoint loads key for key
(apexlocal/models/echomimic_keys.py).

What upstream (antgroup/echomimic_v3, src/wan_transformer3d_audio_2512.py) adds to Wan2.1-Fun-InP:

- `audio_injection` (upstream's AudioProjModel): per latent frame, the wav2vec2 hidden states of a
  window of video frames (5 frames for the first latent frame, 8 for each later one: see
  `split_audio_windows`), flattened, through three linear layers into 32 tokens of the model's
  width, then a LayerNorm.
- In every block's cross-attention, beside the text and CLIP-image attention: the block's queries of
  one latent frame attend to that frame's 32 audio tokens (`k_audio`, `v_audio`, `norm_k_audio`);
  the result is added to the text and image results before the output projection.
  Upstream also holds a `q_audio` projection whose result its forward overwrites with the
  text query; it is kept here (unused) so the checkpoint loads strictly.

The audio tokens reach the blocks' attention processors through an `AudioState`, set by `forward`
for the one call (diffusers' Wan forward passes no extra arguments down to its blocks). The classes
subclass torch and diffusers classes, so they are made on first use (`echomimic_transformer`):
importing this module imports neither.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from apexlocal.engines.echomimic.layout import AUDIO_WINDOW, VAE_TIME
from apexlocal.models.echomimic_keys import AUDIO_HIDDEN, AUDIO_TOKENS

if TYPE_CHECKING:
    import torch


def echomimic_transformer(**config: Any) -> Any:
    """A new `EchoMimicTransformer` (a `WanTransformer3DModel`) for constructor arguments `config`
    (echomimic_keys.transformer_config makes them from upstream's config.json)."""
    return _classes().EchoMimicTransformer(**config)


def split_audio_windows(windows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Upstream's get_ai2v_audio: per-frame windows [B, F, 5, L, C] (F = 4k + 1) -> the first
    frame's window [B, 1, 5, L, C] and, for each later latent frame (4 video frames), the first
    frame's window up to its centre, the two middle frames' centres and the last frame's window from
    its centre: [B, k, 8, L, C]."""
    import torch

    first = windows[:, :1]
    later = windows[:, 1:].unflatten(1, (-1, VAE_TIME))  # B, k, 4, 5, L, C
    mid = AUDIO_WINDOW // 2
    head = later[:, :, 0, : mid + 1]
    middle = later[:, :, 1:-1, mid]
    tail = later[:, :, -1, mid:]
    return first, torch.cat([head, middle, tail], dim=2)


def _attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention on [B, S, H, D] tensors."""
    import torch.nn.functional as F

    out = F.scaled_dot_product_attention(query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2))
    return out.transpose(1, 2)


def _audio_attention(attn: Any, query: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Each latent frame's video tokens attend to that frame's audio tokens only."""
    batch, length, heads, dim = query.shape
    frames = tokens.shape[1]
    context = tokens.flatten(0, 1)  # B*T, tokens, width
    key = attn.norm_k_audio(attn.k_audio(context)).unflatten(2, (heads, -1))
    value = attn.v_audio(context).unflatten(2, (heads, -1))
    out = _attend(query.reshape(batch * frames, length // frames, heads, dim), key, value)
    return out.reshape(batch, length, heads, dim)


class AudioState(threading.local):
    """The audio tokens of the current forward call, [B, latent frames, tokens, width]; per
    thread, so two jobs sharing the warm model do not see each other's speech."""

    tokens: torch.Tensor | None = None


class AudioCrossAttnProcessor:
    """Wan's image-to-video cross-attention (text + CLIP image, as diffusers' WanAttnProcessor)
    plus upstream's per-latent-frame audio attention, summed before the output projection."""

    def __init__(self, state: AudioState) -> None:
        self.state = state

    def __call__(
        self,
        attn: Any,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        rotary_emb: Any = None,
    ) -> torch.Tensor:
        assert encoder_hidden_states is not None
        image_length = encoder_hidden_states.shape[1] - 512  # Wan pads the text to 512 tokens
        image, text = encoder_hidden_states[:, :image_length], encoder_hidden_states[:, image_length:]
        heads = attn.heads
        query = attn.norm_q(attn.to_q(hidden_states)).unflatten(2, (heads, -1))
        key = attn.norm_k(attn.to_k(text)).unflatten(2, (heads, -1))
        value = attn.to_v(text).unflatten(2, (heads, -1))
        out = _attend(query, key, value)
        key_img = attn.norm_added_k(attn.add_k_proj(image)).unflatten(2, (heads, -1))
        out = out + _attend(query, key_img, attn.add_v_proj(image).unflatten(2, (heads, -1)))
        tokens = self.state.tokens
        if tokens is not None:
            out = out + _audio_attention(attn, query, tokens.to(query.dtype))
        result: torch.Tensor = attn.to_out[0](out.flatten(2).type_as(hidden_states))
        return result


@lru_cache(maxsize=1)
def _classes() -> SimpleNamespace:
    import torch
    from diffusers import WanTransformer3DModel
    from diffusers.configuration_utils import register_to_config
    from torch import nn

    class AudioProjection(nn.Module):
        """Upstream's AudioProjModel: wav2vec2 windows -> AUDIO_TOKENS tokens per latent frame."""

        def __init__(self, layers: int, width: int, out_dim: int) -> None:
            super().__init__()
            self.out_dim = out_dim
            self.proj1 = nn.Linear(AUDIO_WINDOW * layers * width, AUDIO_HIDDEN)
            self.proj1_vf = nn.Linear((AUDIO_WINDOW + VAE_TIME - 1) * layers * width, AUDIO_HIDDEN)
            self.proj2 = nn.Linear(AUDIO_HIDDEN, AUDIO_HIDDEN)
            self.proj3 = nn.Linear(AUDIO_HIDDEN, AUDIO_TOKENS * out_dim)
            self.norm = nn.LayerNorm(out_dim)

        def forward(self, first: torch.Tensor, later: torch.Tensor) -> torch.Tensor:
            """first [B, 1, 5, L, C], later [B, T-1, 8, L, C] -> [B, T, tokens, out_dim]."""
            a = torch.relu(self.proj1(first.flatten(2)))
            b = torch.relu(self.proj1_vf(later.flatten(2)))
            x = torch.relu(self.proj2(torch.cat([a, b], dim=1)))
            x = self.proj3(x).reshape(first.shape[0], -1, AUDIO_TOKENS, self.out_dim)
            out: torch.Tensor = self.norm(x)
            return out

    class EchoMimicTransformer(WanTransformer3DModel):
        """`WanTransformer3DModel` (image-to-video layout) plus EchoMimicV3's audio modules."""

        @register_to_config
        def __init__(
            self,
            patch_size: tuple[int, ...] = (1, 2, 2),
            num_attention_heads: int = 12,
            attention_head_dim: int = 128,
            in_channels: int = 36,
            out_channels: int = 16,
            text_dim: int = 4096,
            freq_dim: int = 256,
            ffn_dim: int = 8960,
            num_layers: int = 30,
            cross_attn_norm: bool = True,
            qk_norm: str | None = "rms_norm_across_heads",
            eps: float = 1e-6,
            image_dim: int | None = 1280,
            added_kv_proj_dim: int | None = 1536,
            rope_max_seq_len: int = 1024,
            pos_embed_seq_len: int | None = None,
            audio_layers: int = 12,
            audio_width: int = 768,
        ) -> None:
            super().__init__(
                patch_size=patch_size,
                num_attention_heads=num_attention_heads,
                attention_head_dim=attention_head_dim,
                in_channels=in_channels,
                out_channels=out_channels,
                text_dim=text_dim,
                freq_dim=freq_dim,
                ffn_dim=ffn_dim,
                num_layers=num_layers,
                cross_attn_norm=cross_attn_norm,
                qk_norm=qk_norm,
                eps=eps,
                image_dim=image_dim,
                added_kv_proj_dim=added_kv_proj_dim,
                rope_max_seq_len=rope_max_seq_len,
                pos_embed_seq_len=pos_embed_seq_len,
            )
            dim = num_attention_heads * attention_head_dim
            self.audio_injection = AudioProjection(audio_layers, audio_width, dim)
            self.audio_state = AudioState()
            this: Any = self  # diffusers' mixins hide nn.Module's attributes from the type checker
            for block in this.blocks:
                attn = block.attn2
                attn.q_audio = nn.Linear(dim, dim)
                attn.k_audio = nn.Linear(dim, dim)
                attn.v_audio = nn.Linear(dim, dim)
                attn.norm_k_audio = nn.RMSNorm(dim, eps=eps)
                attn.set_processor(AudioCrossAttnProcessor(self.audio_state))

        def forward(
            self,
            hidden_states: torch.Tensor,
            timestep: torch.Tensor,
            encoder_hidden_states: torch.Tensor,
            encoder_hidden_states_image: torch.Tensor,
            audio_windows: torch.Tensor,
        ) -> torch.Tensor:
            """The flow prediction for latents [B, 36, T, h, w] (noise, mask and the known
            frames' latents), given text [B, 512, text_dim], CLIP image features [B, 257,
            image_dim] and the per-frame wav2vec2 windows [B, 4T - 3, 5, layers, width]."""
            first, later = split_audio_windows(audio_windows.to(hidden_states.dtype))
            self.audio_state.tokens = self.audio_injection(first, later)
            try:
                parent: Any = super()
                out = parent.forward(
                    hidden_states, timestep, encoder_hidden_states, encoder_hidden_states_image, return_dict=False
                )
            finally:
                self.audio_state.tokens = None
            return out[0]

    return SimpleNamespace(AudioProjection=AudioProjection, EchoMimicTransformer=EchoMimicTransformer)
