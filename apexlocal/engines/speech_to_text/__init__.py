"""Speech to text, shared by voice cloning, clips, translation and the voice agent: faster-whisper
with word timestamps (`whisper`), audio decoding of any container with PyAV (`decode`), and a
speaker embedding (`embedding`)."""
