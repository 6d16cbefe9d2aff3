"""EchoMimicV3's fixed frame layout, kept free of heavy imports (the API path imports the engine)."""

AUDIO_WINDOW = 5  # video frames of wav2vec2 features around each frame (upstream: 2 * 2 + 1)
VAE_TIME = 4  # video frames per latent frame after the first (the Wan VAE's temporal stride)
