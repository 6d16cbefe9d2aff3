"""Text to speech engines: Piper on onnxruntime (the CPU voice), Kokoro-82M on torch, and the
cloned-voice path. `text` splits long input, `audio` joins and writes what the models make,
`synth` runs the chunk loop that every engine shares, `encode` encodes a stream chunk by chunk
(WAV, PCM, MP3, Opus, AAC, FLAC), `sample` prepares a voice-clone sample."""
