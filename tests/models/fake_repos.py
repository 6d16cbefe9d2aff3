"""The repos of the fake hub and the manifest that catalogues them, shared by the store and CLI tests."""

from __future__ import annotations

import json
import os

from tests.models.hub_server import sha256

COMMIT = "1" * 40  # alpha's
BETA_COMMIT = "2" * 40
GAMMA_COMMIT = "4" * 40
TOKEN = "hf_test_token"

WEIGHTS = os.urandom(300_000)
MODEL_INDEX = {
    "_class_name": "FakePipeline",
    "_diffusers_version": "0.42.1",
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "transformer": ["diffusers", "FakeTransformer"],
    "transformer_2": [None, None],
    "vae": ["diffusers", "AutoencoderKL"],
    "boundary_ratio": None,
}
# What a pull of alpha takes: model_index.json, the folders of the components it names, the license.
ALPHA_TAKEN = {
    "LICENSE.md": b"Apache-2.0",
    "model_index.json": json.dumps(MODEL_INDEX).encode(),
    "scheduler/scheduler_config.json": b'{"shift": 3.0}',
    "transformer/config.json": b'{"layers": 2}',
    "transformer/diffusion_pytorch_model-00001-of-00002.safetensors": WEIGHTS,
    "transformer/diffusion_pytorch_model-00002-of-00002.safetensors": os.urandom(20_000),
    "transformer/diffusion_pytorch_model.safetensors.index.json": b'{"weight_map": {}}',
    "vae/config.json": b'{"channels": 16}',
    "vae/diffusion_pytorch_model.safetensors": os.urandom(70_000),
}
# What it leaves out: a single-file checkpoint, a folder no component names, the README and its
# images, and second copies of weights (another format, a dtype variant).
ALPHA_LEFT_OUT = {
    "alpha-single-file.safetensors": os.urandom(90_000),
    "latent_upsampler/diffusion_pytorch_model.safetensors": os.urandom(30_000),
    "README.md": b"# Alpha",
    "assets/banner.png": os.urandom(5_000),
    "transformer/diffusion_pytorch_model.bin": os.urandom(40_000),
    "vae/diffusion_pytorch_model.fp16.safetensors": os.urandom(35_000),
}
BETA_TAKEN = {"weights.safetensors": os.urandom(50_000), "config.json": b"{}"}
GAMMA_FILES = {
    "config.json": b'{"gamma": 1}',
    "weights/model.safetensors": os.urandom(8_000),
    "weights/model.fp16.safetensors": os.urandom(4_000),
    "weights/notes.md": b"notes",
    "other.txt": b"other",
}
GAMMA_TAKEN = ["config.json", "weights/model.fp16.safetensors"]

MANIFEST = f"""
[[model]]
id = "alpha"
name = "Alpha"
tasks = ["image"]
engine = "diffusers-image"
license = "apache-2.0"
commercial = true
size_gb = 0.0004
memory_gb = 1.0
aliases = ["alpha-pro"]
default_for = ["image"]
tiny = {{ builder = "alpha_builder", options = {{ layers = 1 }} }}
[model.source]
kind = "huggingface"
repo = "acme/alpha"
revision = "{COMMIT}"
pipeline_files = true
allow_patterns = ["LICENSE*"]
download_bytes = {sum(len(d) for d in ALPHA_TAKEN.values())}

[[model]]
id = "beta"
name = "Beta"
tasks = ["image"]
engine = "diffusers-image"
license = "flux-dev-non-commercial"
commercial = false
size_gb = 0.00005
memory_gb = 1.0
tiny = {{ builder = "beta_builder" }}
[model.source]
kind = "huggingface"
repo = "acme/beta"
revision = "{BETA_COMMIT}"
download_bytes = {sum(len(d) for d in BETA_TAKEN.values())}
[[model.source.files]]
path = "weights.safetensors"
size = {len(BETA_TAKEN["weights.safetensors"])}
sha256 = "{sha256(BETA_TAKEN["weights.safetensors"])}"
[[model.source.files]]
path = "config.json"
size = 2
sha256 = "{sha256(b"{}")}"

[[model]]
id = "gamma"
name = "Gamma"
tasks = ["image"]
engine = "diffusers-image"
license = "apache-2.0"
commercial = true
size_gb = 0.00001
memory_gb = 1.0
[model.source]
kind = "huggingface"
repo = "acme/gamma"
revision = "{GAMMA_COMMIT}"
allow_patterns = ["*.json", "weights/*"]
ignore_patterns = ["*.md"]
variant = "fp16"
download_bytes = 4100
download_estimated = true

[[model]]
id = "voice"
name = "Voice"
tasks = ["voice"]
engine = "piper"
license = "mit"
commercial = true
size_gb = 0.001
memory_gb = 0.1
source = {{ kind = "pypi", package = "fake-voice-pkg", subdir = "data", files = [{{ path = "voice.onnx" }}] }}
tiny = {{ builder = "real" }}
"""
