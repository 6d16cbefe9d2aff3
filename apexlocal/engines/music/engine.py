"""The engine of the manifest's music models (`music-library`, `acestep-music`): a bed on its own,
as an audio file. Products take beds through `music_bed` inside their own engines; this is what
the registry runs for a model of task `music` (spec: `musicMood`, `duration`, `seed`)."""

from __future__ import annotations

from typing import Any

from apexlocal.engines.base import EngineContext, EngineOutput, OutputFile
from apexlocal.engines.music import music_bed
from apexlocal.engines.spec_checks import seconds_of, seed_of
from apexlocal.models.manifest import ModelEntry

CONTENT_TYPES = {".opus": "audio/ogg", ".wav": "audio/wav"}


class MusicEngine:
    name = "music"

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput:
        duration = seconds_of(spec.get("duration"), 1, 300, 30)
        bed = music_bed(ctx, spec.get("musicMood"), duration, seed=seed_of(spec.get("seed")), model_id=model.id)
        name = f"music{bed.path.suffix}"
        metadata = {"mood": bed.mood, "source": bed.source, "title": bed.title, "license": bed.license}
        content_type = CONTENT_TYPES.get(bed.path.suffix, "application/octet-stream")
        return EngineOutput(files=[OutputFile(bed.path, content_type, name)], metadata=metadata)
