"""Auto-clip: the best moments of a long video, scored, reframed and captioned (`clip` engine).

scan        one streaming pass over the sound (loudness every 0.25 s, Whisper in chunks cut at
            quiet points: word timings) and one over the pictures (PySceneDetect's content
            detector on small frames, faces every few seconds): bounded memory at any length
sentences   words grouped into sentences (punctuation, or a long pause)
moments     candidate windows made of whole sentences (or whole scenes when nothing is said),
            their edges moved onto a scene cut where one falls in the silence around them
laughter    laughs Whisper wrote ("(laughs)", "haha") and approximate 3-8 Hz bursts in the sound
features    what a person can read in a window: hook, complete thought, words, pace, energy, face,
            laughter
judge       the writer's judgement (constrained JSON) combined with the features' score
reframe     the crop that follows the face, smoothed, moving only at scene cuts
render      each clip cut, reframed, captioned (burned in and WebVTT) and encoded
engine      the steps in order, the job's outputs and metadata
"""
