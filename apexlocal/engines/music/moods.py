"""The moods a music bed is asked for: the library's own five, and the other words people use for
them (the aliases), each mapped to the one of the five whose tracks fit it best.

Light on purpose: the API checks `musicMood` with this module before anything is charged.
"""

from __future__ import annotations

# The tags of the bundled library (its folder names), which the generative model is prompted with too.
MOODS: tuple[str, ...] = ("calm", "energetic", "happy", "nostalgic", "tender")
DEFAULT_MOOD = "calm"

# Other mood words, by what the library's tracks sound like: energetic (132-150 BPM, minor keys,
# driving), happy (110-123 BPM, major), calm (68-72 BPM, major), nostalgic (78-84 BPM, minor),
# tender (90-99 BPM, major, soft).
ALIASES: dict[str, str] = {
    "upbeat": "energetic",
    "exciting": "energetic",
    "dramatic": "energetic",
    "epic": "energetic",
    "intense": "energetic",
    "powerful": "energetic",
    "cheerful": "happy",
    "playful": "happy",
    "fun": "happy",
    "funny": "happy",
    "inspiring": "happy",
    "inspirational": "happy",
    "uplifting": "happy",
    "corporate": "calm",
    "professional": "calm",
    "relaxed": "calm",
    "chill": "calm",
    "ambient": "calm",
    "peaceful": "calm",
    "minimal": "calm",
    "sad": "nostalgic",
    "melancholic": "nostalgic",
    "sentimental": "nostalgic",
    "retro": "nostalgic",
    "emotional": "tender",
    "romantic": "tender",
    "gentle": "tender",
    "warm": "tender",
    "elegant": "tender",
    "luxury": "tender",
}


def canonical_mood(mood: str) -> str | None:
    """One of MOODS for a mood word (case and spaces ignored), or None when it is not known."""
    word = mood.strip().lower()
    if word in MOODS:
        return word
    return ALIASES.get(word)


def mood_error(field: str, mood: str) -> str | None:
    """The 400 message for an unknown mood, naming the field and the moods it takes; None when known."""
    if canonical_mood(mood) is not None:
        return None
    return (
        f"{field}: {mood!r} is not a known mood; use one of {', '.join(MOODS)} "
        f"(or an alias: {', '.join(sorted(ALIASES))})"
    )
