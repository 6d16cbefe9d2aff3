"""Speech to text, shared by voice cloning, clips, translation and the voice agent: faster-whisper
with word timestamps (`whisper`) and audio decoding of any container with PyAV (`decode`)."""
