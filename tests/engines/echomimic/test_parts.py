"""EchoMimicV3's pieces against upstream's rules: the audio windows per latent frame, the clip
plan of long speech, per-frame features, and audio attention that stays within its latent frame."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from apexlocal.engines.echomimic.audio import frame_windows
from apexlocal.engines.echomimic.render import clip_plan
from apexlocal.engines.echomimic.transformer import echomimic_transformer, split_audio_windows
from apexlocal.models.tiny_echomimic import tiny_transformer_config


def upstream_ai2v(audio: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """get_ai2v_audio of src/wan_transformer3d_audio_2512.py, written out with loops."""
    first = audio[:, :1]
    later = []
    for t in range((audio.shape[1] - 1) // 4):
        group = audio[:, 1 + 4 * t : 5 + 4 * t]  # b, 4, w, s, c
        parts = [group[:, 0, :3], group[:, 1:3, 2], group[:, 3, 2:]]
        later.append(torch.cat(parts, dim=1))
    return first, torch.stack(later, dim=1)


def test_audio_windows_split_as_upstream() -> None:
    audio = torch.randn(2, 13, 5, 3, 4)
    ours, theirs = split_audio_windows(audio), upstream_ai2v(audio)
    assert torch.equal(ours[0], theirs[0]) and torch.equal(ours[1], theirs[1])
    assert ours[1].shape == (2, 3, 8, 3, 4)


def test_frame_windows_are_centred_and_clamped() -> None:
    features = torch.arange(6, dtype=torch.float32).view(6, 1, 1)
    windows = frame_windows(features, [0, 3, 5])[:, :, 0, 0]
    assert windows.tolist() == [[0, 0, 0, 1, 2], [1, 2, 3, 4, 5], [3, 4, 5, 5, 5]]


@pytest.mark.parametrize("count", [1, 5, 30, 81, 82, 200, 7500])
def test_the_clip_plan_covers_the_speech_in_overlapping_clips(count: int) -> None:
    plan = clip_plan(count, 81, 8)
    assert plan[0][0] == 0
    assert all(length % 4 == 1 and length <= 81 for _, length in plan)
    assert all(b[0] == a[0] + a[1] - 8 for a, b in itertools.pairwise(plan))
    end = plan[-1][0] + plan[-1][1]
    assert count <= end <= count + 3


def test_audio_attention_stays_within_its_latent_frame() -> None:
    torch.manual_seed(0)
    model = echomimic_transformer(**{**tiny_transformer_config(), "num_layers": 1}).eval()
    x = torch.randn(1, 36, 3, 4, 4)
    args = (torch.tensor([500.0]), torch.randn(1, 512, 16), torch.randn(1, 5, 16))
    audio = torch.randn(1, 9, 5, 2, 8)
    changed = audio.clone()
    changed[:, 5:] += 1.0  # the speech of the third latent frame only (video frames 5-8)
    with torch.no_grad():
        a, b = model(x, *args, audio), model(x, *args, changed)
    diff = (a - b).abs().amax(dim=(0, 1, 3, 4))
    assert diff[0] == 0 and diff[1] == 0 and diff[2] > 1e-4
    silent = model(x, *args, torch.zeros_like(audio))
    assert not torch.allclose(silent, a)  # the speech matters


def test_frame_features_give_one_row_per_frame(th_models, th_manifest) -> None:
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model

    from apexlocal.engines.echomimic.audio import frame_features

    folder = th_models(th_manifest.by_id()["chinese-wav2vec2-base"])
    encoder = Wav2Vec2Model.from_pretrained(folder, local_files_only=True).eval()
    extractor = Wav2Vec2FeatureExtractor.from_pretrained(folder, local_files_only=True)
    speech = np.sin(np.arange(32_000) / 16_000 * 2 * np.pi * 200).astype(np.float32)
    features = frame_features(encoder, extractor, speech, 50, "cpu")
    assert features.shape == (50, encoder.config.num_hidden_layers, encoder.config.hidden_size)
    louder = frame_features(encoder, extractor, speech * 4, 50, "cpu")
    assert torch.allclose(features, louder, atol=1e-4)  # a constant gain does not matter
