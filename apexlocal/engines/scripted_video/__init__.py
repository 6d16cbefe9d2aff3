"""A narrated video from a script: the `scripted-video` engine of `POST /api/generate/video`.

The script is split into scenes (`scenes`: sentences grouped into stretches of about one video
clip); each scene is narrated with a voice engine, sentence by sentence, which gives exact
sentence timings (`narration`); the narration is fitted into the requested maximum duration.
Within each sentence the captions' words are timed from the speech itself (`word_timing`): the
voice model's phoneme durations where it has them, else forced alignment with Whisper. Each scene
then gets a picture of the length of its narration from the video engine (`engines.video`, frames
only, made while they are composed), and `engines.compose` joins the scenes with crossfades, lays
the narration under them (loudness-normalised), draws the captions and encodes H.264 + AAC with the
index at the front (`engine`). `plan` places the scenes' pictures around their narration.

`scenes.estimate_seconds` is what the API refuses a too-long script with, before it is charged.
Heavy libraries (numpy, torch, av) are imported inside functions only.
"""
