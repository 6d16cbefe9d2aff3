"""Zero-shot voice cloning: speech in the voice of a reference clip (`voice-clone`, Chatterbox)."""
