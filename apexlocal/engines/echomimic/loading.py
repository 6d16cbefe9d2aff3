"""Loading EchoMimicV3 Flash and its parts, warm in the runtime after the first job.

The manifest entry names its parts in `defaults.parts`:

- `wan`: the Wan2.1 1.3B Diffusers folder already in the catalogue (`wan2.1-t2v-1.3b`): its
  `vae/` (`AutoencoderKLWan`), `text_encoder/` (UMT5-XXL) and `tokenizer/` are the same models as
  Wan2.1-Fun-V1.1-1.3B-InP's Wan2.1_VAE.pth and models_t5_umt5-xxl-enc-bf16.pth, converted. The
  text encoder runs once, on the fixed prompt, and is dropped.
- `clip`: Wan's CLIP ViT-H/14 image encoder (Wan2.1-Fun-InP's .pth, original names) loaded into
  transformers' `CLIPVisionModel` through echomimic_keys.clip_to_transformers.
- `audio_encoder`: chinese-wav2vec2-base (`Wav2Vec2Model`, `Wav2Vec2FeatureExtractor`).

The transformer itself (this entry's files: `echomimicv3-flash-pro/config.json` and
`diffusion_pytorch_model.safetensors`, original Wan names) is built with empty weights and given
the checkpoint's tensors renamed by echomimic_keys.to_diffusers, strictly: a missing or extra key fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.base import EngineContext, model_parts
from apexlocal.engines.runtime import torch_dtype_for
from apexlocal.errors import ModelError
from apexlocal.models.echomimic_keys import CLIP_FILE, TRANSFORMER_CONFIG, TRANSFORMER_DIR, TRANSFORMER_WEIGHTS
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np
    import torch

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
PART_ROLES = ("wan", "clip", "audio_encoder")
TEXT_LENGTH = 512


@dataclass(frozen=True)
class Settings:
    """Sampling settings from the manifest's `defaults` (upstream's run_flash.sh values)."""

    steps: int = 8
    audio_guidance: float = 3.0
    shift: float = 5.0
    chunk_frames: int = 81
    overlap_frames: int = 8
    max_side: int = 768
    fps: float = 25.0
    prompt: str = "A person is speaking."

    @classmethod
    def of(cls, model: ModelEntry, model_set: str) -> Settings:
        d = dict(model.defaults)
        if model_set == "tiny":
            d.update(d.get("tiny_native") or {})
        return cls(
            steps=int(d.get("steps", cls.steps)),
            audio_guidance=float(d.get("audio_guidance_scale", cls.audio_guidance)),
            shift=float(d.get("shift", cls.shift)),
            chunk_frames=int(d.get("chunk_frames", cls.chunk_frames)),
            overlap_frames=int(d.get("overlap_frames", cls.overlap_frames)),
            max_side=int(d.get("max_side", cls.max_side)),
            fps=float(d.get("fps", cls.fps)),
            prompt=str(d.get("prompt", cls.prompt)),
        )


@dataclass
class EchoMimic:
    transformer: Any  # EchoMimicTransformer
    vae: Any  # diffusers AutoencoderKLWan
    clip: Any  # transformers CLIPVisionModel
    wav2vec: Any  # transformers Wav2Vec2Model
    extractor: Any  # transformers Wav2Vec2FeatureExtractor
    text: torch.Tensor  # [1, 512, text_dim]: the prompt's UMT5 states, zero-padded
    settings: Settings
    device: str
    dtype: Any

    @property
    def components(self) -> dict[str, Any]:
        """What the warm runtime counts the memory of."""
        return {"transformer": self.transformer, "vae": self.vae, "clip": self.clip, "wav2vec": self.wav2vec}

    def new_scheduler(self) -> Any:
        from diffusers import UniPCMultistepScheduler

        return UniPCMultistepScheduler(
            num_train_timesteps=1000,
            prediction_type="flow_prediction",
            use_flow_sigmas=True,
            flow_shift=self.settings.shift,
        )

    def encode(self, video: torch.Tensor) -> torch.Tensor:
        """[1, 3, F, H, W] in [-1, 1] -> normalised latents [1, 16, T, h, w] (the mode)."""
        mean, inv_std = self._latent_stats()
        latents = self.vae.encode(video.to(self.device, self.vae.dtype)).latent_dist.mode()
        return (latents.float() - mean) * inv_std

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        mean, inv_std = self._latent_stats()
        return self.vae.decode((latents.float() / inv_std + mean).to(self.vae.dtype)).sample

    def _latent_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        config = self.vae.config
        mean = torch.tensor(config.latents_mean).view(1, config.z_dim, 1, 1, 1).to(self.device)
        inv_std = 1.0 / torch.tensor(config.latents_std).view(1, config.z_dim, 1, 1, 1).to(self.device)
        return mean, inv_std

    def image_features(self, rgb: np.ndarray) -> torch.Tensor:
        """[1, tokens, width]: the CLIP hidden states of the 31st of 32 blocks (upstream's
        use_31_block) of an RGB uint8 picture squeezed to the encoder's square (bicubic)."""
        import torch
        import torch.nn.functional as F

        side = self.clip.config.image_size
        pixels = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0
        pixels = F.interpolate(pixels, size=(side, side), mode="bicubic", align_corners=False)
        mean, std = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1), torch.tensor(CLIP_STD).view(1, 3, 1, 1)
        pixels = ((pixels - mean) / std).to(self.device, self.clip.dtype)
        with torch.inference_mode():
            hidden = self.clip(pixel_values=pixels, output_hidden_states=True).hidden_states[-2]
        return hidden.float()


def load_echomimic(model: ModelEntry, ctx: EngineContext) -> EchoMimic:
    """The model, warm in ctx.runtime after the first job; its parts are pulled first if needed."""
    parts = model_parts(model, ctx.manifest, PART_ROLES)
    folders = {"transformer": ctx.model_dir(model), **{role: ctx.model_dir(e) for role, e in parts.items()}}
    settings = Settings.of(model, ctx.model_set)
    key = f"echomimic:{model.id}:{'+'.join(p.id for p in parts.values())}:{ctx.model_set}:{ctx.device}"
    loaded: EchoMimic = ctx.runtime.get(key, lambda: _load(folders, settings, ctx.device))
    return loaded


def _load(folders: dict[str, Path], settings: Settings, device: str) -> EchoMimic:
    import torch
    from diffusers import AutoencoderKLWan
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model

    dtype = torch_dtype_for(device)
    transformer = load_transformer(folders["transformer"] / TRANSFORMER_DIR, dtype).to(device).eval()
    wan = folders["wan"]
    vae = AutoencoderKLWan.from_pretrained(wan / "vae", torch_dtype=torch.float32, local_files_only=True)
    audio = folders["audio_encoder"]
    wav2vec: Any = Wav2Vec2Model.from_pretrained(audio, torch_dtype=torch.float32, local_files_only=True)
    extractor = Wav2Vec2FeatureExtractor.from_pretrained(audio, local_files_only=True)
    clip = load_clip(folders["clip"] / CLIP_FILE, dtype).to(device).eval()
    text = encode_prompt(wan, settings.prompt, device, dtype)
    return EchoMimic(
        transformer, vae.to(device).eval(), clip, wav2vec.to(device).eval(), extractor, text, settings, device, dtype
    )


def load_transformer(folder: Path, dtype: Any) -> Any:
    """EchoMimicTransformer from upstream's config.json and original-layout safetensors."""
    from accelerate import init_empty_weights
    from safetensors.torch import load_file

    from apexlocal.engines.echomimic.transformer import echomimic_transformer
    from apexlocal.models import echomimic_keys as keys

    config_path, weights_path = folder / TRANSFORMER_CONFIG, folder / TRANSFORMER_WEIGHTS
    for path in (config_path, weights_path):
        if not path.is_file():
            raise ModelError(f"EchoMimicV3: {path} is missing")
    config = keys.transformer_config(json.loads(config_path.read_text(encoding="utf-8")))
    with init_empty_weights(include_buffers=False):  # the rotary tables are buffers made at init
        model: Any = echomimic_transformer(**config)
    state = {keys.to_diffusers(k): v.to(dtype) for k, v in load_file(weights_path).items()}
    model.load_state_dict(state, strict=True, assign=True)
    return model


def load_clip(path: Path, dtype: Any) -> Any:
    """Wan's CLIP vision tower (ViT-H/14, 224 px) as transformers' CLIPVisionModel."""
    import torch
    from accelerate import init_empty_weights
    from transformers import CLIPVisionModel

    from apexlocal.models import echomimic_keys as keys

    if not path.is_file():
        raise ModelError(f"EchoMimicV3: {path} is missing")
    try:  # mapped, not read whole: the file also holds a text tower that is never used
        original = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError:  # a file in torch's legacy (non-zip) format cannot be mapped
        original = torch.load(path, map_location="cpu", weights_only=True)
    state = keys.clip_to_transformers(original)
    config = clip_config(state)
    with init_empty_weights(include_buffers=False):
        model: Any = CLIPVisionModel(config)
    model.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=True, assign=True)
    return model


def clip_config(state: dict[str, Any]) -> Any:
    """The CLIPVisionConfig that the state dict's shapes imply (ViT-H/14 for the real file:
    1280 wide, 32 layers, 16 heads of 80, patch 14, 224 px, exact GELU, LayerNorm eps 1e-5)."""
    from transformers import CLIPVisionConfig

    patch = state["embeddings.patch_embedding.weight"]
    positions, width = state["embeddings.position_embedding.weight"].shape
    layers = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("encoder.layers."))
    grid = round((positions - 1) ** 0.5)
    return CLIPVisionConfig(
        hidden_size=width,
        intermediate_size=state["encoder.layers.0.mlp.fc1.weight"].shape[0],
        num_hidden_layers=layers,
        num_attention_heads=max(1, width // 80),
        patch_size=patch.shape[-1],
        image_size=grid * patch.shape[-1],
        hidden_act="gelu",
        layer_norm_eps=1e-5,
    )


def encode_prompt(wan: Path, prompt: str, device: str, dtype: Any) -> torch.Tensor:
    """[1, 512, text_dim]: UMT5's states of the prompt's tokens, zero past them (as upstream and
    diffusers' Wan pipelines pad). The encoder is loaded for this and let go."""
    import torch
    from transformers import AutoTokenizer, UMT5EncoderModel

    tokenizer = AutoTokenizer.from_pretrained(wan / "tokenizer", local_files_only=True)
    encoder: Any = UMT5EncoderModel.from_pretrained(wan / "text_encoder", torch_dtype=dtype, local_files_only=True)
    tokens = tokenizer([prompt], padding="max_length", max_length=TEXT_LENGTH, truncation=True, return_tensors="pt")
    encoder = encoder.to(device).eval()
    with torch.inference_mode():
        states = encoder(tokens.input_ids.to(device), attention_mask=tokens.attention_mask.to(device))[0]
    length = int(tokens.attention_mask.sum())
    out = torch.zeros_like(states)
    out[:, :length] = states[:, :length]
    del encoder
    return out.to(dtype)
