"""Random-weight stand-ins of the real image pipelines: the `tiny` model set.

Each builder makes the SAME diffusers pipeline class as the real model, with every component built
from a small config under a fixed seed, and saves it with `save_pretrained`. The engines then load
it with `from_pretrained(..., local_files_only=True)`, exactly as they load real weights, so the
whole path from request to PNG runs on a CPU without network. Outputs are noise of the right size.

What keeps them fast at full size (1024x1024 on 2 cores in seconds):
- the VAEs downsample 8x like the real ones, so a 1024px image is 64x64 = 4096 tokens after the
  2x2 patchify; their channel counts are tiny because the decoder runs at full resolution, and the
  mid-block attention (16k tokens at 1024px) is left out where the class allows it;
- text encoders are a few channels wide, with just enough layers for the hidden states that each
  pipeline reads by index; tokenizers are byte-level, built in memory (no downloads).

One difference from the real files: FLUX.2 [dev] ships its Mistral tokenizer inside a
`PixtralProcessor`, which transformers refuses to create without torchvision (absent from a
CPU-only install). Its stand-in puts a tokenizer of the same layout (Mistral's special tokens and
chat format) in that slot: for text to image the pipeline only calls `apply_chat_template` on it,
which a tokenizer has as well. The real model needs torchvision installed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option
from apexlocal.models.tiny_text import QWEN_SPECIALS, mistral_tokenizer, qwen3_config, qwen_tokenizer

# Components are built one after another from this seed; `options.seed` overrides it.

# A shift that grows with the image's token count, as the FLUX.2 and Qwen-Image schedulers use.
DYNAMIC_SHIFT = {
    "use_dynamic_shifting": True,
    "base_shift": 0.5,
    "max_shift": 1.15,
    "base_image_seq_len": 256,
    "max_image_seq_len": 4096,
    "time_shift_type": "exponential",
}

# Text encoders ---------------------------------------------------------------------------------


def _qwen25_vl_encoder(tokenizer: Any) -> Any:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "rope_theta": 1000000.0,
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
    }
    vision = {
        "depth": 1,
        "hidden_size": 16,
        "intermediate_size": 16,
        "num_heads": 2,
        "out_hidden_size": 16,
        "fullatt_block_indexes": [0],
    }
    # transformers 5 keeps keyword arguments its config signatures do not list as attributes.
    config = Qwen2_5_VLConfig(  # type: ignore[call-arg]
        text_config=text,
        vision_config=vision,
        vocab_size=len(tokenizer),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
    )
    return Qwen2_5_VLForConditionalGeneration(config).eval()


def _mistral3_encoder(tok: Any, layers: int) -> Any:
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration

    bos, eos, pad = (tok.convert_tokens_to_ids(t) for t in ("<s>", "</s>", "<pad>"))
    text = {
        "model_type": "mistral",
        "vocab_size": len(tok),
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": layers,
        "num_attention_heads": 2,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "max_position_embeddings": 1024,
        "rms_norm_eps": 1e-5,
        "rope_theta": 1000000000.0,
        "sliding_window": None,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
    }
    vision = {
        "model_type": "pixtral",
        "hidden_size": 16,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "head_dim": 8,
        "intermediate_size": 32,
        "image_size": 30,
        "patch_size": 6,
        "num_channels": 3,
    }
    # transformers 5 keeps keyword arguments its config signatures do not list as attributes.
    config = Mistral3Config(  # type: ignore[call-arg]
        text_config=text,
        vision_config=vision,
        image_token_index=tok.convert_tokens_to_ids("[IMG]"),
        vision_feature_layer=-1,
        spatial_merge_size=1,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    return Mistral3ForConditionalGeneration(config).eval()


# VAEs ------------------------------------------------------------------------------------------


def _flux2_vae(latent_channels: int) -> Any:
    from diffusers import AutoencoderKLFlux2

    return AutoencoderKLFlux2(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 4, 8, 8),
        layers_per_block=1,
        latent_channels=latent_channels,
        norm_num_groups=4,
        sample_size=1024,
        mid_block_add_attention=False,
    )


def _flux1_style_vae() -> Any:
    from diffusers import AutoencoderKL

    # Z-Image decodes with the FLUX.1 autoencoder: 16 latent channels, scale and shift as there.
    return AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 4, 8, 8),
        layers_per_block=1,
        latent_channels=16,
        norm_num_groups=4,
        sample_size=1024,
        scaling_factor=0.3611,
        shift_factor=0.1159,
        use_quant_conv=False,
        use_post_quant_conv=False,
        mid_block_add_attention=False,
    )


def _qwen_image_vae(z_dim: int) -> Any:
    from diffusers import AutoencoderKLQwenImage

    # Three downsamples, as in the real one. Its convolutions are causal 3D ones, which CPUs run
    # on a slow path, and its mid-block attention cannot be switched off: so two channels and
    # a single residual block per level, which decodes 1024x1024 in under a second.
    return AutoencoderKLQwenImage(
        base_dim=2,
        z_dim=z_dim,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=0,
        temperal_downsample=[False, True, True],
        latents_mean=[0.0] * z_dim,
        latents_std=[1.0] * z_dim,
    )


# Pipelines -------------------------------------------------------------------------------------


def _flux2_transformer(in_channels: int, text_dim: int, guidance_embeds: bool) -> Any:
    from diffusers import Flux2Transformer2DModel

    return Flux2Transformer2DModel(
        patch_size=1,
        in_channels=in_channels,
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=text_dim,
        timestep_guidance_channels=256,
        axes_dims_rope=(4, 4, 4, 4),
        guidance_embeds=guidance_embeds,
    )


def _flux2_klein(seed: int) -> Any:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2KleinPipeline
    from transformers import Qwen3ForCausalLM

    # The pipeline stacks hidden states 9, 18 and 27 of the text encoder by default.
    out_layers = (9, 18, 27)
    tokenizer = qwen_tokenizer()
    torch.manual_seed(seed)
    text_encoder = Qwen3ForCausalLM(qwen3_config(len(tokenizer), max(out_layers))).eval()
    torch.manual_seed(seed)
    transformer = _flux2_transformer(4 * 4, 16 * len(out_layers), guidance_embeds=False)
    torch.manual_seed(seed)
    vae = _flux2_vae(latent_channels=4)
    return Flux2KleinPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**DYNAMIC_SHIFT),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        is_distilled=True,
    )


def _flux2_dev(seed: int) -> Any:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, Flux2Pipeline

    out_layers = (10, 20, 30)
    tokenizer = mistral_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _mistral3_encoder(tokenizer, max(out_layers))
    torch.manual_seed(seed)
    transformer = _flux2_transformer(4 * 4, 16 * len(out_layers), guidance_embeds=True)
    torch.manual_seed(seed)
    vae = _flux2_vae(latent_channels=4)
    return Flux2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**DYNAMIC_SHIFT),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )


def _z_image(seed: int) -> Any:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, ZImagePipeline, ZImageTransformer2DModel
    from transformers import Qwen3Model

    tokenizer = qwen_tokenizer()
    torch.manual_seed(seed)
    text_encoder = Qwen3Model(qwen3_config(len(tokenizer), 2)).eval()
    torch.manual_seed(seed)
    transformer = ZImageTransformer2DModel(
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        in_channels=16,
        dim=32,
        n_layers=1,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
        norm_eps=1e-5,
        qk_norm=True,
        cap_feat_dim=16,
        rope_theta=256.0,
        t_scale=1000.0,
        axes_dims=[8, 4, 4],
        axes_lens=[1536, 512, 512],
    )
    # These two start as torch.empty: fill them so a build is reproducible and free of NaNs.
    with torch.no_grad():
        # Type checkers see diffusers' torch-less placeholder class, which has no parameters.
        for pad in (transformer.x_pad_token, transformer.cap_pad_token):  # type: ignore[attr-defined]
            pad.copy_(torch.randn_like(pad))
    torch.manual_seed(seed)
    vae = _flux1_style_vae()
    return ZImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )


def _qwen_image(seed: int) -> Any:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImagePipeline, QwenImageTransformer2DModel

    z_dim = 4
    tokenizer = qwen_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _qwen25_vl_encoder(tokenizer)
    torch.manual_seed(seed)
    transformer = QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=z_dim * 4,
        out_channels=z_dim,
        num_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=16,
        guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),
    )
    torch.manual_seed(seed)
    vae = _qwen_image_vae(z_dim)
    return QwenImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(**DYNAMIC_SHIFT),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )


BUILDERS: dict[str, Callable[[int], Any]] = {
    "flux2_klein": _flux2_klein,
    "z_image": _z_image,
    "qwen_image": _qwen_image,
    "flux2_dev": _flux2_dev,
}


# Entry point -----------------------------------------------------------------------------------


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the stand-in named `builder` (models_manifest.toml `tiny.builder`) into `out_dir`.

    The pipeline is saved to a temporary sibling and renamed into place, so a reader never sees a
    half-written model; an existing `out_dir` is replaced.
    """
    from apexlocal.models import tiny_clone, tiny_echomimic, tiny_music, tiny_talking_head, tiny_video, tiny_voice

    for family in (
        tiny_voice,
        tiny_clone,
        tiny_video,
        tiny_talking_head,
        tiny_echomimic,
        tiny_music,
    ):  # other model families build their own
        if builder in family.BUILDERS:
            family.build(builder, out_dir, options)
            return
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(seed).save_pretrained(staging))
