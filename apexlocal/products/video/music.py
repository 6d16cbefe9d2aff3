"""The music bed of a job, decided at submit: `musicMood` checked (one of the library's moods or an
alias, else 400 naming the field and listing the moods) and the music model that will make it.

The music model depends on the machine as the default voice does: the manifest's
`default_for = ["music"]` model (the bundled library) everywhere, or on a CUDA machine the model
whose `defaults.gpu_default_for` names `music` (ACE-Step 1.5) when it is installed or may be
pulled. Used by the narrated video and the commercial.
"""

from __future__ import annotations

from apexlocal.engines.music.moods import canonical_mood, mood_error
from apexlocal.errors import BadRequest
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry
from apexlocal.products.voice.voice_models import available, voice_device

TASK = "music"
FIELD = "musicMood"


def checked_mood(mood: str) -> str:
    """One of the library's moods for `mood` (an alias maps to its mood); 400 otherwise."""
    canonical = canonical_mood(mood)
    if canonical is None:
        raise BadRequest(mood_error(FIELD, mood) or f"{FIELD}: unknown mood")
    return canonical


def music_model(services: Services) -> ModelEntry:
    if voice_device(services).startswith("cuda"):
        for entry in services.manifest.model:
            if TASK in entry.tasks and TASK in entry.defaults.get("gpu_default_for", ()) and available(services, entry):
                return entry
    return services.manifest.default_for(TASK)
