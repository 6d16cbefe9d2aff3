"""Video translation: the `video-translate` engine (engine.py), which drives speech to text,
translation, voice, the composition engine's mixer and the talking-head engine to make a video
speak another language, with WebVTT subtitles of the new speech."""
