"""Random-weight stand-ins of the video pipelines for the `tiny` set.

Each builder makes the SAME diffusers pipeline class as the real model (`WanPipeline`,
`WanImageToVideoPipeline`, `LTX2Pipeline`), every component from a small config under a fixed seed,
saved with `save_pretrained` and loaded back by the engine with `from_pretrained(...,
local_files_only=True)`, as real weights are. Outputs are noise of the right size and length.

What keeps them fast on a 2-core CPU: the VAEs keep the real spatial and temporal compression (8x
and 4x for Wan2.1, 16x and 4x for Wan2.2, 32x and 8x for LTX-2), so a clip is a few hundred
tokens; their channels are a handful wide, because the decoder runs at full resolution for every
frame. The tiny set also generates at a small native size and frame rate of its own (the
manifest's `defaults.tiny_native`), upscaled like any native size below the one asked for.
Tokenizers are built in memory: sentencepiece-style pieces for UMT5, byte-fallback BPE for Gemma.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.staging import build_atomically, seed_option

WORDS = (
    "a the of and in on at with over under city street night day sky sea forest mountain "
    "river road car drone camera shot light sun rain snow people walking running slow motion "
    "cinematic documentary animation aerial view close wide golden hour film grain"
).split()
TEXT_DIM = 16  # hidden size of every tiny text encoder


# Tokenizers ------------------------------------------------------------------------------------


def _umt5_tokenizer() -> Any:
    """UMT5's layout (pad 0, eos 1, unk 2, sentencepiece pieces); Wan reads nothing more of it."""
    from transformers import T5Tokenizer

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    pieces += [(chr(c), -5.0) for c in range(33, 127)] + [("▁", -4.0)]
    pieces += [(f"▁{w}", -2.0) for w in WORDS]
    return T5Tokenizer(vocab=pieces, extra_ids=0)


def _gemma_tokenizer() -> Any:
    """Gemma's special tokens and byte-fallback BPE; words are single pieces, the rest bytes."""
    from transformers import GemmaTokenizer

    vocab = {t: i for i, t in enumerate(("<pad>", "<eos>", "<bos>", "<unk>", "<mask>"))}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for c in range(33, 127):
        vocab.setdefault(chr(c), len(vocab))
    vocab["▁"] = len(vocab)
    merges: list[tuple[str, str]] = []
    for word in WORDS:
        piece = ""
        for ch in f"▁{word}":
            if piece and piece + ch not in vocab:
                merges.append((piece, ch))
                vocab[piece + ch] = len(vocab)
            piece += ch
    # tokenizers' BPE takes merges as pairs; transformers annotates only the "a b" string form.
    return GemmaTokenizer(vocab=vocab, merges=merges)  # type: ignore[arg-type]


# Text encoders ---------------------------------------------------------------------------------


def _umt5_encoder(vocab_size: int) -> Any:
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=vocab_size,
        d_model=TEXT_DIM,
        d_kv=8,
        d_ff=32,
        num_layers=1,
        num_heads=2,
        relative_attention_num_buckets=8,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return UMT5EncoderModel(config).eval()


def _gemma3_encoder(tokenizer: Any) -> Any:
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ("<pad>", "<eos>", "<bos>")}
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": TEXT_DIM,
        "intermediate_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 8,
        "max_position_embeddings": 1024,
        "sliding_window": 64,
        "pad_token_id": ids["<pad>"],
        "bos_token_id": ids["<bos>"],
        "eos_token_id": ids["<eos>"],
    }
    vision = {
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "image_size": 28,
        "patch_size": 14,
    }
    # transformers 5 keeps keyword arguments its config signatures do not list as attributes.
    config = Gemma3Config(  # type: ignore[call-arg]
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=4,
        image_token_index=ids["<pad>"],
        pad_token_id=ids["<pad>"],
        bos_token_id=ids["<bos>"],
        eos_token_id=ids["<eos>"],
    )
    return Gemma3ForConditionalGeneration(config).eval()


# Wan ---------------------------------------------------------------------------------------------


def _wan21_vae() -> Any:
    from diffusers import AutoencoderKLWan

    # Three spatial downsamples (8x) and two temporal ones (4x), as in the real VAE.
    return AutoencoderKLWan(
        base_dim=2, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=0, temperal_downsample=[False, True, True]
    )


def _wan22_vae() -> Any:
    from diffusers import AutoencoderKLWan

    # Wan2.2's high-compression VAE: 2x2 patchify then 8x, 48 latent channels.
    z_dim = 48
    return AutoencoderKLWan(
        base_dim=2,
        z_dim=z_dim,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * z_dim,
        latents_std=[1.0] * z_dim,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=0,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )


def _wan_transformer(in_channels: int, out_channels: int, image_dim: int | None = None) -> Any:
    from diffusers import WanTransformer3DModel

    heads, head_dim = 2, 8
    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=heads,
        attention_head_dim=head_dim,
        in_channels=in_channels,
        out_channels=out_channels,
        text_dim=TEXT_DIM,
        freq_dim=32,
        ffn_dim=32,
        num_layers=1,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=1024,
        image_dim=image_dim,
        added_kv_proj_dim=heads * head_dim if image_dim else None,
    )


def _wan_scheduler(flow_shift: float) -> Any:
    from diffusers import UniPCMultistepScheduler

    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=flow_shift)


def _clip_vision(seed: int) -> tuple[Any, Any]:
    """Wan2.1 I2V's image encoder (CLIP ViT-H in the real model) and its processor."""
    import torch
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(seed)
    config = CLIPVisionConfig(
        hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32, image_size=32, patch_size=8
    )
    return CLIPVisionModel(config).eval(), CLIPImageProcessor(crop_size=32, size=32)


def _wan21_t2v(seed: int) -> Any:
    import torch
    from diffusers import WanPipeline

    tokenizer = _umt5_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _umt5_encoder(len(tokenizer))
    torch.manual_seed(seed)
    transformer = _wan_transformer(16, 16)
    torch.manual_seed(seed)
    vae = _wan21_vae()
    return WanPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=_wan_scheduler(3.0)
    )


def _wan21_i2v(seed: int) -> Any:
    import torch
    from diffusers import WanImageToVideoPipeline

    tokenizer = _umt5_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _umt5_encoder(len(tokenizer))
    image_encoder, image_processor = _clip_vision(seed)
    torch.manual_seed(seed)
    # Noise (16) + first-frame mask (4) + encoded condition video (16), as in the 14B model.
    transformer = _wan_transformer(36, 16, image_dim=image_encoder.config.hidden_size)
    torch.manual_seed(seed)
    vae = _wan21_vae()
    return WanImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        transformer=transformer,
        scheduler=_wan_scheduler(3.0),
        image_encoder=image_encoder,
        image_processor=image_processor,
    )


def _wan22_ti2v(seed: int) -> Any:
    import torch
    from diffusers import WanPipeline

    tokenizer = _umt5_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _umt5_encoder(len(tokenizer))
    torch.manual_seed(seed)
    transformer = _wan_transformer(48, 48)
    torch.manual_seed(seed)
    vae = _wan22_vae()
    # `expand_timesteps`: the TI2V model conditions on a first frame by keeping its latent clean,
    # so the same weights serve WanImageToVideoPipeline (the engine builds it with from_pipe).
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        transformer=transformer,
        scheduler=_wan_scheduler(5.0),
        expand_timesteps=True,
    )


# LTX-2 -------------------------------------------------------------------------------------------


def _ltx2_vae() -> Any:
    from diffusers import AutoencoderKLLTX2Video

    # 4x4 patchify and three spatio-temporal levels: 32x in space, 8x in time, as in LTX-2.
    levels = 3
    return AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8,) * levels,
        decoder_block_out_channels=(8,) * levels,
        layers_per_block=(1,) * (levels + 1),
        decoder_layers_per_block=(1,) * (levels + 1),
        spatio_temporal_scaling=(True,) * levels,
        decoder_spatio_temporal_scaling=(True,) * levels,
        decoder_inject_noise=(False,) * (levels + 1),
        downsample_type=("spatiotemporal",) * levels,
        upsample_type=("spatiotemporal",) * levels,
        upsample_residual=(False,) * levels,
        upsample_factor=(1,) * levels,
        timestep_conditioning=False,
        patch_size=4,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
        spatial_compression_ratio=32,
        temporal_compression_ratio=8,
    )


def _ltx2_audio() -> tuple[Any, Any]:
    """The audio VAE (mel latents) and vocoder (mel to 16 kHz stereo)."""
    from diffusers import AutoencoderKLLTX2Audio
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )
    # Upsampling by the mel hop (160 = 5 * 4 * 4 * 2), so the sound lasts as long as the video.
    vocoder = LTX2Vocoder(
        in_channels=2 * 8,
        hidden_channels=16,
        out_channels=2,
        upsample_kernel_sizes=[10, 8, 8, 4],
        upsample_factors=[5, 4, 4, 2],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=16000,
    )
    return audio_vae, vocoder


def _ltx2(seed: int) -> Any:
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, LTX2Pipeline, LTX2VideoTransformer3DModel
    from diffusers.pipelines.ltx2 import LTX2TextConnectors

    tokenizer = _gemma_tokenizer()
    torch.manual_seed(seed)
    text_encoder = _gemma3_encoder(tokenizer)
    layers = text_encoder.config.text_config.num_hidden_layers
    torch.manual_seed(seed)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=1,
        qk_norm="rms_norm_across_heads",
        caption_channels=TEXT_DIM,
        rope_double_precision=False,
        rope_type="split",
    )
    torch.manual_seed(seed)
    connectors = LTX2TextConnectors(
        caption_channels=TEXT_DIM,
        text_proj_in_factor=layers + 1,
        video_connector_num_attention_heads=2,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=2,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    torch.manual_seed(seed)
    vae = _ltx2_vae()
    torch.manual_seed(seed)
    audio_vae, vocoder = _ltx2_audio()
    return LTX2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        audio_vae=audio_vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        connectors=connectors,
        transformer=transformer,
        vocoder=vocoder,
    )


BUILDERS: dict[str, Callable[[int], Any]] = {
    "wan21_t2v": _wan21_t2v,
    "wan21_i2v": _wan21_i2v,
    "wan22_ti2v": _wan22_ti2v,
    "ltx2": _ltx2,
}


# Entry point -----------------------------------------------------------------------------------


def build(builder: str, out_dir: Path, options: dict[str, Any] | None = None) -> None:
    """Build the video stand-in `builder` into `out_dir`; a staging folder renamed into place, so
    a reader never sees a half-written model."""
    make = BUILDERS.get(builder)
    if make is None:
        raise ModelError(f"no tiny video builder named {builder!r}; known: {', '.join(sorted(BUILDERS))}")
    seed = seed_option(builder, options)
    build_atomically(out_dir, lambda staging: make(seed).save_pretrained(staging))
